/**
 * Downsampling: each hour whose minute rollups changed (telemetry_dirty_hours) is recomputed
 * from its minutes into the hourly tables — sketches and heavy hitters merged, counters summed —
 * replacing what the hour held, and its UTC day is marked dirty; then each dirty day whose hours
 * are all rolled up is recomputed from them into traffic_day (day-rollup.ts). Recomputing whole
 * hours and days makes it idempotent; taking the processor's lock makes it see every minute row
 * committed before it, and a minute written after it marks the hour, and so the day, dirty again.
 */
import { MinuteAggregator } from '../domain/telemetry/aggregate.js';
import { HOUR_MS, type TopDimension } from '../domain/telemetry/records.js';
import { SpaceSaving, type SpaceSavingSummary } from '../domain/telemetry/space-saving.js';
import { TrafficRollup } from '../domain/telemetry/traffic-rows.js';
import { identifier, type Database, type Queryable } from '../storage/database.js';
import { completeDirtyDays, markDaysDirty, rollUpDay } from './day-rollup.js';
import { PartitionManager } from './partition-manager.js';
import { TELEMETRY_LOCK_CLASS } from './processor.js';
import { RollupWriter } from './rollup-writer.js';
import { readTrafficRows } from './traffic-reader.js';

const PROCESSOR_LOCK = 1;

export interface DownsampleResult {
  readonly hours: number;
  readonly days: number;
}

/** Rolls up every dirty hour that ended at least `graceMs` before `nowMs`. */
export async function downsample(
  db: Database,
  schema: string,
  nowMs: number,
  options: { topCapacity: number; graceMs?: number; signal?: AbortSignal },
): Promise<DownsampleResult> {
  const s = identifier(schema);
  const graceMs = options.graceMs ?? 60_000;
  const cutoff = new Date(nowMs - HOUR_MS - graceMs);
  const dirty = await db.query<{ hour: Date }>(
    `SELECT hour FROM ${s}.telemetry_dirty_hours WHERE hour <= $1 ORDER BY hour`,
    [cutoff],
  );
  const partitions = new PartitionManager(db, schema);
  for (const { hour } of dirty.rows) {
    options.signal?.throwIfAborted();
    await db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1, $2)', [TELEMETRY_LOCK_CLASS, PROCESSOR_LOCK]);
      await partitions.ensureIn(tx, 'traffic_hour', [hour.getTime()]);
      await partitions.ensureIn(tx, 'top_hour', [hour.getTime()]);
      await partitions.ensureIn(tx, 'waf_hour', [hour.getTime()]);
      await partitions.ensureIn(tx, 'drops_hour', [hour.getTime()]);
      await rollUpHour(tx, schema, hour, options.topCapacity);
      await tx.query(`DELETE FROM ${s}.telemetry_dirty_hours WHERE hour = $1`, [hour]);
      await markDaysDirty(tx, schema, [hour.getTime()]);
    });
  }
  let days = 0;
  for (const day of await completeDirtyDays(db, schema, nowMs, graceMs)) {
    options.signal?.throwIfAborted();
    const created = await db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1, $2)', [TELEMETRY_LOCK_CLASS, PROCESSOR_LOCK]);
      const names = await partitions.ensureIn(tx, 'traffic_day', [day.getTime()]);
      if (await rollUpDay(tx, schema, day)) days += 1;
      return names;
    });
    partitions.remember(created);
  }
  return { hours: dirty.rows.length, days };
}

async function rollUpHour(tx: Queryable, schema: string, hour: Date, topCapacity: number): Promise<void> {
  const s = identifier(schema);
  const range = [hour, new Date(hour.getTime() + HOUR_MS)];
  const aggregate = new MinuteAggregator();
  const traffic = new TrafficRollup(hour.getTime());
  await readTrafficRows(
    tx,
    'hour_minutes',
    `${s}.traffic_minute`,
    'bucket >= $1 AND bucket < $2',
    range,
    (row) => traffic.add(row),
  );
  const tops = await tx.query<{ dimension: string; summary: SpaceSavingSummary }>(
    `SELECT dimension, summary FROM ${s}.top_minute WHERE bucket >= $1 AND bucket < $2 ORDER BY bucket`,
    range,
  );
  for (const row of tops.rows) {
    const key = row.dimension;
    let cell = aggregate.top.get(key);
    if (!cell) {
      cell = {
        bucketMs: hour.getTime(),
        dimension: row.dimension as TopDimension,
        summary: new SpaceSaving(topCapacity),
      };
      aggregate.top.set(key, cell);
    }
    cell.summary.merge(row.summary);
  }
  for (const table of ['traffic_hour', 'top_hour', 'waf_hour', 'drops_hour']) {
    await tx.query(`DELETE FROM ${s}.${table} WHERE bucket = $1`, [hour]);
  }
  const writer = new RollupWriter(tx, schema, topCapacity);
  await writer.writeTraffic(traffic.values(), 'traffic_hour');
  // The aggregate holds only the heavy hitters here: waf and drops are summed in SQL below.
  await writer.write(aggregate, 'hour');
  await tx.query(
    `INSERT INTO ${s}.waf_hour (bucket, rule_id, action, host, route, matches)
     SELECT $1::timestamptz, rule_id, action, host, route, sum(matches)
       FROM ${s}.waf_minute WHERE bucket >= $1 AND bucket < $2 GROUP BY rule_id, action, host, route`,
    range,
  );
  await tx.query(
    `INSERT INTO ${s}.drops_hour (bucket, gateway_id, dropped_access, dropped_security)
     SELECT $1::timestamptz, gateway_id, sum(dropped_access), sum(dropped_security)
       FROM ${s}.drops_minute WHERE bucket >= $1 AND bucket < $2 GROUP BY gateway_id`,
    range,
  );
}
