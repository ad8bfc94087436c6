/**
 * Back-off after failed issuance, cert-manager's schedule: 1 h after the first failure, doubling
 * to at most 32 h. The controller counts failures in status.failedIssuanceAttempts and resets it
 * to 0 on success and whenever the spec changes (metadata.generation differs from the generation
 * the failures were counted under), so fixing a mistake is retried at once.
 */

export const DEFAULT_RETRY_INITIAL_MS = 3_600_000;
export const DEFAULT_RETRY_MAX_MS = 32 * 3_600_000;

export interface RetryOptions {
  /** Delay after the first failure; 1 h by default. */
  readonly initialMs?: number;
  /** Upper bound; 32 h by default. */
  readonly maxMs?: number;
}

/** How long to wait after `failedAttempts` consecutive failures: 0 for none, then initial·2^(n−1) ≤ max. */
export function retryBackoff(failedAttempts: number, options: RetryOptions = {}): number {
  const initialMs = options.initialMs ?? DEFAULT_RETRY_INITIAL_MS;
  const maxMs = options.maxMs ?? DEFAULT_RETRY_MAX_MS;
  if (!(failedAttempts >= 1)) return 0;
  // Capping the exponent keeps 2^n finite; the min() does the real limiting.
  return Math.min(maxMs, initialMs * 2 ** Math.min(failedAttempts - 1, 52));
}

/**
 * status.nextRetryTime: the back-off after the last failure, but never before a Retry-After the
 * CA sent (a rateLimited error's or a 503's), which is honoured exactly.
 */
export function nextRetryTime(
  lastFailureTime: Date,
  failedAttempts: number,
  options: RetryOptions = {},
  retryAfter?: Date,
): Date {
  const backoff = lastFailureTime.getTime() + retryBackoff(failedAttempts, options);
  return new Date(Math.max(backoff, retryAfter?.getTime() ?? 0));
}
