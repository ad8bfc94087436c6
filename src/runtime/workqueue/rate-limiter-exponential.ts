import type { RateLimiter } from './rate-limiter.js';

/**
 * Per-key exponential backoff (client-go ItemExponentialFailureRateLimiter): the nth failure of a
 * key waits baseDelay × 2^(n−1), never more than maxDelay. One broken object backs off on its
 * own without slowing the others.
 */
export class ItemExponentialFailureRateLimiter implements RateLimiter {
  private readonly failures = new Map<string, number>();

  constructor(
    private readonly baseDelayMs: number,
    private readonly maxDelayMs: number,
  ) {
    if (!(baseDelayMs >= 0) || !(maxDelayMs >= baseDelayMs)) {
      throw new RangeError(`invalid backoff: base ${baseDelayMs} ms, max ${maxDelayMs} ms`);
    }
  }

  when(key: string): number {
    const exponent = this.failures.get(key) ?? 0;
    this.failures.set(key, exponent + 1);
    // 2 ** exponent reaches Infinity long before the counter could overflow, and the cap absorbs it.
    return Math.min(this.baseDelayMs * 2 ** exponent, this.maxDelayMs);
  }

  forget(key: string): void {
    this.failures.delete(key);
  }

  numRequeues(key: string): number {
    return this.failures.get(key) ?? 0;
  }
}
