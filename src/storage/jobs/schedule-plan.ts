/**
 * Cron schedules as decisions on plain data: when a schedule next runs, and what to do at a tick.
 * A schedule that missed several runs while no leader was there (a restart, an outage) runs once
 * on the next tick, then continues from the next occurrence after now: never N catch-up runs.
 */
import { Cron } from 'croner';
import { cronOptions, cronProblem, timeZoneProblem } from '../../api/v1alpha1/checks/cron.js';

export interface ScheduleTiming {
  readonly cron: string;
  readonly timeZone: string;
}

export interface StoredSchedule extends ScheduleTiming {
  /** Epoch milliseconds of the next run as stored. */
  readonly nextRunAt: number;
}

export type TickDecision =
  /** Nothing due: leave the schedule as it is. */
  | { readonly kind: 'wait'; readonly nextRunAt: number }
  /** Enqueue one run now; `missed` runs beyond it were skipped. Store `nextRunAt`. */
  | { readonly kind: 'run'; readonly dueAt: number; readonly missed: number; readonly nextRunAt: number };

/** The first occurrence strictly after `after`; throws on an expression {@link cronProblem} refuses. */
export function nextOccurrence(timing: ScheduleTiming, after: number): number {
  const problem = cronProblem(timing.cron, timing.timeZone) ?? timeZoneProblem(timing.timeZone);
  if (problem) throw new RangeError(`schedule "${timing.cron}" (${timing.timeZone}): ${problem}`);
  const next = new Cron(timing.cron, cronOptions(timing.timeZone)).nextRun(new Date(after));
  if (!next)
    throw new RangeError(`schedule "${timing.cron}" never runs again after ${new Date(after).toISOString()}`);
  return next.getTime();
}

/** How many occurrences fell in (from, to], counted up to `limit` (for the log line only). */
export function countOccurrences(timing: ScheduleTiming, from: number, to: number, limit = 1000): number {
  const cron = new Cron(timing.cron, cronOptions(timing.timeZone));
  let count = 0;
  let cursor = cron.nextRun(new Date(from));
  while (cursor && cursor.getTime() <= to && count < limit) {
    count += 1;
    cursor = cron.nextRun(cursor);
  }
  return count;
}

export function planTick(schedule: StoredSchedule, now: number): TickDecision {
  if (now < schedule.nextRunAt) return { kind: 'wait', nextRunAt: schedule.nextRunAt };
  const occurrences = countOccurrences(schedule, schedule.nextRunAt - 1, now);
  return {
    kind: 'run',
    dueAt: schedule.nextRunAt,
    missed: Math.max(0, occurrences - 1),
    nextRunAt: nextOccurrence(schedule, now),
  };
}

/**
 * When a schedule is declared (at start, or when its owner changes it): an unchanged schedule
 * keeps its stored next run, so a restart never skips nor repeats; a new or changed one starts
 * from the next occurrence after now.
 */
export function plannedNextRun(
  declared: ScheduleTiming,
  stored: StoredSchedule | undefined,
  now: number,
): number {
  if (stored && stored.cron === declared.cron && stored.timeZone === declared.timeZone)
    return stored.nextRunAt;
  return nextOccurrence(declared, now);
}
