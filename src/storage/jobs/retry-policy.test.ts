import { expect } from 'chai';
import { decideAfterFailure, retryDelayMs, retryPolicyProblem, type RetryPolicy } from './retry-policy.js';

const policy: RetryPolicy = { maxAttempts: 4, backoffInitialMs: 1_000, backoffMaxMs: 5_000 };
const noJitter = (): number => 0;
const fullJitter = (): number => 0.999999;

describe('retry policy', () => {
  it('doubles the delay after each failed attempt, up to the maximum', () => {
    expect([1, 2, 3, 4, 5].map((attempt) => retryDelayMs(attempt, policy, noJitter))).to.deep.equal([
      1_000, 2_000, 4_000, 5_000, 5_000,
    ]);
  });

  it('adds at most a fifth of the delay at random, never beyond the maximum', () => {
    expect(retryDelayMs(1, policy, fullJitter)).to.equal(1_200);
    expect(retryDelayMs(3, policy, fullJitter)).to.equal(4_800);
    expect(retryDelayMs(4, policy, fullJitter)).to.equal(5_000);
  });

  it('does not overflow after very many attempts', () => {
    expect(retryDelayMs(10_000, policy, noJitter)).to.equal(5_000);
  });

  it('retries at now + delay while attempts remain, then declares the job dead', () => {
    const now = Date.UTC(2026, 0, 1);
    expect(decideAfterFailure(1, policy, now, noJitter)).to.deep.equal({
      kind: 'retry',
      runAt: now + 1_000,
      delayMs: 1_000,
    });
    expect(decideAfterFailure(3, policy, now, noJitter)).to.deep.equal({
      kind: 'retry',
      runAt: now + 4_000,
      delayMs: 4_000,
    });
    expect(decideAfterFailure(4, policy, now, noJitter)).to.deep.equal({ kind: 'dead' });
  });

  it('never retries a job allowed a single attempt', () => {
    expect(decideAfterFailure(1, { ...policy, maxAttempts: 1 }, 0, noJitter)).to.deep.equal({ kind: 'dead' });
  });

  const bad: [string, RetryPolicy, RegExp][] = [
    ['no attempt at all', { ...policy, maxAttempts: 0 }, /maxAttempts must be an integer from 1 to 1000/],
    ['a fractional attempt count', { ...policy, maxAttempts: 2.5 }, /maxAttempts/],
    [
      'a maximum below the initial delay',
      { ...policy, backoffMaxMs: 10 },
      /1 <= initial \(1000\) <= max \(10\)/,
    ],
    ['a zero initial delay', { ...policy, backoffInitialMs: 0 }, /1 <= initial/],
  ];
  for (const [what, candidate, message] of bad) {
    it(`refuses ${what}`, () => {
      expect(retryPolicyProblem(candidate)).to.match(message);
    });
  }
  it('accepts a sound policy', () => {
    expect(retryPolicyProblem(policy)).to.equal(undefined);
  });
});
