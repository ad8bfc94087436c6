import { expect } from 'chai';
import { nextRetryTime, retryBackoff } from './backoff.js';

const HOUR = 3_600_000;

describe('issuance retry back-off', () => {
  const cases: [string, number, number][] = [
    ['does not wait before the first attempt', 0, 0],
    ['waits 1 h after the first failure', 1, HOUR],
    ['doubles to 2 h after the second', 2, 2 * HOUR],
    ['doubles to 4 h after the third', 3, 4 * HOUR],
    ['reaches 32 h after the sixth', 6, 32 * HOUR],
    ['stays at 32 h after the seventh', 7, 32 * HOUR],
    ['stays at 32 h after a thousand', 1000, 32 * HOUR],
  ];
  for (const [name, attempts, expected] of cases) {
    it(`${name} (${attempts} failures → ${expected / HOUR} h)`, () => {
      expect(retryBackoff(attempts)).to.equal(expected);
    });
  }

  it('takes a configured start and limit', () => {
    expect([1, 2, 3, 4, 5].map((n) => retryBackoff(n, { initialMs: 1000, maxMs: 5000 }))).to.deep.equal([
      1000, 2000, 4000, 5000, 5000,
    ]);
  });

  it('schedules the retry after the back-off, or after Retry-After when that is later', () => {
    const failed = new Date(Date.UTC(2026, 0, 1));
    expect(nextRetryTime(failed, 2).toISOString()).to.equal('2026-01-01T02:00:00.000Z');
    const retryAfter = new Date(Date.UTC(2026, 0, 1, 5));
    expect(nextRetryTime(failed, 2, {}, retryAfter).toISOString()).to.equal('2026-01-01T05:00:00.000Z');
    const early = new Date(Date.UTC(2026, 0, 1, 0, 10));
    expect(nextRetryTime(failed, 2, {}, early).toISOString()).to.equal('2026-01-01T02:00:00.000Z');
  });
});
