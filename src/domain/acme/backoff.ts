/**
 * When to try an issuance again after a failure, by the failure's class (see failure-class.ts):
 *
 * - Definitive failures follow cert-manager's schedule: 1 h after the first, doubling to at
 *   most 32 h.
 * - Transient failures (the CA unreachable, 5xx, no answer) retry after 30 s, doubling to at
 *   most 4 min, less up to a fifth as jitter so certificates that failed together do not come
 *   back together. The cap keeps the next attempt after a CA's return at most 4 min away: with
 *   the attempt itself, the certificate is there within 5 min.
 * - Terminal failures are not retried: only a spec change starts a new attempt.
 *
 * The controller counts failures in status: failedIssuanceAttempts (all consecutive failures) and
 * transientFailures (how many of those were transient). The definitive back-off grows with the
 * definitive ones only, so an outage does not stretch the wait after the next real refusal. Both
 * reset on success and whenever the spec changes (metadata.generation differs from the
 * generation the failures were counted under), so fixing a mistake is retried at once.
 */
import type { FailureClass } from './failure-class.js';

export const DEFAULT_RETRY_INITIAL_MS = 3_600_000;
export const DEFAULT_RETRY_MAX_MS = 32 * 3_600_000;
export const DEFAULT_TRANSIENT_RETRY_INITIAL_MS = 30_000;
export const DEFAULT_TRANSIENT_RETRY_MAX_MS = 240_000;
/** The share of a transient delay that jitter may take off (never adds: the cap is a promise). */
export const TRANSIENT_JITTER_SHARE = 0.2;

export interface RetryOptions {
  /** Delay after the first definitive failure; 1 h by default. */
  readonly initialMs?: number;
  /** Upper bound for definitive failures; 32 h by default. */
  readonly maxMs?: number;
  /** Delay after the first transient failure; 30 s by default. */
  readonly transientInitialMs?: number;
  /** Upper bound for transient failures; 4 min by default. */
  readonly transientMaxMs?: number;
}

/** status.failedIssuanceAttempts and status.transientFailures. */
export interface FailureCounts {
  readonly failedIssuanceAttempts: number;
  readonly transientFailures: number;
}

export const NO_FAILURES: FailureCounts = { failedIssuanceAttempts: 0, transientFailures: 0 };

function doubling(n: number, initialMs: number, maxMs: number): number {
  if (!(n >= 1)) return 0;
  // Capping the exponent keeps 2^n finite; the min() does the real limiting.
  return Math.min(maxMs, initialMs * 2 ** Math.min(n - 1, 52));
}

/** How long to wait after `failedAttempts` consecutive definitive failures: 0 for none, then initial·2^(n−1) ≤ max. */
export function retryBackoff(failedAttempts: number, options: RetryOptions = {}): number {
  return doubling(
    failedAttempts,
    options.initialMs ?? DEFAULT_RETRY_INITIAL_MS,
    options.maxMs ?? DEFAULT_RETRY_MAX_MS,
  );
}

/**
 * How long to wait after `transientFailures` transient failures: initial·2^(n−1) ≤ max, less
 * `jitter` (a number in [0, 1)) times {@link TRANSIENT_JITTER_SHARE} of it.
 */
export function transientBackoff(transientFailures: number, options: RetryOptions = {}, jitter = 0): number {
  const delay = doubling(
    transientFailures,
    options.transientInitialMs ?? DEFAULT_TRANSIENT_RETRY_INITIAL_MS,
    options.transientMaxMs ?? DEFAULT_TRANSIENT_RETRY_MAX_MS,
  );
  const share = Number.isFinite(jitter) ? Math.min(Math.max(jitter, 0), 1) : 0;
  return Math.round(delay * (1 - TRANSIENT_JITTER_SHARE * share));
}

/** The counts after one more failure of `failure`'s class. */
export function countFailure(previous: FailureCounts, failure: FailureClass): FailureCounts {
  return {
    failedIssuanceAttempts: previous.failedIssuanceAttempts + 1,
    transientFailures: previous.transientFailures + (failure === 'Transient' ? 1 : 0),
  };
}

export interface RetryInput {
  readonly failedAt: Date;
  readonly failure: FailureClass;
  /** The counts including this failure (see {@link countFailure}). */
  readonly counts: FailureCounts;
  readonly options?: RetryOptions;
  /** The CA's Retry-After (a rateLimited answer, a 503): never try before it. */
  readonly retryAfter?: Date;
  /** A number in [0, 1) for the transient jitter; a stable one per certificate and attempt. */
  readonly jitter?: number;
}

/**
 * status.nextRetryTime after a failure, in whole seconds rounded up (what status stores, so
 * never before a Retry-After); undefined for a terminal failure, which waits for a spec change.
 */
export function nextRetryTime(input: RetryInput): Date | undefined {
  const { counts, options = {} } = input;
  let delay: number;
  switch (input.failure) {
    case 'Terminal':
      return undefined;
    case 'Transient':
      delay = transientBackoff(counts.transientFailures, options, input.jitter);
      break;
    case 'Definitive':
      delay = retryBackoff(Math.max(1, counts.failedIssuanceAttempts - counts.transientFailures), options);
      break;
  }
  const at = Math.max(input.failedAt.getTime() + delay, input.retryAfter?.getTime() ?? 0);
  return new Date(Math.ceil(at / 1000) * 1000);
}
