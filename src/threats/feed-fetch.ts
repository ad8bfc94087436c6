/**
 * Downloads a threat feed, within its limits: a conditional GET (If-None-Match, If-Modified-Since)
 * when a list of the same source is in service, one deadline for the whole exchange body
 * included, a byte ceiling enforced while reading, and a body that ends early (the connection
 * closed before Content-Length or the last chunk) told apart from a complete one. Messages never
 * quote the URL, headers or body: the URL may carry a key, and a feed may point anywhere.
 */
import type { FeedFailureReason } from '../domain/threats/feed-rules.js';

export interface FeedRequest {
  readonly url: string;
  /** The auth header, if any; never logged. */
  readonly header?: { readonly name: string; readonly value: string };
  readonly etag?: string;
  readonly lastModified?: string;
  readonly timeoutMs: number;
  readonly maxBytes: number;
  /** Aborted when the operator stops or loses the lead. */
  readonly signal?: AbortSignal;
}

export type FeedResponse =
  | { readonly kind: 'not-modified' }
  | {
      readonly kind: 'body';
      readonly body: string;
      readonly bytes: number;
      readonly etag: string | undefined;
      readonly lastModified: string | undefined;
    }
  | { readonly kind: 'failed'; readonly reason: FeedFailureReason; readonly message: string };

export const USER_AGENT = 'gateway-worker (threat feed refresh; https://github.com/awesomeapibrasil)';

export async function fetchFeed(request: FeedRequest): Promise<FeedResponse> {
  const timeout = AbortSignal.timeout(request.timeoutMs);
  const signal = request.signal ? AbortSignal.any([timeout, request.signal]) : timeout;
  const headers: Record<string, string> = { 'user-agent': USER_AGENT, accept: '*/*' };
  if (request.etag) headers['if-none-match'] = request.etag;
  if (request.lastModified) headers['if-modified-since'] = request.lastModified;
  if (request.header) headers[request.header.name.toLowerCase()] = request.header.value;
  const seconds = `${Math.round(request.timeoutMs / 100) / 10}s`;
  const failed = (reason: FeedFailureReason, message: string): FeedResponse => ({
    kind: 'failed',
    reason,
    message,
  });
  let response: Response;
  try {
    response = await fetch(request.url, { headers, signal, redirect: 'follow' });
  } catch (error) {
    if (timeout.aborted) return failed('Timeout', `no answer within the timeout of ${seconds}`);
    if (request.signal?.aborted)
      return failed('FetchFailed', 'the download was stopped (the operator is stopping)');
    return failed('FetchFailed', `the download failed: ${causeOf(error)}`);
  }
  if (response.status === 304) {
    await response.body?.cancel();
    return { kind: 'not-modified' };
  }
  if (response.status !== 200) {
    await response.body?.cancel();
    return failed(
      'HttpError',
      `the server answered HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`,
    );
  }
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (declared > request.maxBytes) {
    await response.body?.cancel();
    return failed('TooLarge', `the body is ${declared} bytes, more than spec.maxBytes (${request.maxBytes})`);
  }
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  try {
    // Leaving the loop early cancels the stream (and the download).
    const body = response.body as AsyncIterable<Uint8Array> | null;
    for await (const value of body ?? []) {
      bytes += value.byteLength;
      if (bytes > request.maxBytes) {
        return failed('TooLarge', `the body grew past spec.maxBytes (${request.maxBytes} bytes)`);
      }
      chunks.push(value);
    }
  } catch (error) {
    if (timeout.aborted)
      return failed(
        'Timeout',
        `the body did not arrive within the timeout of ${seconds} (${bytes} bytes read)`,
      );
    if (request.signal?.aborted)
      return failed('FetchFailed', 'the download was stopped (the operator is stopping)');
    return failed(
      'Truncated',
      `the connection ended before the whole body arrived (${bytes} bytes read): ${causeOf(error)}`,
    );
  }
  // Without compression undici checks Content-Length itself; this catches what slips through.
  if (Number.isFinite(declared) && !response.headers.get('content-encoding') && bytes < declared) {
    return failed('Truncated', `the body has ${bytes} of the ${declared} bytes announced`);
  }
  return {
    kind: 'body',
    body: new TextDecoder('utf-8').decode(Buffer.concat(chunks)),
    bytes,
    etag: response.headers.get('etag') ?? undefined,
    lastModified: response.headers.get('last-modified') ?? undefined,
  };
}

/** The innermost cause of a fetch error ("connect ECONNREFUSED 127.0.0.1:1", "other side closed"). */
function causeOf(error: unknown): string {
  let current: unknown = error;
  for (let depth = 0; depth < 5; depth += 1) {
    const cause = (current as { cause?: unknown } | undefined)?.cause;
    if (cause === undefined || cause === null) break;
    current = cause;
  }
  const text = current instanceof Error ? current.message : String(current);
  // undici quotes the URL in some messages; it is not ours to repeat.
  return text.replace(/https?:\/\/\S+/g, '(the feed URL)');
}
