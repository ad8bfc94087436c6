/**
 * A small HTTPS reverse proxy in front of Pebble, for what Pebble cannot do itself: it
 * answers chosen requests with `429 urn:ietf:params:acme:error:rateLimited` and Retry-After
 * (Pebble enforces no rate limits), plays dead, and counts every request by ACME resource, so
 * a test can assert "no attempt before Retry-After" and "Pebble saw one newOrder".
 *
 * Pebble builds every URL it returns from the request's Host header, so forwarding Host
 * unchanged keeps clients talking to the front without rewriting bodies.
 */
import { Agent, createServer, request as httpsRequest, type Server } from 'node:https';
import { createSecureContext } from 'node:tls';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** ACME resources, told apart by Pebble's paths. */
export type AcmeResource =
  | 'directory'
  | 'newNonce'
  | 'newAccount'
  | 'account'
  | 'newOrder'
  | 'order'
  | 'orders'
  | 'authorization'
  | 'challenge'
  | 'finalize'
  | 'certificate'
  | 'renewalInfo'
  | 'revokeCert'
  | 'keyChange'
  | 'other';

const PEBBLE_PATHS: readonly (readonly [string, AcmeResource])[] = [
  ['/dir', 'directory'],
  ['/nonce-plz', 'newNonce'],
  ['/sign-me-up', 'newAccount'],
  ['/my-account/', 'account'],
  ['/order-plz', 'newOrder'],
  ['/my-order/', 'order'],
  ['/list-orderz/', 'orders'],
  ['/authZ/', 'authorization'],
  ['/chalZ/', 'challenge'],
  ['/finalize-order/', 'finalize'],
  ['/certZ/', 'certificate'],
  ['/draft-ietf-acme-ari-03/renewalInfo/', 'renewalInfo'],
  ['/revoke-cert', 'revokeCert'],
  ['/rollover-account-key', 'keyChange'],
];

export function resourceOf(path: string): AcmeResource {
  const pathname = path.split('?')[0] ?? path;
  for (const [prefix, resource] of PEBBLE_PATHS) {
    if (prefix.endsWith('/') ? pathname.startsWith(prefix) : pathname === prefix) return resource;
  }
  return 'other';
}

export interface FrontRequest {
  readonly resource: AcmeResource;
  readonly method: string;
  readonly path: string;
  readonly status: number;
  /** Answered by the front itself (an injected error), not by Pebble. */
  readonly injected: boolean;
  /** When the request arrived at the front. */
  readonly at: Date;
  /** The problem type of an error answer from Pebble, e.g. "urn:ietf:params:acme:error:badNonce". */
  readonly problem?: string;
}

export interface RateLimitOptions {
  /** Retry-After as delay-seconds or an instant (sent as an HTTP-date). */
  readonly retryAfter: number | Date;
  /** How many matching requests to refuse; default 1. */
  readonly times?: number;
  readonly detail?: string;
}

interface Injection {
  readonly resource: AcmeResource;
  remaining: number;
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface AcmeFrontTarget {
  /** Pebble's ACME port on 127.0.0.1. */
  readonly port: number;
  /** CA that signed Pebble's certificate (trusted for the upstream connection). */
  readonly caBundle: string;
  /** Certificate and key the front serves (Pebble's own: valid for 127.0.0.1). */
  readonly tls: { readonly certPem: string; readonly keyPem: string };
}

export class AcmeFront {
  readonly requests: FrontRequest[] = [];
  private readonly injections: Injection[] = [];
  private readonly holds = new Set<AcmeResource>();
  private readonly held: ServerResponse[] = [];
  private readonly sockets = new Set<Socket>();
  private unavailable = false;
  /** Keep-alive to the CA with one TLS context: a context per request costs the operator's process (the bench hosts both). */
  private readonly upstreamAgent: Agent;

  private constructor(
    private readonly server: Server,
    private readonly target: AcmeFrontTarget,
  ) {
    this.upstreamAgent = new Agent({
      keepAlive: true,
      secureContext: createSecureContext({ ca: target.caBundle }),
    });
  }

  static async start(target: AcmeFrontTarget): Promise<AcmeFront> {
    const server = createServer({ cert: target.tls.certPem, key: target.tls.keyPem });
    const front = new AcmeFront(server, target);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => front.handle(req, res));
    server.on('secureConnection', (socket: Socket) => {
      if (front.unavailable) {
        socket.destroy();
        return;
      }
      front.sockets.add(socket);
      socket.on('close', () => front.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return front;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get directoryUrl(): string {
    return `https://127.0.0.1:${this.port}/dir`;
  }

  /**
   * Requests for `resource` so far: all of them, only those Pebble answered (`forwardedOnly`),
   * or only those answered with `status` (e.g. 201: orders Pebble created).
   */
  count(resource: AcmeResource, options: { forwardedOnly?: boolean; status?: number } = {}): number {
    return this.requests.filter(
      (r) =>
        r.resource === resource &&
        !(options.forwardedOnly && r.injected) &&
        (options.status === undefined || r.status === options.status),
    ).length;
  }

  /** The next `times` requests for `resource` get 429 rateLimited with Retry-After. */
  rateLimit(resource: AcmeResource, options: RateLimitOptions): void {
    const retryAfter =
      typeof options.retryAfter === 'number' ? String(options.retryAfter) : options.retryAfter.toUTCString();
    this.inject(
      resource,
      429,
      {
        type: 'urn:ietf:params:acme:error:rateLimited',
        detail: options.detail ?? `too many ${resource} requests (injected by the test front)`,
        status: 429,
      },
      { 'retry-after': retryAfter },
      options.times ?? 1,
    );
  }

  /** The next `times` requests for `resource` get `status` with `problem` as the body. */
  inject(
    resource: AcmeResource,
    status: number,
    problem: object,
    headers: Readonly<Record<string, string>> = {},
    times = 1,
  ): void {
    this.injections.push({
      resource,
      remaining: times,
      status,
      headers: { 'content-type': 'application/problem+json', ...headers },
      body: JSON.stringify(problem),
    });
  }

  /**
   * Requests for `resource` get no answer until {@link release}, as from a CA that hangs in the
   * middle of an order. They are recorded with status 0 and `injected`.
   */
  hold(resource: AcmeResource): void {
    this.holds.add(resource);
  }

  /** How many requests are being held unanswered now. */
  get heldCount(): number {
    return this.held.length;
  }

  /** Stops holding: the held requests' connections are closed without an answer. */
  release(): void {
    this.holds.clear();
    for (const res of this.held.splice(0)) res.socket?.destroy();
  }

  /** While true, every connection is closed at once, as if the CA were down. */
  setUnavailable(unavailable: boolean): void {
    this.unavailable = unavailable;
    if (unavailable) for (const socket of this.sockets) socket.destroy();
  }

  reset(): void {
    this.requests.length = 0;
    this.injections.length = 0;
    this.release();
  }

  async stop(): Promise<void> {
    this.upstreamAgent.destroy();
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = req.url ?? '/';
    const method = req.method ?? 'GET';
    const resource = resourceOf(path);
    const at = new Date();
    const record = (status: number, injected: boolean, problem?: string): void => {
      this.requests.push({ resource, method, path, status, injected, at, ...(problem ? { problem } : {}) });
    };
    if (this.holds.has(resource)) {
      req.resume();
      record(0, true);
      this.held.push(res);
      return;
    }
    const injection = this.injections.find((i) => i.resource === resource && i.remaining > 0);
    if (injection) {
      injection.remaining -= 1;
      req.resume();
      record(injection.status, true);
      res.writeHead(injection.status, injection.headers);
      res.end(injection.body);
      return;
    }
    const upstream = httpsRequest(
      {
        host: '127.0.0.1',
        port: this.target.port,
        method,
        path,
        headers: req.headers,
        // Checked against 127.0.0.1 (the certificate names it), not against the Host header.
        agent: this.upstreamAgent,
      },
      (answer) => {
        const status = answer.statusCode ?? 502;
        res.writeHead(status, answer.headers);
        answer.pipe(res);
        if (status < 400) {
          record(status, false);
          return;
        }
        const body: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => body.push(chunk));
        answer.on('end', () => record(status, false, problemType(Buffer.concat(body).toString('utf8'))));
      },
    );
    upstream.on('error', (error) => {
      record(502, true);
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`front: ${error.message}`);
    });
    req.pipe(upstream);
  }
}

function problemType(body: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(body);
    return typeof parsed === 'object' &&
      parsed !== null &&
      'type' in parsed &&
      typeof parsed.type === 'string'
      ? parsed.type
      : undefined;
  } catch {
    return undefined;
  }
}
