/**
 * How long a failed key waits before it runs again: client-go's workqueue.RateLimiter contract,
 * kept tiny so limiters compose (see rate-limiter-max-of.ts) and tests can substitute their own.
 */
export interface RateLimiter {
  /** Milliseconds `key` must wait before it is retried. Counts as one more failure of `key`. */
  when(key: string): number;
  /** Stops tracking `key`, so its next failure starts again from the shortest delay. */
  forget(key: string): void;
  /** Failures counted for `key` since it was last forgotten. */
  numRequeues(key: string): number;
}
