/**
 * Reading the rollups: traffic series (requests, errors, bytes, latency percentiles from merged
 * sketches) per step, filtered and grouped by host, route, status class or gateway; and heavy
 * hitters over a time range. When the step is whole hours, daily rollups answer for whole days
 * inside one step that are complete, hourly rollups for the hours already rolled up, and minute
 * rollups for the rest (src/telemetry/traffic-scan.ts).
 */
import { HOUR_MS, type TopDimension } from '../domain/telemetry/records.js';
import { SpaceSaving, type HeavyHitter, type SpaceSavingSummary } from '../domain/telemetry/space-saving.js';
import { StepGrid } from '../domain/telemetry/step-grid.js';
import {
  GROUP_BY,
  SeriesAccumulator,
  type GroupBy,
  type TrafficPoint,
  type TrafficSeries,
} from '../domain/telemetry/traffic-series.js';
import { identifier, type Database, type Queryable, type SqlParam } from '../storage/database.js';
import { scanTraffic, type TrafficFilter } from './traffic-scan.js';
import { readWatermarks } from './watermarks.js';

export { GROUP_BY };
export type { GroupBy, TrafficPoint, TrafficSeries };

export interface TrafficQuery extends TrafficFilter {
  readonly sinceMs: number;
  readonly untilMs: number;
  readonly stepMs: number;
  readonly by?: GroupBy;
}

export interface TrafficAnswer {
  readonly since: string;
  readonly until: string;
  readonly stepSeconds: number;
  readonly by?: GroupBy;
  readonly series: readonly TrafficSeries[];
  /** Records the agents dropped before shipping in the range (`dropped_*` of the batches). */
  readonly dropped: { readonly access: number; readonly security: number };
}

export async function queryTraffic(
  db: Database,
  schema: string,
  query: TrafficQuery,
  nowMs: number,
): Promise<TrafficAnswer> {
  const grid = StepGrid.uniform(query.sinceMs, query.untilMs, query.stepMs);
  const series = new SeriesAccumulator(grid, query.by);
  const scan = await scanTraffic(
    db,
    schema,
    { ...query, grid, hours: query.stepMs % HOUR_MS === 0 },
    nowMs,
    (row) => series.add(row),
  );
  return {
    since: new Date(query.sinceMs).toISOString(),
    until: new Date(query.untilMs).toISOString(),
    stepSeconds: query.stepMs / 1000,
    ...(query.by ? { by: query.by } : {}),
    series: series.series(),
    dropped: await droppedIn(db, identifier(schema), query, scan.hourEndMs),
  };
}

async function droppedIn(
  db: Queryable,
  s: string,
  query: TrafficQuery,
  watermark: number,
): Promise<{ access: number; security: number }> {
  let access = 0;
  let security = 0;
  const sum = async (table: string, fromMs: number, toMs: number) => {
    if (fromMs >= toMs) return;
    const params: SqlParam[] = [new Date(fromMs), new Date(toMs)];
    let where = 'bucket >= $1 AND bucket < $2';
    if (query.gateway !== undefined) {
      params.push(query.gateway);
      where += ' AND gateway_id = $3';
    }
    const result = await db.query<{ a: string | number | null; s: string | number | null }>(
      `SELECT sum(dropped_access) AS a, sum(dropped_security) AS s FROM ${s}.${table} WHERE ${where}`,
      params,
    );
    access += Number(result.rows[0]?.a ?? 0);
    security += Number(result.rows[0]?.s ?? 0);
  };
  await sum('drops_hour', query.sinceMs, watermark);
  await sum('drops_minute', watermark, query.untilMs);
  return { access, security };
}

export interface TopQuery {
  readonly sinceMs: number;
  readonly untilMs: number;
  readonly by: TopDimension;
  readonly limit: number;
}

export interface TopAnswer {
  readonly since: string;
  readonly until: string;
  readonly by: TopDimension;
  /** Requests counted in the range (the summaries' stream length). */
  readonly total: number;
  /**
   * Heaviest first. `count` is an upper bound of the true count and `count - error` a lower
   * bound; any value with more than total/capacity requests is listed.
   */
  readonly items: readonly HeavyHitter[];
  readonly capacity: number;
}

export async function queryTop(
  db: Queryable,
  schema: string,
  query: TopQuery,
  nowMs: number,
): Promise<TopAnswer> {
  const s = identifier(schema);
  const hourMark = (await readWatermarks(db, s, nowMs)).hourMs;
  const watermark = Math.max(query.sinceMs, Math.min(query.untilMs, hourMark));
  const summaries: SpaceSavingSummary[] = [];
  const read = async (table: string, fromMs: number, toMs: number, hourly: boolean) => {
    if (fromMs >= toMs) return;
    // Whole hours only from the hourly table; the minutes around them from the minute table.
    const result = await db.query<{ summary: SpaceSavingSummary }>(
      `SELECT summary FROM ${s}.${table} WHERE dimension = $1 AND bucket >= $2 AND bucket < $3`,
      [query.by, new Date(hourly ? ceilHour(fromMs) : fromMs), new Date(toMs)],
    );
    summaries.push(...result.rows.map((r) => r.summary));
  };
  const hourStart = ceilHour(query.sinceMs);
  const hourEnd = Math.max(hourStart, watermark - (watermark % HOUR_MS));
  await read('top_minute', query.sinceMs, Math.min(hourStart, query.untilMs), false);
  await read('top_hour', hourStart, hourEnd, true);
  await read('top_minute', Math.max(hourEnd, hourStart, query.sinceMs), query.untilMs, false);
  const capacity = Math.max(query.limit, ...summaries.map((x) => x.capacity), 1);
  const merged = new SpaceSaving(capacity);
  for (const summary of summaries) merged.merge(summary);
  return {
    since: new Date(query.sinceMs).toISOString(),
    until: new Date(query.untilMs).toISOString(),
    by: query.by,
    total: merged.streamLength,
    items: merged.top(query.limit),
    capacity,
  };
}

function ceilHour(ms: number): number {
  return ms % HOUR_MS === 0 ? ms : ms - (ms % HOUR_MS) + HOUR_MS;
}
