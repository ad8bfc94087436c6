import { expect } from 'chai';
import {
  classifyHttpStatus,
  decideAfterAttempt,
  MAX_RETRY_AFTER_MS,
  retryAfterMs,
  type RetrySettings,
} from './delivery-policy.js';
import { take } from './rate-limit.js';

const settings: RetrySettings = { maxAttempts: 4, initialBackoffMs: 1000, maxBackoffMs: 5000 };
const now = Date.UTC(2026, 0, 1);
const noJitter = () => 0;

describe('delivery retries', () => {
  it('backs off exponentially up to the maximum', () => {
    const delays = [1, 2, 3].map((attempt) => {
      const d = decideAfterAttempt(
        attempt,
        { outcome: 'retryable', error: 'HTTP 503' },
        settings,
        now,
        noJitter,
      );
      return d.next === 'retry' ? d.delayMs : -1;
    });
    expect(delays).to.deep.equal([1000, 2000, 4000]);
  });

  it('honours Retry-After instead of its own back-off, longer or shorter', () => {
    const long = decideAfterAttempt(
      1,
      { outcome: 'retryable', error: 'HTTP 429', retryAfterMs: 120_000 },
      settings,
      now,
      noJitter,
    );
    expect(long).to.deep.equal({
      next: 'retry',
      at: now + 120_000,
      delayMs: 120_000,
      honouredRetryAfter: true,
    });
    const short = decideAfterAttempt(
      3,
      { outcome: 'retryable', error: 'HTTP 429', retryAfterMs: 0 },
      settings,
      now,
      noJitter,
    );
    expect(short).to.include({ next: 'retry', at: now });
  });

  it('caps an absurd Retry-After at one hour', () => {
    const d = decideAfterAttempt(
      1,
      { outcome: 'retryable', error: 'HTTP 429', retryAfterMs: 10 * 86_400_000 },
      settings,
      now,
    );
    expect(d).to.include({ delayMs: MAX_RETRY_AFTER_MS });
  });

  it('goes to the dead letter after the last attempt, saying how many there were', () => {
    const d = decideAfterAttempt(4, { outcome: 'retryable', error: 'HTTP 503' }, settings, now);
    expect(d).to.deep.equal({ next: 'dead', reason: 'HTTP 503 (gave up after 4 attempts)' });
  });

  it('sends a refusal no retry can fix to the dead letter at once', () => {
    expect(decideAfterAttempt(1, { outcome: 'permanent', error: 'HTTP 404' }, settings, now)).to.deep.equal({
      next: 'dead',
      reason: 'HTTP 404',
    });
  });

  const statuses: [number, string][] = [
    [200, 'sent'],
    [202, 'sent'],
    [204, 'sent'],
    [400, 'permanent'],
    [401, 'permanent'],
    [403, 'permanent'],
    [404, 'permanent'],
    [408, 'retryable'],
    [413, 'permanent'],
    [429, 'retryable'],
    [500, 'retryable'],
    [503, 'retryable'],
  ];
  for (const [status, expected] of statuses) {
    it(`treats HTTP ${status} as ${expected}`, () => expect(classifyHttpStatus(status)).to.equal(expected));
  }

  it('reads Retry-After as seconds or an HTTP date, and ignores anything else', () => {
    expect(retryAfterMs('7', now)).to.equal(7000);
    expect(retryAfterMs(new Date(now + 90_000).toUTCString(), now)).to.equal(90_000);
    expect(retryAfterMs(new Date(now - 90_000).toUTCString(), now)).to.equal(0);
    expect(retryAfterMs('1e3', now)).to.equal(undefined);
    expect(retryAfterMs('soon', now)).to.equal(undefined);
    expect(retryAfterMs(null, now)).to.equal(undefined);
  });
});

describe('per-channel rate limit', () => {
  it('lets a burst through, then one per refill period', () => {
    const limit = { perMinute: 6, burst: 2 };
    let r = take(undefined, limit, now);
    expect(r.ok).to.equal(true);
    r = take(r.bucket, limit, now);
    expect(r.ok).to.equal(true);
    r = take(r.bucket, limit, now);
    expect(r).to.deep.include({ ok: false, waitMs: 10_000 });
    r = take(r.bucket, limit, now + 9_999);
    expect(r.ok).to.equal(false);
    r = take(r.bucket, limit, now + 10_000);
    expect(r.ok).to.equal(true);
  });

  it('never saves up more than the burst', () => {
    const limit = { perMinute: 60, burst: 3 };
    let bucket = take(undefined, limit, now).bucket;
    let allowed = 0;
    const later = now + 3_600_000;
    for (let i = 0; i < 10; i += 1) {
      const r = take(bucket, limit, later);
      bucket = r.bucket;
      if (r.ok) allowed += 1;
    }
    expect(allowed).to.equal(3);
  });
});
