import { expect } from 'chai';
import fc from 'fast-check';
import { MAX_RENEWAL_JITTER_MS, renewalTime, stableJitter, type RenewalInput } from './renewal.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2026, 0, 1);
const at = (ms: number): Date => new Date(T0 + ms);
const fixed = (value: number) => () => value;

describe('renewal time', () => {
  const ninetyDays = { notBefore: at(0), notAfter: at(90 * DAY) };
  const cases: [string, RenewalInput, Date][] = [
    [
      'renews a 90-day certificate at two thirds when renewBefore is 30 days',
      { ...ninetyDays, renewBeforeMs: 30 * DAY, jitter: fixed(0) },
      at(60 * DAY),
    ],
    [
      'renews at notAfter − renewBefore when that is earlier',
      { ...ninetyDays, renewBeforeMs: 40 * DAY, jitter: fixed(0) },
      at(50 * DAY),
    ],
    [
      'renews at two thirds when notAfter − renewBefore is later',
      { ...ninetyDays, renewBeforeMs: 10 * DAY, jitter: fixed(0) },
      at(60 * DAY),
    ],
    [
      'falls back to two thirds when renewBefore is longer than the lifetime',
      { notBefore: at(0), notAfter: at(6 * DAY), renewBeforeMs: 30 * DAY, jitter: fixed(0) },
      at(4 * DAY),
    ],
    [
      'moves renewal at most 24 hours earlier on a long-lived certificate',
      { ...ninetyDays, renewBeforeMs: 30 * DAY, jitter: fixed(0.5) },
      at(60 * DAY - 12 * HOUR),
    ],
    [
      'moves renewal at most a tenth of the remaining window on a short-lived certificate',
      { notBefore: at(0), notAfter: at(HOUR), renewBeforeMs: 30 * DAY, jitter: fixed(0.5) },
      at(40 * 60_000 - 60_000),
    ],
    [
      'picks the start of an ARI window for jitter 0',
      {
        ...ninetyDays,
        renewBeforeMs: 30 * DAY,
        jitter: fixed(0),
        suggestedWindow: { start: at(70 * DAY), end: at(72 * DAY) },
        now: at(1),
      },
      at(70 * DAY),
    ],
    [
      'picks inside the ARI window in proportion to the jitter',
      {
        ...ninetyDays,
        renewBeforeMs: 30 * DAY,
        jitter: fixed(0.25),
        suggestedWindow: { start: at(70 * DAY), end: at(74 * DAY) },
        now: at(1),
      },
      at(71 * DAY),
    ],
    [
      'renews now when the ARI window is in the past',
      {
        ...ninetyDays,
        renewBeforeMs: 30 * DAY,
        jitter: fixed(0.9),
        suggestedWindow: { start: at(DAY), end: at(2 * DAY) },
        now: at(3 * DAY),
      },
      at(3 * DAY),
    ],
    [
      'renews now when the time chosen in an open ARI window has passed',
      {
        ...ninetyDays,
        renewBeforeMs: 30 * DAY,
        jitter: fixed(0.1),
        suggestedWindow: { start: at(DAY), end: at(5 * DAY) },
        now: at(3 * DAY),
      },
      at(3 * DAY),
    ],
    [
      'ignores an ARI window that ends before it starts',
      {
        ...ninetyDays,
        renewBeforeMs: 30 * DAY,
        jitter: fixed(0),
        suggestedWindow: { start: at(80 * DAY), end: at(70 * DAY) },
        now: at(1),
      },
      at(60 * DAY),
    ],
  ];
  for (const [name, input, expected] of cases) {
    it(name, () => {
      expect(renewalTime(input).toISOString()).to.equal(expected.toISOString());
    });
  }

  it('stays between notBefore and the planned time, at most min(24 h, 10 % of the window) earlier', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 400 * DAY }),
        fc.integer({ min: 1, max: 800 * DAY }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (lifetime, renewBefore, jitter) => {
          const input = { notBefore: at(0), notAfter: at(lifetime), renewBeforeMs: renewBefore };
          const planned = renewalTime({ ...input, jitter: fixed(0) }).getTime();
          const jittered = renewalTime({ ...input, jitter: fixed(jitter) }).getTime();
          const window = T0 + lifetime - planned;
          expect(planned).to.be.at.most(T0 + (lifetime * 2) / 3 + 1);
          expect(jittered).to.be.within(T0, planned);
          expect(planned - jittered).to.be.at.most(Math.min(MAX_RENEWAL_JITTER_MS, window * 0.1) + 1);
        },
      ),
    );
  });

  it('spreads certificates issued together over the jitter range', () => {
    const times = new Set<number>();
    for (let i = 0; i < 200; i += 1) {
      const jitter = stableJitter(`fingerprint-${i}`);
      times.add(
        renewalTime({ notBefore: at(0), notAfter: at(90 * DAY), renewBeforeMs: 30 * DAY, jitter }).getTime(),
      );
    }
    const sorted = [...times].sort((a, b) => a - b);
    expect(times.size).to.equal(200);
    expect(sorted[0]).to.be.below(T0 + 60 * DAY - 20 * HOUR);
    expect(sorted[sorted.length - 1]).to.be.above(T0 + 60 * DAY - 4 * HOUR);
  });

  it('gives the same jitter for the same seed, in [0, 1)', () => {
    expect(stableJitter('abc')()).to.equal(stableJitter('abc')());
    expect(stableJitter('abc')()).not.to.equal(stableJitter('abd')());
    for (let i = 0; i < 100; i += 1) expect(stableJitter(String(i))()).to.be.within(0, 1 - Number.EPSILON);
  });
});
