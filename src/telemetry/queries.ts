/**
 * Reading the rollups: traffic series (requests, errors, bytes, latency percentiles from merged
 * sketches) per step, filtered and grouped by host, route, status class or gateway; and heavy
 * hitters over a time range. Hourly rollups answer for hours already rolled up when the step is
 * whole hours; minute rollups answer for the rest.
 */
import {
  decodeSketch,
  mergeSketch,
  newSketch,
  percentiles,
  type LatencySketch,
} from '../domain/telemetry/latency-sketch.js';
import { HOUR_MS, type TopDimension } from '../domain/telemetry/records.js';
import { SpaceSaving, type HeavyHitter, type SpaceSavingSummary } from '../domain/telemetry/space-saving.js';
import { identifier, type Queryable, type SqlParam } from '../storage/database.js';

export const GROUP_BY = ['host', 'route', 'status', 'gateway'] as const;
export type GroupBy = (typeof GROUP_BY)[number];

const GROUP_COLUMN: Record<GroupBy, string> = {
  host: 'host',
  route: 'route',
  status: 'status_class',
  gateway: 'gateway_id',
};

export interface TrafficQuery {
  readonly sinceMs: number;
  readonly untilMs: number;
  readonly stepMs: number;
  readonly host?: string;
  readonly route?: string;
  /** Every route of one RouteConfig: 'namespace/name'. */
  readonly routeConfig?: string;
  /** A status class: 2xx, 5xx, ... */
  readonly status?: string;
  readonly gateway?: string;
  readonly by?: GroupBy;
}

export interface TrafficPoint {
  readonly time: string;
  readonly requests: number;
  readonly errors: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  /** Milliseconds; null without requests. */
  readonly latencyMs: {
    readonly mean: number | null;
    readonly p50: number | null;
    readonly p95: number | null;
    readonly p99: number | null;
  };
}

export interface TrafficSeries {
  /** The group's value (route name, status class, ...), absent when not grouped. */
  readonly group?: string;
  readonly points: readonly TrafficPoint[];
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

interface Acc {
  requests: number;
  errors: number;
  bytesIn: number;
  bytesOut: number;
  latencySumMs: number;
  sketch: LatencySketch;
}

interface Row {
  bms: number;
  g: string | null;
  requests: string | number;
  errors: string | number;
  bytes_in: string | number;
  bytes_out: string | number;
  latency_sum_ms: number;
  latency_sketch: Uint8Array;
}

/** The start of the oldest hour not rolled up yet: hourly rows before it are complete. */
async function hourlyWatermark(db: Queryable, s: string, nowMs: number): Promise<number> {
  const result = await db.query<{ oldest: Date | null }>(
    `SELECT min(hour) AS oldest FROM ${s}.telemetry_dirty_hours`,
  );
  const currentHour = nowMs - (nowMs % HOUR_MS);
  return Math.min(result.rows[0]?.oldest?.getTime() ?? currentHour, currentHour);
}

export async function queryTraffic(
  db: Queryable,
  schema: string,
  query: TrafficQuery,
  nowMs: number,
): Promise<TrafficAnswer> {
  const s = identifier(schema);
  const useHours = query.stepMs % HOUR_MS === 0;
  const watermark = useHours
    ? Math.max(query.sinceMs, Math.min(query.untilMs, await hourlyWatermark(db, s, nowMs)))
    : query.sinceMs;
  // Concatenated, not spread into push(): a spread of more than ~120,000 rows overflows the stack.
  const rows: Row[] = [
    ...(useHours && watermark > query.sinceMs
      ? await select(db, `${s}.traffic_hour`, query, query.sinceMs, watermark)
      : []),
    ...(watermark < query.untilMs
      ? await select(db, `${s}.traffic_minute`, query, watermark, query.untilMs)
      : []),
  ];

  const steps = Math.ceil((query.untilMs - query.sinceMs) / query.stepMs);
  const groups = new Map<string, (Acc | undefined)[]>();
  for (const row of rows) {
    const step = Math.floor((row.bms - query.sinceMs) / query.stepMs);
    if (step < 0 || step >= steps) continue;
    const key = row.g ?? '';
    let series = groups.get(key);
    if (!series) {
      series = new Array<Acc | undefined>(steps).fill(undefined);
      groups.set(key, series);
    }
    const acc = (series[step] ??= {
      requests: 0,
      errors: 0,
      bytesIn: 0,
      bytesOut: 0,
      latencySumMs: 0,
      sketch: newSketch(),
    });
    acc.requests += Number(row.requests);
    acc.errors += Number(row.errors);
    acc.bytesIn += Number(row.bytes_in);
    acc.bytesOut += Number(row.bytes_out);
    acc.latencySumMs += row.latency_sum_ms;
    mergeSketch(acc.sketch, decodeSketch(row.latency_sketch));
  }
  if (groups.size === 0 && !query.by) groups.set('', new Array<Acc | undefined>(steps).fill(undefined));
  const series = [...groups.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([group, accs]) => ({
      ...(query.by ? { group } : {}),
      points: accs.map((acc, i) => point(query.sinceMs + i * query.stepMs, acc)),
    }));
  return {
    since: new Date(query.sinceMs).toISOString(),
    until: new Date(query.untilMs).toISOString(),
    stepSeconds: query.stepMs / 1000,
    ...(query.by ? { by: query.by } : {}),
    series,
    dropped: await droppedIn(db, s, query, useHours ? watermark : query.sinceMs),
  };
}

async function select(
  db: Queryable,
  table: string,
  query: TrafficQuery,
  fromMs: number,
  toMs: number,
): Promise<Row[]> {
  const params: SqlParam[] = [new Date(fromMs), new Date(toMs)];
  const where = ['bucket >= $1', 'bucket < $2'];
  const filter = (column: string, value: string | undefined) => {
    if (value === undefined) return;
    params.push(value);
    where.push(`${column} = $${params.length}`);
  };
  filter('host', query.host);
  filter('route', query.route);
  if (query.routeConfig !== undefined) {
    params.push(`${query.routeConfig.replace(/[\\%_]/g, (c) => `\\${c}`)}/%`);
    where.push(`route LIKE $${params.length}`);
  }
  filter('status_class', query.status);
  filter('gateway_id', query.gateway);
  const group = query.by ? GROUP_COLUMN[query.by] : 'NULL';
  const result = await db.query<Row>(
    `SELECT extract(epoch FROM bucket)::float8 * 1000 AS bms, ${group} AS g, requests, errors, bytes_in, bytes_out,
            latency_sum_ms, latency_sketch
       FROM ${table} WHERE ${where.join(' AND ')}`,
    params,
  );
  return result.rows;
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

function point(timeMs: number, acc: Acc | undefined): TrafficPoint {
  if (!acc || acc.requests === 0) {
    return {
      time: new Date(timeMs).toISOString(),
      requests: 0,
      errors: 0,
      bytesIn: acc?.bytesIn ?? 0,
      bytesOut: acc?.bytesOut ?? 0,
      latencyMs: { mean: null, p50: null, p95: null, p99: null },
    };
  }
  const p = percentiles(acc.sketch);
  return {
    time: new Date(timeMs).toISOString(),
    requests: acc.requests,
    errors: acc.errors,
    bytesIn: acc.bytesIn,
    bytesOut: acc.bytesOut,
    latencyMs: {
      mean: round(acc.latencySumMs / acc.requests),
      p50: round(p.p50),
      p95: round(p.p95),
      p99: round(p.p99),
    },
  };
}

function round(value: number | null): number | null {
  return value === null ? null : Math.round(value * 1000) / 1000;
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
  const watermark = Math.max(query.sinceMs, Math.min(query.untilMs, await hourlyWatermark(db, s, nowMs)));
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
