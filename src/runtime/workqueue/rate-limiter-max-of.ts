import type { RateLimiter } from './rate-limiter.js';

/**
 * The strictest of several limiters (client-go MaxOfRateLimiter). Every limiter is consulted on
 * each failure, even when another already answers a longer delay, so each keeps its own count.
 */
export class MaxOfRateLimiter implements RateLimiter {
  private readonly limiters: readonly RateLimiter[];

  constructor(...limiters: RateLimiter[]) {
    if (limiters.length === 0) throw new RangeError('MaxOfRateLimiter needs at least one limiter');
    this.limiters = limiters;
  }

  when(key: string): number {
    return this.limiters.reduce((longest, limiter) => Math.max(longest, limiter.when(key)), 0);
  }

  forget(key: string): void {
    for (const limiter of this.limiters) limiter.forget(key);
  }

  numRequeues(key: string): number {
    return this.limiters.reduce((most, limiter) => Math.max(most, limiter.numRequeues(key)), 0);
  }
}
