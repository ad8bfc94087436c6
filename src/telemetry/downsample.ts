/**
 * Downsampling: each hour whose minute rollups changed (telemetry_dirty_hours) is recomputed
 * from its minutes into the hourly tables — sketches and heavy hitters merged, counters summed —
 * replacing what the hour held. Recomputing whole hours makes it idempotent; taking the
 * processor's lock makes it see every minute row committed before it, and a minute written
 * after it marks the hour dirty again.
 */
import { MinuteAggregator, mergeTraffic } from '../domain/telemetry/aggregate.js';
import { decodeSketch, newSketch } from '../domain/telemetry/latency-sketch.js';
import { HOUR_MS, type StatusClass, type TopDimension } from '../domain/telemetry/records.js';
import { SpaceSaving, type SpaceSavingSummary } from '../domain/telemetry/space-saving.js';
import { identifier, type Database, type Queryable } from '../storage/database.js';
import { PartitionManager } from './partition-manager.js';
import { TELEMETRY_LOCK_CLASS } from './processor.js';
import { RollupWriter } from './rollup-writer.js';

const PROCESSOR_LOCK = 1;

interface MinuteRow {
  host: string;
  route: string;
  method: string;
  status_class: string;
  gateway_id: string;
  requests: string | number;
  errors: string | number;
  bytes_in: string | number;
  bytes_out: string | number;
  latency_sum_ms: number;
  latency_sketch: Uint8Array;
}

export interface DownsampleResult {
  readonly hours: number;
}

/** Rolls up every dirty hour that ended at least `graceMs` before `nowMs`. */
export async function downsample(
  db: Database,
  schema: string,
  nowMs: number,
  options: { topCapacity: number; graceMs?: number; signal?: AbortSignal },
): Promise<DownsampleResult> {
  const s = identifier(schema);
  const cutoff = new Date(nowMs - HOUR_MS - (options.graceMs ?? 60_000));
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
    });
  }
  return { hours: dirty.rows.length };
}

async function rollUpHour(tx: Queryable, schema: string, hour: Date, topCapacity: number): Promise<void> {
  const s = identifier(schema);
  const range = [hour, new Date(hour.getTime() + HOUR_MS)];
  const aggregate = new MinuteAggregator();
  const minutes = await tx.query<MinuteRow>(
    `SELECT host, route, method, status_class, gateway_id, requests, errors, bytes_in, bytes_out,
            latency_sum_ms, latency_sketch
       FROM ${s}.traffic_minute WHERE bucket >= $1 AND bucket < $2`,
    range,
  );
  for (const row of minutes.rows) {
    const key = [row.host, row.route, row.method, row.status_class, row.gateway_id].join('\u0000');
    let cell = aggregate.traffic.get(key);
    if (!cell) {
      cell = {
        bucketMs: hour.getTime(),
        host: row.host,
        route: row.route,
        method: row.method,
        statusClass: row.status_class as StatusClass,
        gatewayId: row.gateway_id,
        requests: 0,
        errors: 0,
        bytesIn: 0,
        bytesOut: 0,
        latencySumMs: 0,
        sketch: newSketch(),
      };
      aggregate.traffic.set(key, cell);
    }
    mergeTraffic(cell, {
      requests: Number(row.requests),
      errors: Number(row.errors),
      bytesIn: Number(row.bytes_in),
      bytesOut: Number(row.bytes_out),
      latencySumMs: row.latency_sum_ms,
      sketch: decodeSketch(row.latency_sketch),
    });
  }
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
  await new RollupWriter(tx, schema, topCapacity).write(aggregate, 'hour');
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
