/**
 * A token bucket per channel: `burst` notifications at once, refilled at `perMinute`. A
 * notification that finds the bucket empty waits for the next token (it is not an attempt and
 * costs no retry). Pure: the state and the time are passed in.
 */
export interface RateLimit {
  readonly perMinute: number;
  readonly burst: number;
}

export const DEFAULT_RATE_LIMIT: RateLimit = { perMinute: 60, burst: 10 };

export interface Bucket {
  readonly tokens: number;
  readonly at: number;
}

export type TakeResult =
  | { readonly ok: true; readonly bucket: Bucket }
  | { readonly ok: false; readonly waitMs: number; readonly bucket: Bucket };

export function take(bucket: Bucket | undefined, limit: RateLimit, now: number): TakeResult {
  const perMs = limit.perMinute / 60_000;
  const start = bucket ?? { tokens: limit.burst, at: now };
  const tokens = Math.min(limit.burst, start.tokens + Math.max(0, now - start.at) * perMs);
  if (tokens >= 1) return { ok: true, bucket: { tokens: tokens - 1, at: now } };
  return { ok: false, waitMs: Math.ceil((1 - tokens) / perMs), bucket: { tokens, at: now } };
}
