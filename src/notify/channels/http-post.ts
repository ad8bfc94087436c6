/**
 * One POST to a receiver, with node:http(s) so a channel's own CA bundle can be trusted. The
 * outcome is classified for the retry policy: 2xx sent; 408, 425, 429 and 5xx worth retrying
 * (with the receiver's Retry-After when it gives one); any other status refused for good;
 * connection errors and timeouts worth retrying. Messages name the host, never the URL's path or
 * query, where webhook tokens live.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { classifyHttpStatus, retryAfterMs, type AttemptResult } from '../../domain/notify/delivery-policy.js';

export interface PostOptions {
  readonly url: string;
  readonly body: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** PEM CA certificates to trust instead of the system roots. */
  readonly ca?: string;
  readonly signal: AbortSignal;
  readonly now: () => number;
}

const MAX_BODY_EXCERPT = 300;

export function postJson(options: PostOptions): Promise<AttemptResult> {
  let url: URL;
  try {
    url = new URL(options.url);
  } catch {
    return Promise.resolve({ outcome: 'permanent', error: 'the receiver URL is not a valid URL' });
  }
  const where = `${url.protocol}//${url.host}`;
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve) => {
    const req = request(
      url,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(options.body)),
          'user-agent': 'gateway-worker',
          ...options.headers,
        },
        ...(options.ca ? { ca: options.ca } : {}),
        signal: options.signal,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          if (size < MAX_BODY_EXCERPT) chunks.push(chunk);
          size += chunk.length;
        });
        res.on('error', () => undefined);
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          const outcome = classifyHttpStatus(status);
          if (outcome === 'sent') return resolve({ outcome: 'sent' });
          const excerpt = Buffer.concat(chunks)
            .toString('utf8')
            .slice(0, MAX_BODY_EXCERPT)
            .replace(/\s+/g, ' ')
            .trim();
          const error = `${where} answered HTTP ${status}${excerpt ? `: ${excerpt}` : ''}`;
          if (outcome === 'permanent') return resolve({ outcome, error });
          const header: string | undefined = res.headers['retry-after'];
          const after = retryAfterMs(header, options.now());
          resolve({ outcome, error, ...(after === undefined ? {} : { retryAfterMs: after }) });
        });
      },
    );
    req.on('error', (error: NodeJS.ErrnoException) => {
      const reason = options.signal.aborted ? 'no answer before the timeout' : (error.code ?? error.message);
      resolve({ outcome: 'retryable', error: `POST to ${where} failed: ${reason}` });
    });
    req.end(options.body);
  });
}

/** A base64 PEM bundle from a spec, decoded; undefined when unset. */
export function caFrom(caBundle: string | undefined): string | undefined {
  return caBundle === undefined ? undefined : Buffer.from(caBundle, 'base64').toString('utf8');
}
