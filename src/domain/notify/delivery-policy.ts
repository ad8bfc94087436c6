/**
 * What happens after one delivery attempt: done, another attempt later, or the dead letter.
 * Exponential back-off with jitter, except that a receiver's `Retry-After` (on a 429 or a 503)
 * is honoured: the next attempt is never earlier than the receiver asked (Alertmanager retries
 * on its own schedule whatever the receiver says — its issue #2111). A refusal no retry can fix
 * (a 400, a 401, a 404) goes to the dead letter at once. Pure: time and randomness come in.
 */
export interface RetrySettings {
  /** Attempts in all, the first included; then the dead letter. */
  readonly maxAttempts: number;
  readonly initialBackoffMs: number;
  readonly maxBackoffMs: number;
}

export const DEFAULT_RETRY: RetrySettings = {
  maxAttempts: 8,
  initialBackoffMs: 10_000,
  maxBackoffMs: 600_000,
};

/** The longest Retry-After honoured; a receiver asking for more is retried after this. */
export const MAX_RETRY_AFTER_MS = 3_600_000;
const JITTER = 0.2;

export type AttemptResult =
  | { readonly outcome: 'sent' }
  /** Worth trying again: network errors, timeouts, 408, 429, 5xx. */
  | { readonly outcome: 'retryable'; readonly error: string; readonly retryAfterMs?: number }
  /** No retry can fix it. */
  | { readonly outcome: 'permanent'; readonly error: string };

export type AttemptDecision =
  | { readonly next: 'sent' }
  | {
      readonly next: 'retry';
      readonly at: number;
      readonly delayMs: number;
      readonly honouredRetryAfter: boolean;
    }
  | { readonly next: 'dead'; readonly reason: string };

export function backoffMs(attempt: number, settings: RetrySettings, random: () => number): number {
  const exponent = Math.min(Math.max(attempt - 1, 0), 40);
  const base = Math.min(settings.maxBackoffMs, settings.initialBackoffMs * 2 ** exponent);
  return Math.round(Math.min(settings.maxBackoffMs, base + base * JITTER * random()));
}

/** After the `attempts`-th attempt (1-based) ended with `result` at `now`. */
export function decideAfterAttempt(
  attempts: number,
  result: AttemptResult,
  settings: RetrySettings,
  now: number,
  random: () => number = Math.random,
): AttemptDecision {
  if (result.outcome === 'sent') return { next: 'sent' };
  if (result.outcome === 'permanent') return { next: 'dead', reason: result.error };
  if (attempts >= settings.maxAttempts) {
    return { next: 'dead', reason: `${result.error} (gave up after ${attempts} attempts)` };
  }
  const backoff = backoffMs(attempts, settings, random);
  const asked =
    result.retryAfterMs === undefined
      ? undefined
      : Math.min(Math.max(result.retryAfterMs, 0), MAX_RETRY_AFTER_MS);
  const delayMs = asked === undefined ? backoff : asked;
  return { next: 'retry', at: now + delayMs, delayMs, honouredRetryAfter: asked !== undefined };
}

/** How an HTTP status is treated. */
export function classifyHttpStatus(status: number): 'sent' | 'retryable' | 'permanent' {
  if (status >= 200 && status < 300) return 'sent';
  if (status === 408 || status === 425 || status === 429 || status >= 500) return 'retryable';
  return 'permanent';
}

/**
 * Retry-After (RFC 9110 §10.2.3) as a delay from `now`: delay-seconds or an HTTP-date; anything
 * else is ignored rather than guessed at.
 */
export function retryAfterMs(header: string | null | undefined, now: number): number | undefined {
  const value = header?.trim();
  if (!value) return undefined;
  if (/^\d{1,10}$/.test(value)) return Number(value) * 1000;
  if (!/[A-Za-z]/.test(value)) return undefined;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
