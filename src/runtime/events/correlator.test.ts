import { expect } from 'chai';
import { FakeClock } from '../clock.js';
import {
  continuesSeries,
  DEFAULT_SPAM_FILTER,
  EventCorrelator,
  SERIES_WINDOW_MS,
  takeToken,
  type Occurrence,
  type SeriesEntry,
  type TokenBucket,
} from './correlator.js';

const MINUTE = 60_000;
const occurrence = (overrides: Partial<Occurrence> = {}): Occurrence => ({
  object: 'uid-1',
  type: 'Warning',
  reason: 'InvalidSpec',
  note: 'spec.size must be positive',
  action: 'Validate',
  ...overrides,
});

describe('takeToken', () => {
  const config = { burst: 2, refillEveryMs: 5 * MINUTE };
  const cases: {
    name: string;
    bucket: TokenBucket | undefined;
    now: number;
    allowed: boolean;
    tokens: number;
  }[] = [
    { name: 'starts a new object with a full bucket', bucket: undefined, now: 0, allowed: true, tokens: 1 },
    {
      name: 'refuses when the bucket is empty',
      bucket: { tokens: 0, updatedAt: 0 },
      now: MINUTE,
      allowed: false,
      tokens: 0.2,
    },
    {
      name: 'allows again once a whole token has refilled',
      bucket: { tokens: 0, updatedAt: 0 },
      now: 5 * MINUTE,
      allowed: true,
      tokens: 0,
    },
    {
      name: 'never refills beyond the burst',
      bucket: { tokens: 0, updatedAt: 0 },
      now: 60 * MINUTE,
      allowed: true,
      tokens: 1,
    },
    {
      name: 'does not refill when the clock goes backwards',
      bucket: { tokens: 0.5, updatedAt: MINUTE },
      now: 0,
      allowed: false,
      tokens: 0.5,
    },
  ];
  for (const { name, bucket, now, allowed, tokens } of cases) {
    it(name, () => {
      const result = takeToken(bucket, now, config);
      expect(result.allowed).to.equal(allowed);
      expect(result.bucket.tokens).to.be.closeTo(tokens, 1e-9);
    });
  }
});

describe('continuesSeries', () => {
  const entry = (lastObservedTime: number): SeriesEntry => ({
    key: 'k',
    firstObservedTime: 0,
    count: 1,
    lastObservedTime,
    writtenCount: 1,
  });
  const cases: { name: string; previous: SeriesEntry | undefined; now: number; result: boolean }[] = [
    { name: 'starts a new Event the first time', previous: undefined, now: 0, result: false },
    {
      name: 'continues within 6 minutes of the last occurrence',
      previous: entry(0),
      now: 6 * MINUTE,
      result: true,
    },
    {
      name: 'starts a new Event after 6 quiet minutes',
      previous: entry(0),
      now: 6 * MINUTE + 1,
      result: false,
    },
    {
      name: 'measures from the last occurrence, not the first',
      previous: entry(5 * MINUTE),
      now: 10 * MINUTE,
      result: true,
    },
  ];
  for (const { name, previous, now, result } of cases) {
    it(name, () => {
      expect(continuesSeries(previous, now, SERIES_WINDOW_MS)).to.equal(result);
    });
  }
});

describe('EventCorrelator', () => {
  it('creates the first occurrence and counts the repeats as one series', () => {
    const clock = new FakeClock();
    const correlator = new EventCorrelator();
    const kinds = [0, 1, 2].map(() => {
      const decision = correlator.observe(occurrence(), clock.now());
      clock.advance(MINUTE);
      return decision.kind === 'drop' ? 'drop' : `${decision.kind}:${decision.entry.count}`;
    });
    expect(kinds).to.deep.equal(['create:1', 'series:2', 'series:3']);
  });

  const distinct: { name: string; other: Partial<Occurrence> }[] = [
    { name: 'another object', other: { object: 'uid-2' } },
    { name: 'another reason', other: { reason: 'Recovered' } },
    { name: 'another type', other: { type: 'Normal' } },
    { name: 'another note', other: { note: 'spec.size must be an integer' } },
    { name: 'another action', other: { action: 'Compile' } },
  ];
  for (const { name, other } of distinct) {
    it(`starts a separate Event for ${name}`, () => {
      const correlator = new EventCorrelator();
      correlator.observe(occurrence(), 0);
      expect(correlator.observe(occurrence(other), 0).kind).to.equal('create');
    });
  }

  it('starts a new series, counting from one, after the window', () => {
    const clock = new FakeClock();
    const correlator = new EventCorrelator();
    correlator.observe(occurrence(), clock.now());
    correlator.observe(occurrence(), clock.now());
    clock.advance(SERIES_WINDOW_MS + 1);
    const decision = correlator.observe(occurrence(), clock.now());
    expect(decision.kind).to.equal('create');
    expect(decision.kind !== 'drop' && decision.entry.count).to.equal(1);
  });

  it('lets 25 events through at once per object, then one per 5 minutes', () => {
    const clock = new FakeClock();
    const correlator = new EventCorrelator(DEFAULT_SPAM_FILTER);
    const observe = (i: number): string =>
      correlator.observe(occurrence({ note: `n${i}` }), clock.now()).kind;
    const burst = Array.from({ length: 27 }, (_, i) => observe(i));
    expect(burst.filter((k) => k === 'create')).to.have.length(25);
    expect(burst.slice(25)).to.deep.equal(['drop', 'drop']);
    clock.advance(5 * MINUTE - 1);
    expect(observe(100)).to.equal('drop');
    clock.advance(1);
    expect(observe(101)).to.equal('create');
    expect(observe(102)).to.equal('drop');
  });

  it('counts repeats against the spam filter too, as client-go does', () => {
    const correlator = new EventCorrelator({ burst: 2, refillEveryMs: MINUTE });
    expect([0, 1, 2].map(() => correlator.observe(occurrence(), 0).kind)).to.deep.equal([
      'create',
      'series',
      'drop',
    ]);
  });

  it('rate-limits each object on its own', () => {
    const correlator = new EventCorrelator({ burst: 1, refillEveryMs: MINUTE });
    expect(correlator.observe(occurrence({ object: 'a' }), 0).kind).to.equal('create');
    expect(correlator.observe(occurrence({ object: 'a', note: 'x' }), 0).kind).to.equal('drop');
    expect(correlator.observe(occurrence({ object: 'b' }), 0).kind).to.equal('create');
  });

  it('forgets the least recently seen objects beyond its bound', () => {
    const correlator = new EventCorrelator(DEFAULT_SPAM_FILTER, SERIES_WINDOW_MS, 3);
    for (const object of ['a', 'b', 'c', 'd']) correlator.observe(occurrence({ object }), 0);
    expect(correlator.trackedObjects).to.equal(3);
    expect(correlator.observe(occurrence({ object: 'a' }), 0).kind, 'a was forgotten').to.equal('create');
  });
});
