/**
 * Which rollup table answers which part of a time range. Minute rollups hold everything; hourly
 * rows are complete for the hours before the hourly watermark (the oldest hour not rolled up
 * yet, at most the current hour); daily rows for the days before the daily watermark (every
 * hour of the day rolled up and the day recomputed from them). A row is counted in the step its
 * bucket starts in, so a day answers only where it lies inside one step: then the answer is the
 * same, to the request and the sketch bin, whichever table it comes from.
 */
import { DAY_MS } from './records.js';

export type Tier = 'day' | 'hour' | 'minute';

export interface TierRange {
  readonly tier: Tier;
  readonly fromMs: number;
  readonly toMs: number;
}

export interface TierInput {
  readonly sinceMs: number;
  readonly untilMs: number;
  /**
   * Whether hourly rows may answer at all: steps of whole hours. As before daily rows existed,
   * hourly rows then answer from `since` to the hourly watermark (rows whose hour starts in it).
   */
  readonly hours: boolean;
  readonly hourWatermarkMs: number;
  readonly dayWatermarkMs: number;
  /** Whether [fromMs, toMs) lies inside one step of the answer. */
  withinOneStep(fromMs: number, toMs: number): boolean;
}

/** The ranges, in order, that together cover [since, until) exactly once. */
export function planTiers(input: TierInput): TierRange[] {
  const { sinceMs, untilMs } = input;
  if (untilMs <= sinceMs) return [];
  if (!input.hours) return [{ tier: 'minute', fromMs: sinceMs, toMs: untilMs }];
  const hourEnd = Math.max(sinceMs, Math.min(untilMs, input.hourWatermarkMs));
  const dayEnd = Math.min(hourEnd, input.dayWatermarkMs);
  const ranges: TierRange[] = [];
  const add = (tier: Tier, fromMs: number, toMs: number) => {
    if (fromMs >= toMs) return;
    const last = ranges.at(-1);
    if (last?.tier === tier && last.toMs === fromMs)
      ranges[ranges.length - 1] = { tier, fromMs: last.fromMs, toMs };
    else ranges.push({ tier, fromMs, toMs });
  };
  let at = sinceMs;
  for (let day = ceilDay(sinceMs); day + DAY_MS <= dayEnd; day += DAY_MS) {
    if (!input.withinOneStep(day, day + DAY_MS)) continue;
    add('hour', at, day);
    add('day', day, day + DAY_MS);
    at = day + DAY_MS;
  }
  add('hour', at, hourEnd);
  add('minute', hourEnd, untilMs);
  return ranges;
}

/** The first UTC midnight at or after `timeMs`. */
export function ceilDay(timeMs: number): number {
  const into = ((timeMs % DAY_MS) + DAY_MS) % DAY_MS;
  return into === 0 ? timeMs : timeMs - into + DAY_MS;
}

/** The UTC midnight at or before `timeMs`. */
export function floorDay(timeMs: number): number {
  return timeMs - (((timeMs % DAY_MS) + DAY_MS) % DAY_MS);
}

/**
 * The daily watermark: days ending at or before it are in the daily table. A day is complete
 * once every hour of it is rolled up (the hourly watermark has passed its end) and it has been
 * recomputed since (it is not in the dirty days; `oldestDirtyDayMs`, undefined when none is).
 */
export function dayWatermark(hourWatermarkMs: number, oldestDirtyDayMs: number | undefined): number {
  const hoursDone = floorDay(hourWatermarkMs);
  return oldestDirtyDayMs === undefined ? hoursDone : Math.min(hoursDone, oldestDirtyDayMs);
}
