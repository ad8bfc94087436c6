/**
 * What happens after a job attempt fails: another attempt after an exponential back-off, or the
 * `dead` state once the attempts are used up. Pure: time and randomness are passed in.
 */
export interface RetryPolicy {
  /** Attempts in all, the first included (1 = never retried). */
  readonly maxAttempts: number;
  /** Delay before the second attempt; each later delay doubles. */
  readonly backoffInitialMs: number;
  readonly backoffMaxMs: number;
}

/** The share of each delay added at random, so jobs that failed together do not retry together. */
export const RETRY_JITTER = 0.2;

export type FailureDecision =
  { readonly kind: 'retry'; readonly runAt: number; readonly delayMs: number } | { readonly kind: 'dead' };

/**
 * The delay after the `attempt`-th failed attempt (1-based): initial·2^(attempt−1), capped at
 * the maximum, plus up to {@link RETRY_JITTER} of itself (still capped).
 */
export function retryDelayMs(
  attempt: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number {
  const exponent = Math.min(Math.max(attempt - 1, 0), 52);
  const base = Math.min(policy.backoffMaxMs, policy.backoffInitialMs * 2 ** exponent);
  return Math.round(Math.min(policy.backoffMaxMs, base + base * RETRY_JITTER * random()));
}

/** After `attempts` attempts, the last of which failed at `now`. */
export function decideAfterFailure(
  attempts: number,
  policy: RetryPolicy,
  now: number,
  random: () => number = Math.random,
): FailureDecision {
  if (attempts >= policy.maxAttempts) return { kind: 'dead' };
  const delayMs = retryDelayMs(attempts, policy, random);
  return { kind: 'retry', runAt: now + delayMs, delayMs };
}

/** Where a policy comes from configuration or code, refuse what cannot work. */
export function retryPolicyProblem(policy: RetryPolicy): string | undefined {
  if (!Number.isInteger(policy.maxAttempts) || policy.maxAttempts < 1 || policy.maxAttempts > 1000) {
    return `maxAttempts must be an integer from 1 to 1000, got ${policy.maxAttempts}`;
  }
  if (!(policy.backoffInitialMs >= 1) || !(policy.backoffMaxMs >= policy.backoffInitialMs)) {
    return `back-off must satisfy 1 <= initial (${policy.backoffInitialMs}) <= max (${policy.backoffMaxMs}) ms`;
  }
  if (policy.backoffMaxMs > 2_147_483_647)
    return 'back-off max must fit 32 bits of milliseconds (about 24 days)';
  return undefined;
}
