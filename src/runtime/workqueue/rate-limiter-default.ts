import { type Clock, systemClock } from '../clock.js';
import type { RateLimiter } from './rate-limiter.js';
import { BucketRateLimiter } from './rate-limiter-bucket.js';
import { ItemExponentialFailureRateLimiter } from './rate-limiter-exponential.js';
import { MaxOfRateLimiter } from './rate-limiter-max-of.js';

/**
 * client-go's DefaultControllerRateLimiter, which controller-runtime uses unless told otherwise:
 * per-key backoff 5 ms doubling up to 1000 s, and at most 10 retries a second overall after a
 * burst of 100. Matching it keeps our retry behaviour what operators of Go controllers expect.
 */
export function defaultControllerRateLimiter(clock: Clock = systemClock): RateLimiter {
  return new MaxOfRateLimiter(
    new ItemExponentialFailureRateLimiter(5, 1000 * 1000),
    new BucketRateLimiter({ qps: 10, burst: 100, clock }),
  );
}
