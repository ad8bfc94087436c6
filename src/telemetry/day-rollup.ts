/**
 * Daily rollups: a UTC day's traffic_day rows recomputed from its hourly rows — sketches merged,
 * counters summed — replacing what the day held. Rolling an hour up marks its day dirty; a dirty
 * day is recomputed once every hour of it is over and rolled up, so each day is normally
 * computed once, and again only when late minutes change one of its hours.
 */
import { DAY_MS } from '../domain/telemetry/records.js';
import { floorDay } from '../domain/telemetry/tiers.js';
import { TrafficRollup } from '../domain/telemetry/traffic-rows.js';
import { identifier, type Queryable } from '../storage/database.js';
import { RollupWriter } from './rollup-writer.js';
import { readTrafficRows } from './traffic-reader.js';

/** Marks the UTC days of `hoursMs` for recomputation, in the transaction that changed those hours. */
export async function markDaysDirty(
  tx: Queryable,
  schema: string,
  hoursMs: readonly number[],
): Promise<void> {
  const days = [...new Set(hoursMs.map(floorDay))].map((d) => new Date(d).toISOString());
  if (days.length === 0) return;
  await tx.query(
    `INSERT INTO ${identifier(schema)}.telemetry_dirty_days (day)
     SELECT j.d::timestamptz FROM jsonb_array_elements_text($1::jsonb) AS j(d)
     ON CONFLICT (day) DO NOTHING`,
    [JSON.stringify(days)],
  );
}

/**
 * The dirty days that can be recomputed: over at least `graceMs` before `nowMs` (as the hours
 * are), and with no hour of them waiting to be rolled up. Oldest first.
 */
export async function completeDirtyDays(
  db: Queryable,
  schema: string,
  nowMs: number,
  graceMs: number,
): Promise<Date[]> {
  const s = identifier(schema);
  const result = await db.query<{ day: Date }>(
    `SELECT d.day FROM ${s}.telemetry_dirty_days d
      WHERE d.day + interval '24 hours' <= $1
        AND NOT EXISTS (SELECT 1 FROM ${s}.telemetry_dirty_hours h
                         WHERE h.hour >= d.day AND h.hour < d.day + interval '24 hours')
      ORDER BY d.day`,
    [new Date(nowMs - graceMs)],
  );
  return result.rows.map((r) => r.day);
}

/**
 * Recomputes `day` in `tx`, which holds the processor's lock, and clears its mark. Returns false,
 * changing nothing, when an hour of it became dirty since it was listed.
 */
export async function rollUpDay(tx: Queryable, schema: string, day: Date): Promise<boolean> {
  const s = identifier(schema);
  const range = [day, new Date(day.getTime() + DAY_MS)];
  const waiting = await tx.query(
    `SELECT 1 FROM ${s}.telemetry_dirty_hours WHERE hour >= $1 AND hour < $2 LIMIT 1`,
    range,
  );
  if (waiting.rows.length > 0) return false;
  const rollup = new TrafficRollup(day.getTime());
  await readTrafficRows(tx, 'day_hours', `${s}.traffic_hour`, 'bucket >= $1 AND bucket < $2', range, (row) =>
    rollup.add(row),
  );
  await tx.query(`DELETE FROM ${s}.traffic_day WHERE bucket = $1`, [day]);
  // The top-K capacity only matters for heavy-hitter summaries, which have no daily table.
  await new RollupWriter(tx, schema, 1).writeTraffic(rollup.values(), 'traffic_day');
  await tx.query(`DELETE FROM ${s}.telemetry_dirty_days WHERE day = $1`, [day]);
  return true;
}
