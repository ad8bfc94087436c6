/**
 * One HTTP request for the API-based DNS providers, with a deadline and errors that name the
 * endpoint, so "fetch failed" never reaches a Certificate's status on its own.
 */

export interface HttpRequest {
  readonly method: 'GET' | 'POST' | 'DELETE';
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly timeoutMs?: number;
}

export interface HttpResponse {
  readonly status: number;
  readonly statusText: string;
  readonly body: string;
}

export const DEFAULT_HTTP_TIMEOUT_MS = 30_000;

export async function httpCall(url: URL, request: HttpRequest): Promise<HttpResponse> {
  const timeoutMs = request.timeoutMs ?? DEFAULT_HTTP_TIMEOUT_MS;
  try {
    // A deadline on real sockets: AbortSignal.timeout runs on the system clock by design.
    const response = await fetch(url, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      redirect: 'error',
      signal: AbortSignal.timeout(timeoutMs),
    });
    return { status: response.status, statusText: response.statusText, body: await response.text() };
  } catch (err) {
    const error = err as Error & { cause?: Error };
    const reason =
      error.name === 'TimeoutError'
        ? `no answer within ${timeoutMs} ms`
        : (error.cause?.message ?? error.message);
    throw new Error(`${request.method} ${url.origin}${url.pathname} failed: ${reason}`, { cause: err });
  }
}

/** The start of a response body, on one line, for an error message. */
export function excerpt(body: string, max = 300): string {
  const flat = body.replace(/\s+/g, ' ').trim();
  if (flat === '') return '(empty body)';
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

/** `base` + `path`, keeping any path prefix `base` has (e.g. Cloudflare's /client/v4). */
export function joinUrl(base: string, path: string, query: Readonly<Record<string, string>> = {}): URL {
  const url = new URL(base.replace(/\/+$/, '') + path);
  for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
  return url;
}
