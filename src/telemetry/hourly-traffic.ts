/**
 * What the traffic notifications read of the hourly rollups (the downsample job writes them, on
 * any replica): which hour is the newest one rolled up for good, a cheap fingerprint of it, and
 * its rows per host and route. Read-only, over traffic_hour, telemetry_dirty_hours and
 * telemetry_batches.
 */
import type { TrafficHourRow } from '../domain/notify/sources/traffic-points.js';
import { HOUR_MS } from '../domain/telemetry/records.js';
import { identifier, type Queryable } from '../storage/database.js';

/**
 * How long after its end an hour is left alone: gateways ship their logs a few seconds late and
 * the downsample job runs every 5 minutes, a minute after the hour at the earliest.
 */
export const SETTLE_MS = 5 * 60_000;

/** The start of the newest hour that ended at least SETTLE_MS before `nowMs`. */
export function settledHour(nowMs: number): number {
  const cutoff = nowMs - SETTLE_MS;
  return cutoff - (((cutoff % HOUR_MS) + HOUR_MS) % HOUR_MS) - HOUR_MS;
}

/**
 * Whether the hour starting at `hourMs` is rolled up for good: every batch received before it
 * ended has been processed (its minutes are written, and they mark their hour dirty in the same
 * transaction) and the hour is not dirty (downsampling cleared it, or it had no minutes at all).
 */
export async function isRolledUp(db: Queryable, schema: string, hourMs: number): Promise<boolean> {
  const s = identifier(schema);
  const end = new Date(hourMs + HOUR_MS);
  const result = await db.query<{ pending: boolean; dirty: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM ${s}.telemetry_batches WHERE processed_at IS NULL AND received_at < $1) AS pending,
            EXISTS (SELECT 1 FROM ${s}.telemetry_dirty_hours WHERE hour = $2) AS dirty`,
    [end, new Date(hourMs)],
  );
  const row = result.rows[0];
  return row !== undefined && !row.pending && !row.dirty;
}

/** Rows and requests of the hour: changes when late data rolls the hour up again. */
export async function hourFingerprint(db: Queryable, schema: string, hourMs: number): Promise<string> {
  const result = await db.query<{ rows: string | number; requests: string | number }>(
    `SELECT count(*) AS rows, coalesce(sum(requests), 0) AS requests
       FROM ${identifier(schema)}.traffic_hour WHERE bucket = $1`,
    [new Date(hourMs)],
  );
  const row = result.rows[0];
  return `${String(row?.rows ?? 0)}/${String(row?.requests ?? 0)}`;
}

/** The hourly rollup rows of the given hours (each row one method, status class and gateway). */
export async function hourlyTrafficRows(
  db: Queryable,
  schema: string,
  hoursMs: readonly number[],
): Promise<TrafficHourRow[]> {
  const rows: TrafficHourRow[] = [];
  for (const hourMs of hoursMs) {
    const result = await db.query<{
      host: string;
      route: string;
      requests: string | number;
      errors: string | number;
      latency_sketch: Uint8Array;
    }>(
      `SELECT host, route, requests, errors, latency_sketch
         FROM ${identifier(schema)}.traffic_hour WHERE bucket = $1`,
      [new Date(hourMs)],
    );
    for (const row of result.rows)
      rows.push({
        hourStartMs: hourMs,
        host: row.host,
        route: row.route,
        requests: Number(row.requests),
        errors: Number(row.errors),
        latencySketch: row.latency_sketch,
      });
  }
  return rows;
}
