import { expect } from 'chai';
import { Backoff } from './backoff.js';

describe('jittered backoff', () => {
  it('doubles from the initial delay up to the cap without jitter', () => {
    const b = new Backoff({ initialMs: 800, maxMs: 30_000, jitter: 0 });
    expect(Array.from({ length: 8 }, () => b.next())).to.deep.equal([
      800, 1600, 3200, 6400, 12_800, 25_600, 30_000, 30_000,
    ]);
  });

  it('adds up to the jitter share of each delay, never past the cap', () => {
    const b = new Backoff({ initialMs: 1000, maxMs: 3000, jitter: 1, random: () => 0.5 });
    expect([b.next(), b.next(), b.next()]).to.deep.equal([1500, 3000, 3000]);
  });

  it('starts over after reset', () => {
    const b = new Backoff({ initialMs: 10, maxMs: 1000, jitter: 0 });
    b.next();
    b.next();
    b.reset();
    expect(b.next()).to.equal(10);
  });
});
