/**
 * How far the rollups are complete: hourly rows before the hourly watermark (the oldest hour
 * whose minutes changed since it was rolled up, at most the current hour), daily rows before the
 * daily watermark (see domain/telemetry/tiers.ts).
 */
import { HOUR_MS } from '../domain/telemetry/records.js';
import { dayWatermark } from '../domain/telemetry/tiers.js';
import type { Queryable } from '../storage/database.js';

export interface Watermarks {
  readonly hourMs: number;
  readonly dayMs: number;
}

/** `s` is the quoted schema. */
export async function readWatermarks(db: Queryable, s: string, nowMs: number): Promise<Watermarks> {
  const result = await db.query<{ hour: Date | null; day: Date | null }>(
    `SELECT (SELECT min(hour) FROM ${s}.telemetry_dirty_hours) AS hour,
            (SELECT min(day) FROM ${s}.telemetry_dirty_days) AS day`,
  );
  const currentHour = nowMs - (nowMs % HOUR_MS);
  const hourMs = Math.min(result.rows[0]?.hour?.getTime() ?? currentHour, currentHour);
  return { hourMs, dayMs: dayWatermark(hourMs, result.rows[0]?.day?.getTime()) };
}
