export type { RateLimiter } from './rate-limiter.js';
export { ItemExponentialFailureRateLimiter } from './rate-limiter-exponential.js';
export { BucketRateLimiter, type BucketRateLimiterOptions } from './rate-limiter-bucket.js';
export { MaxOfRateLimiter } from './rate-limiter-max-of.js';
export { defaultControllerRateLimiter } from './rate-limiter-default.js';
export { WorkQueue, type WorkQueueOptions } from './queue.js';
export { DURATION_BUCKETS } from './metrics.js';
