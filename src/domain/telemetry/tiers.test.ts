import { expect } from 'chai';
import { StepGrid } from './step-grid.js';
import { ceilDay, dayWatermark, floorDay, planTiers, type TierInput, type TierRange } from './tiers.js';

const at = (iso: string) => Date.parse(iso);
const HOUR = 3_600_000;
const DAY = 86_400_000;

/** Ranges as [tier, from, to] with ISO times cut to 'MM-DDTHH', easy to read in a failure. */
function plan(input: TierInput): string[][] {
  const short = (ms: number) => new Date(ms).toISOString().slice(5, 13);
  return planTiers(input).map((r: TierRange) => [r.tier, short(r.fromMs), short(r.toMs)]);
}

function input(
  since: string,
  until: string,
  grid: StepGrid,
  hourWatermark: string,
  dayWatermarkMs: string | number,
): TierInput {
  return {
    sinceMs: at(since),
    untilMs: at(until),
    hours: true,
    hourWatermarkMs: at(hourWatermark),
    dayWatermarkMs: typeof dayWatermarkMs === 'number' ? dayWatermarkMs : at(dayWatermarkMs),
    withinOneStep: (a, b) => grid.withinOneStep(a, b),
  };
}

describe('which rollup table answers which part of a range', () => {
  const since = '2026-11-01T12:00:00Z';
  const until = '2026-11-05T12:00:00Z';
  const window = StepGrid.uniform(at(since), at(until), at(until) - at(since));

  it('reads whole days inside one step from the days, the edges from the hours', () => {
    expect(plan(input(since, until, window, until, '2026-11-05T00:00:00Z'))).to.deep.equal([
      ['hour', '11-01T12', '11-02T00'],
      ['day', '11-02T00', '11-05T00'],
      ['hour', '11-05T00', '11-05T12'],
    ]);
  });

  it('reads from the minutes past the hourly watermark, and no day that is not complete', () => {
    // 11-04 is a dirty day: its hours are rolled up but the day is not recomputed yet.
    const hours = '2026-11-05T09:00:00Z';
    const days = dayWatermark(at(hours), at('2026-11-04T00:00:00Z'));
    expect(plan(input(since, until, window, hours, days))).to.deep.equal([
      ['hour', '11-01T12', '11-02T00'],
      ['day', '11-02T00', '11-04T00'],
      ['hour', '11-04T00', '11-05T09'],
      ['minute', '11-05T09', '11-05T12'],
    ]);
  });

  it('uses no day that a step boundary cuts: 24-hour steps from noon', () => {
    const grid = StepGrid.uniform(at(since), at(until), DAY);
    expect(plan(input(since, until, grid, until, until))).to.deep.equal([['hour', '11-01T12', '11-05T12']]);
  });

  it('uses every whole day of UTC-day steps', () => {
    const grid = StepGrid.utcDays(at(since), at(until));
    expect(plan(input(since, until, grid, until, '2026-11-05T00:00:00Z'))).to.deep.equal([
      ['hour', '11-01T12', '11-02T00'],
      ['day', '11-02T00', '11-05T00'],
      ['hour', '11-05T00', '11-05T12'],
    ]);
  });

  it('reads only minutes when the steps are not whole hours', () => {
    const grid = StepGrid.uniform(at(since), at(until), 30 * 60_000);
    expect(plan({ ...input(since, until, grid, until, until), hours: false })).to.deep.equal([
      ['minute', '11-01T12', '11-05T12'],
    ]);
  });

  it('reads only minutes when nothing is rolled up yet', () => {
    expect(plan(input(since, until, window, '2026-10-01T00:00:00Z', '2026-10-01T00:00:00Z'))).to.deep.equal([
      ['minute', '11-01T12', '11-05T12'],
    ]);
  });
});

describe('the daily watermark', () => {
  const cases: [string, string, string | undefined, string][] = [
    ['all hours of yesterday done, no dirty day', '2026-11-05T09:00:00Z', undefined, '2026-11-05T00:00:00Z'],
    [
      'the watermark at midnight completes the day before',
      '2026-11-05T00:00:00Z',
      undefined,
      '2026-11-05T00:00:00Z',
    ],
    ['a dirty day holds it back', '2026-11-05T09:00:00Z', '2026-11-03T00:00:00Z', '2026-11-03T00:00:00Z'],
    [
      'a dirty day after the hours changes nothing',
      '2026-11-05T09:00:00Z',
      '2026-11-07T00:00:00Z',
      '2026-11-05T00:00:00Z',
    ],
  ];
  for (const [name, hour, dirty, expected] of cases)
    it(name, () => {
      expect(
        new Date(dayWatermark(at(hour), dirty === undefined ? undefined : at(dirty))).toISOString(),
      ).to.equal(new Date(at(expected)).toISOString());
    });

  it('rounds to UTC midnights', () => {
    expect(floorDay(at('2026-11-05T23:59:59Z'))).to.equal(at('2026-11-05T00:00:00Z'));
    expect(ceilDay(at('2026-11-05T00:00:01Z'))).to.equal(at('2026-11-06T00:00:00Z'));
    expect(ceilDay(at('2026-11-05T00:00:00Z'))).to.equal(at('2026-11-05T00:00:00Z'));
    expect(ceilDay(at('2026-11-05T00:00:00Z') - HOUR) - DAY).to.equal(at('2026-11-04T00:00:00Z'));
  });
});

describe('step grids', () => {
  it('puts a time in the step it falls in, and none outside', () => {
    const grid = StepGrid.uniform(at('2026-11-01T12:00:00Z'), at('2026-11-02T00:00:00Z'), 5 * HOUR);
    expect(grid.starts.map((s) => new Date(s).toISOString().slice(11, 13))).to.deep.equal(['12', '17', '22']);
    expect(grid.indexOf(at('2026-11-01T16:59:59Z'))).to.equal(0);
    expect(grid.indexOf(at('2026-11-01T22:00:00Z'))).to.equal(2);
    expect(grid.indexOf(at('2026-11-02T00:00:00Z'))).to.equal(-1);
    expect(grid.indexOf(at('2026-11-01T11:59:59Z'))).to.equal(-1);
  });

  it('splits a range into UTC days, partial at both ends', () => {
    const grid = StepGrid.utcDays(at('2026-11-01T12:00:00Z'), at('2026-11-04T06:00:00Z'));
    expect(grid.starts.map((s) => new Date(s).toISOString().slice(5, 13))).to.deep.equal([
      '11-01T12',
      '11-02T00',
      '11-03T00',
      '11-04T00',
    ]);
    expect(grid.withinOneStep(at('2026-11-02T00:00:00Z'), at('2026-11-03T00:00:00Z'))).to.equal(true);
    expect(grid.withinOneStep(at('2026-11-01T12:00:00Z'), at('2026-11-02T12:00:00Z'))).to.equal(false);
  });
});
