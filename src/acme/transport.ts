/**
 * The HTTP(S) transport under acme-client, one per ACME server and account. It exists because
 * acme-client's own transport is a process-wide axios instance that sleeps through 429 and 5xx
 * by itself and reduces problem documents to a message string. This one:
 * - trusts `caBundle` for this server only (its own https.Agent; process TLS settings untouched);
 * - never retries or sleeps: every error status becomes an AcmeError carrying the problem type
 *   and Retry-After, and the caller decides (badNonce excepted: acme-client re-signs those);
 * - reuses the Replay-Nonce of each response (RFC 8555 §7.2) instead of a HEAD per request;
 * - reports every request that reached the network to an observer (requests per certificate).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { createSecureContext } from 'node:tls';
import type { Clock } from '../runtime/clock.js';
import { ACME_ERROR_PREFIX, AcmeError, LocalErrorType, isProblemDocument } from './errors.js';
import { parseRetryAfter } from './retry-after.js';

/** What a request was for; the label of the request counter. */
export type AcmeRequestKind =
  | 'directory'
  | 'newNonce'
  | 'newAccount'
  | 'account'
  | 'newOrder'
  | 'order'
  | 'authorization'
  | 'challenge'
  | 'finalize'
  | 'certificate'
  | 'renewalInfo'
  | 'other';

export interface AcmeRequestEvent {
  readonly kind: AcmeRequestKind;
  readonly method: string;
  readonly url: string;
  /** HTTP status; undefined when no response came back. */
  readonly status: number | undefined;
  readonly durationMs: number;
  /** The certificate the request served (OrderRequest.key), when it served one. */
  readonly subject?: string;
}

/** Called once for every request that went to the network (pooled nonces cost nothing). */
export type AcmeRequestObserver = (event: AcmeRequestEvent) => void;

/** The response shape acme-client reads: lower-case headers, JSON bodies parsed. */
export interface TransportResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly data: unknown;
}

export interface TransportOptions {
  /** PEM CA certificates trusted for this server instead of the system roots. */
  readonly caBundle?: string;
  readonly timeoutMs: number;
  readonly clock: Clock;
  readonly onRequest?: AcmeRequestObserver;
  readonly userAgent?: string;
}

interface CallContext {
  readonly kind: AcmeRequestKind;
  /** Retry-After of the last response in this call, for pollers. */
  retryAfter: Date | undefined;
}

const MAX_BODY_BYTES = 4 * 1024 * 1024;
const MAX_POOLED_NONCES = 16;
const BAD_NONCE = `${ACME_ERROR_PREFIX}badNonce`;

export class AcmeTransport {
  private readonly agent: HttpsAgent | HttpAgent;
  private readonly nonces: string[] = [];
  private readonly context = new AsyncLocalStorage<CallContext>();
  private readonly subject = new AsyncLocalStorage<string>();

  constructor(
    readonly directoryUrl: string,
    private readonly options: TransportOptions,
  ) {
    // One keep-alive agent per server: a new agent per request leaks sockets. Its TLS context is
    // built once: given `ca`, each new connection would parse the bundle into a context of its
    // own, milliseconds of the event loop per socket while many orders run at once.
    this.agent = directoryUrl.startsWith('https:')
      ? new HttpsAgent({
          keepAlive: true,
          secureContext: createSecureContext(options.caBundle === undefined ? {} : { ca: options.caBundle }),
        })
      : new HttpAgent({ keepAlive: true });
  }

  /**
   * Runs `fn` with its requests labelled `kind`, and returns the Retry-After of the last
   * response it saw (the poll interval an order or authorization asked for).
   */
  async call<T>(kind: AcmeRequestKind, fn: () => Promise<T>): Promise<{ value: T; retryAfter?: Date }> {
    const context: CallContext = { kind, retryAfter: undefined };
    const value = await this.context.run(context, fn);
    return context.retryAfter ? { value, retryAfter: context.retryAfter } : { value };
  }

  /** Runs `fn` with its requests attributed to `subject` (requests per certificate). */
  withSubject<T>(subject: string, fn: () => Promise<T>): Promise<T> {
    return this.subject.run(subject, fn);
  }

  /** acme-client's HttpClient.request contract: (url, method, { headers, data }). */
  async request(
    url: string,
    method: string,
    opts: { headers?: Record<string, string>; data?: unknown } = {},
  ): Promise<TransportResponse> {
    const upper = method.toUpperCase();
    if (upper === 'HEAD') {
      const pooled = this.nonces.pop();
      if (pooled) return { status: 200, headers: { 'replay-nonce': pooled }, data: '' };
    }
    const kind = this.kindOf(url, upper);
    const body = opts.data === undefined ? undefined : JSON.stringify(opts.data);
    const started = this.options.clock.now();
    let status: number | undefined;
    try {
      const response = await this.send(url, upper, body, opts.headers ?? {});
      status = response.status;
      return this.accept(url, upper, response);
    } finally {
      const subject = this.subject.getStore();
      this.options.onRequest?.({
        kind,
        method: upper,
        url,
        status,
        durationMs: this.options.clock.now() - started,
        ...(subject === undefined ? {} : { subject }),
      });
    }
  }

  /** An unauthenticated GET (the directory, ARI), with the same error mapping. */
  get(url: string): Promise<TransportResponse> {
    return this.request(url, 'GET');
  }

  close(): void {
    this.agent.destroy();
  }

  private kindOf(url: string, method: string): AcmeRequestKind {
    if (method === 'HEAD') return 'newNonce';
    if (method === 'GET' && url === this.directoryUrl) return 'directory';
    return this.context.getStore()?.kind ?? 'other';
  }

  private accept(url: string, method: string, response: TransportResponse): TransportResponse {
    const now = this.options.clock.now();
    const retryAfter = parseRetryAfter(response.headers['retry-after'], now);
    const context = this.context.getStore();
    if (context && retryAfter) context.retryAfter = retryAfter;
    const nonce = response.headers['replay-nonce'];
    const problem = isProblemDocument(response.data) ? response.data : undefined;
    if (problem?.type === BAD_NONCE) {
      // acme-client re-signs with this response's nonce; pooling it too would spend it twice.
      return response;
    }
    // A HEAD's nonce is its caller's, as is the one above: pooled too, it would be spent twice.
    if (nonce && method !== 'HEAD' && this.nonces.length < MAX_POOLED_NONCES) this.nonces.push(nonce);
    if (response.status < 400) return response;
    if (problem) throw AcmeError.fromProblem(problem, { status: response.status, retryAfter, url });
    const text = typeof response.data === 'string' ? response.data.slice(0, 200).trim() : '';
    throw new AcmeError({
      type: response.status === 429 ? `${ACME_ERROR_PREFIX}rateLimited` : LocalErrorType.http,
      detail: `HTTP ${response.status} from ${url}${text ? `: ${text}` : ''}`,
      status: response.status,
      retryAfter,
      url,
    });
  }

  private send(
    url: string,
    method: string,
    body: string | undefined,
    headers: Record<string, string>,
  ): Promise<TransportResponse> {
    return new Promise((resolve, reject) => {
      const target = new URL(url);
      const options = {
        method,
        agent: this.agent,
        headers: {
          ...headers,
          'user-agent': this.options.userAgent ?? 'gateway-worker',
          // acme-client's own request() set this; its replacement must too (RFC 8555 §6.2).
          ...(body === undefined
            ? {}
            : { 'content-type': 'application/jose+json', 'content-length': String(Buffer.byteLength(body)) }),
        },
      };
      const req =
        target.protocol === 'https:'
          ? httpsRequest(target, options, (res) => void collect(res).then(resolve, reject))
          : httpRequest(target, options, (res) => void collect(res).then(resolve, reject));
      req.setTimeout(this.options.timeoutMs, () => {
        req.destroy(
          new AcmeError({
            type: LocalErrorType.timeout,
            detail: `no answer from ${target.origin} within ${this.options.timeoutMs} ms (${method} ${url})`,
            url,
          }),
        );
      });
      req.on('error', (error) => reject(networkError(error, url)));
      req.end(body);
    });
  }
}

async function collect(res: IncomingMessage): Promise<TransportResponse> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      res.destroy();
      throw new AcmeError({
        type: LocalErrorType.protocol,
        detail: `response larger than ${MAX_BODY_BYTES} bytes`,
      });
    }
    chunks.push(chunk);
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(res.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  const text = Buffer.concat(chunks).toString('utf8');
  const contentType = headers['content-type'] ?? '';
  let data: unknown = text;
  if (contentType.includes('json') && text) {
    try {
      data = JSON.parse(text) as unknown;
    } catch {
      throw new AcmeError({
        type: LocalErrorType.protocol,
        detail: `invalid JSON from the ACME server (HTTP ${res.statusCode ?? 0})`,
        status: res.statusCode,
      });
    }
  }
  return { status: res.statusCode ?? 0, headers, data };
}

const TLS_CODES = /CERT|SIGNATURE|SELF_SIGNED|ERR_TLS|ERR_SSL/;

function networkError(error: Error & { code?: string }, url: string): AcmeError {
  if (error instanceof AcmeError) return error;
  const origin = new URL(url).origin;
  const code = error.code ?? '';
  const hint = TLS_CODES.test(code)
    ? ' (the server certificate is not trusted: set caBundle if the server uses a private CA)'
    : '';
  return new AcmeError({
    type: LocalErrorType.unreachable,
    detail: `cannot reach the ACME server ${origin}: ${error.message}${hint}`,
    url,
    cause: error,
  });
}
