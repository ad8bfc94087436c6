import { type Clock, systemClock } from '../clock.js';
import type { RateLimiter } from './rate-limiter.js';

export interface BucketRateLimiterOptions {
  /** Tokens added per second. */
  qps: number;
  /** Bucket size: how many retries may go through back to back. */
  burst: number;
  clock?: Clock;
}

/**
 * One token bucket shared by every key (client-go BucketRateLimiter over golang.org/x/time/rate).
 * Like rate.Limiter.Reserve it lets the balance go negative: each request beyond the burst
 * reserves the next future token, so the nth such request waits n/qps seconds. That bounds the
 * overall retry rate when many keys fail at once, which per-key backoff alone cannot.
 */
export class BucketRateLimiter implements RateLimiter {
  private readonly qps: number;
  private readonly burst: number;
  private readonly clock: Clock;
  private tokens: number;
  private last: number;

  constructor({ qps, burst, clock = systemClock }: BucketRateLimiterOptions) {
    // x/time/rate answers an infinite delay for burst 0; refusing it early is kinder than a stuck key.
    if (!(qps > 0) || !Number.isFinite(qps))
      throw new RangeError(`qps must be a positive number, got ${qps}`);
    if (!Number.isInteger(burst) || burst < 1)
      throw new RangeError(`burst must be an integer ≥ 1, got ${burst}`);
    this.qps = qps;
    this.burst = burst;
    this.clock = clock;
    this.tokens = burst;
    this.last = clock.now();
  }

  when(_key: string): number {
    const now = this.clock.now();
    // A clock stepping backwards refills nothing, as in x/time/rate.
    const elapsed = Math.max(0, now - this.last);
    this.tokens = Math.min(this.burst, this.tokens + (elapsed * this.qps) / 1000);
    this.last = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : (-this.tokens * 1000) / this.qps;
  }

  forget(_key: string): void {
    // Reserved tokens are spent whatever happens to the key.
  }

  numRequeues(_key: string): number {
    return 0;
  }
}
