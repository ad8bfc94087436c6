import { expect } from 'chai';
import { FakeClock } from '../../runtime/clock.js';
import { countOccurrences, nextOccurrence, plannedNextRun, planTick } from './schedule-plan.js';

const at = (iso: string): number => Date.parse(iso);
const hourly = { cron: '0 * * * *', timeZone: 'UTC' };

describe('schedule plan', () => {
  it('finds the next occurrence strictly after a time', () => {
    expect(nextOccurrence(hourly, at('2026-01-01T10:00:00Z'))).to.equal(at('2026-01-01T11:00:00Z'));
    expect(nextOccurrence(hourly, at('2026-01-01T10:59:59Z'))).to.equal(at('2026-01-01T11:00:00Z'));
  });

  it('reads the expression in its time zone', () => {
    const lisbonSummer = { cron: '0 3 * * *', timeZone: 'Europe/Lisbon' };
    // 03:00 in Lisbon in July is 02:00 UTC (WEST, UTC+1).
    expect(nextOccurrence(lisbonSummer, at('2026-07-01T00:00:00Z'))).to.equal(at('2026-07-01T02:00:00Z'));
  });

  it('waits while the next run is in the future', () => {
    const schedule = { ...hourly, nextRunAt: at('2026-01-01T11:00:00Z') };
    expect(planTick(schedule, at('2026-01-01T10:30:00Z'))).to.deep.equal({
      kind: 'wait',
      nextRunAt: schedule.nextRunAt,
    });
  });

  it('runs once when due and moves to the following occurrence', () => {
    const schedule = { ...hourly, nextRunAt: at('2026-01-01T11:00:00Z') };
    expect(planTick(schedule, at('2026-01-01T11:00:03Z'))).to.deep.equal({
      kind: 'run',
      dueAt: at('2026-01-01T11:00:00Z'),
      missed: 0,
      nextRunAt: at('2026-01-01T12:00:00Z'),
    });
  });

  it('runs missed occurrences once, not N times, after a five-hour outage', () => {
    const clock = new FakeClock(at('2026-01-01T10:30:00Z'));
    let schedule = { ...hourly, nextRunAt: nextOccurrence(hourly, clock.now()) };
    clock.advance(5 * 3_600_000); // 15:30: the 11, 12, 13, 14 and 15 o'clock runs were missed
    const first = planTick(schedule, clock.now());
    expect(first).to.deep.include({ kind: 'run', missed: 4, nextRunAt: at('2026-01-01T16:00:00Z') });
    if (first.kind !== 'run') return;
    schedule = { ...schedule, nextRunAt: first.nextRunAt };
    clock.advance(60_000);
    expect(planTick(schedule, clock.now()).kind).to.equal('wait');
  });

  it('counts occurrences in a window, inclusive at its end', () => {
    expect(countOccurrences(hourly, at('2026-01-01T10:00:00Z'), at('2026-01-01T13:00:00Z'))).to.equal(3);
  });

  it("keeps an unchanged schedule's stored next run across a restart, and restarts a changed one", () => {
    const now = at('2026-01-01T10:30:00Z');
    const stored = { ...hourly, nextRunAt: at('2026-01-01T09:00:00Z') };
    expect(plannedNextRun(hourly, stored, now)).to.equal(stored.nextRunAt);
    expect(plannedNextRun({ cron: '*/15 * * * *', timeZone: 'UTC' }, stored, now)).to.equal(
      at('2026-01-01T10:45:00Z'),
    );
    expect(plannedNextRun(hourly, undefined, now)).to.equal(at('2026-01-01T11:00:00Z'));
  });

  it('refuses an expression the checks refuse', () => {
    expect(() => nextOccurrence({ cron: '61 * * * *', timeZone: 'UTC' }, 0)).to.throw(
      RangeError,
      /five fields/,
    );
    expect(() => nextOccurrence({ cron: '0 * * * *', timeZone: 'Mars/Olympus' }, 0)).to.throw(
      RangeError,
      /time zone/,
    );
  });
});
