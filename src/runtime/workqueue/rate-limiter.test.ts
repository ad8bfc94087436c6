import { expect } from 'chai';
import { FakeClock } from '../clock.js';
import type { RateLimiter } from './rate-limiter.js';
import { BucketRateLimiter } from './rate-limiter-bucket.js';
import { defaultControllerRateLimiter } from './rate-limiter-default.js';
import { ItemExponentialFailureRateLimiter } from './rate-limiter-exponential.js';
import { MaxOfRateLimiter } from './rate-limiter-max-of.js';

const SECOND = 1000;

function delays(limiter: RateLimiter, key: string, count: number): number[] {
  return Array.from({ length: count }, () => limiter.when(key));
}

describe('ItemExponentialFailureRateLimiter', () => {
  const cases: { failure: number; delayMs: number }[] = [
    { failure: 1, delayMs: 5 },
    { failure: 2, delayMs: 10 },
    { failure: 3, delayMs: 20 },
    { failure: 4, delayMs: 40 },
    { failure: 18, delayMs: 5 * 2 ** 17 },
    { failure: 19, delayMs: 1000 * SECOND },
    { failure: 2000, delayMs: 1000 * SECOND },
  ];
  for (const { failure, delayMs } of cases) {
    it(`waits ${delayMs} ms after failure ${failure}`, () => {
      const limiter = new ItemExponentialFailureRateLimiter(5, 1000 * SECOND);
      expect(delays(limiter, 'ns/a', failure).at(-1)).to.equal(delayMs);
      expect(limiter.numRequeues('ns/a')).to.equal(failure);
    });
  }

  it('backs each key off on its own', () => {
    const limiter = new ItemExponentialFailureRateLimiter(5, 1000 * SECOND);
    delays(limiter, 'ns/a', 3);
    expect(limiter.when('ns/b')).to.equal(5);
    expect(limiter.numRequeues('ns/a')).to.equal(3);
  });

  it('starts again from the base delay after forget', () => {
    const limiter = new ItemExponentialFailureRateLimiter(5, 1000 * SECOND);
    expect(delays(limiter, 'ns/a', 3)).to.deep.equal([5, 10, 20]);
    limiter.forget('ns/a');
    expect(limiter.numRequeues('ns/a')).to.equal(0);
    expect(limiter.when('ns/a')).to.equal(5);
  });

  it('refuses a maximum below the base delay', () => {
    expect(() => new ItemExponentialFailureRateLimiter(10, 5)).to.throw(RangeError);
  });
});

describe('BucketRateLimiter', () => {
  it('lets the first 100 through at once, then spaces the rest 100 ms apart', () => {
    const limiter = new BucketRateLimiter({ qps: 10, burst: 100, clock: new FakeClock() });
    const answers = Array.from({ length: 104 }, (_, i) => limiter.when(`ns/k${i}`));
    expect(answers.slice(0, 100).every((ms) => ms === 0)).to.equal(true);
    expect(answers.slice(100)).to.deep.equal([100, 200, 300, 400]);
  });

  it('refills at qps but never beyond the burst', () => {
    const clock = new FakeClock();
    const limiter = new BucketRateLimiter({ qps: 10, burst: 2, clock });
    expect(delays(limiter, 'k', 3)).to.deep.equal([0, 0, 100]);
    clock.advance(100);
    // The token that arrived was already reserved by the third request.
    expect(limiter.when('k')).to.equal(100);
    clock.advance(60 * SECOND);
    expect(delays(limiter, 'k', 3)).to.deep.equal([0, 0, 100]);
  });

  it('neither counts nor forgets keys', () => {
    const limiter = new BucketRateLimiter({ qps: 10, burst: 1, clock: new FakeClock() });
    delays(limiter, 'k', 2);
    limiter.forget('k');
    expect(limiter.numRequeues('k')).to.equal(0);
    expect(limiter.when('k')).to.equal(200);
  });

  const invalid: { why: string; qps: number; burst: number }[] = [
    { why: 'an empty bucket', qps: 10, burst: 0 },
    { why: 'a fractional burst', qps: 10, burst: 1.5 },
    { why: 'zero qps', qps: 0, burst: 1 },
    { why: 'infinite qps', qps: Infinity, burst: 1 },
  ];
  for (const { why, qps, burst } of invalid) {
    it(`refuses ${why}`, () => {
      expect(() => new BucketRateLimiter({ qps, burst, clock: new FakeClock() })).to.throw(RangeError);
    });
  }
});

/** A limiter that answers a fixed list of delays, to see how they combine. */
function scripted(answers: number[]): RateLimiter & { forgotten: string[] } {
  let calls = 0;
  const forgotten: string[] = [];
  return {
    forgotten,
    when: () => answers[calls++] ?? 0,
    forget: (key) => forgotten.push(key),
    numRequeues: () => calls,
  };
}

describe('MaxOfRateLimiter', () => {
  it('answers the longest delay while every limiter counts the failure', () => {
    const short = scripted([5, 50]);
    const long = scripted([30, 10]);
    const limiter = new MaxOfRateLimiter(short, long);
    expect(delays(limiter, 'k', 2)).to.deep.equal([30, 50]);
    expect(limiter.numRequeues('k')).to.equal(2);
  });

  it('forgets the key in every limiter', () => {
    const first = scripted([]);
    const second = scripted([]);
    new MaxOfRateLimiter(first, second).forget('ns/a');
    expect([first.forgotten, second.forgotten]).to.deep.equal([['ns/a'], ['ns/a']]);
  });

  it('needs at least one limiter', () => {
    expect(() => new MaxOfRateLimiter()).to.throw(RangeError);
  });
});

describe('defaultControllerRateLimiter', () => {
  it('follows per-key backoff while the shared bucket has tokens', () => {
    const limiter = defaultControllerRateLimiter(new FakeClock());
    expect(delays(limiter, 'ns/a', 4)).to.deep.equal([5, 10, 20, 40]);
    expect(limiter.numRequeues('ns/a')).to.equal(4);
  });

  it('holds fresh keys back by the bucket once 100 retries have gone through', () => {
    const limiter = defaultControllerRateLimiter(new FakeClock());
    for (let i = 0; i < 100; i++) expect(limiter.when(`ns/k${i}`)).to.equal(5);
    expect(limiter.when('ns/late')).to.equal(100);
  });
});
