/**
 * Reads the traffic rollups of a range once, each part from the table that answers it (whole
 * days from traffic_day, hours from traffic_hour, the rest from traffic_minute: see
 * domain/telemetry/tiers.ts), in one read-only snapshot, through cursors: memory holds one batch
 * of rows at a time and no statement reads more than a batch, however large the fleet or range.
 */
import type { StepGrid } from '../domain/telemetry/step-grid.js';
import { planTiers, type Tier, type TierRange } from '../domain/telemetry/tiers.js';
import type { TrafficRow } from '../domain/telemetry/traffic-rows.js';
import { identifier, type Database, type Queryable, type SqlParam } from '../storage/database.js';
import { readTrafficRows } from './traffic-reader.js';
import { readWatermarks } from './watermarks.js';

const TABLES: Record<Tier, string> = { day: 'traffic_day', hour: 'traffic_hour', minute: 'traffic_minute' };

export interface TrafficFilter {
  readonly host?: string;
  readonly route?: string;
  /** Every route of one RouteConfig ('namespace/name'), or of a namespace ('namespace'). */
  readonly routeConfig?: string;
  /** A status class: 2xx, 5xx, ... */
  readonly status?: string;
  readonly gateway?: string;
}

export interface TrafficScan extends TrafficFilter {
  readonly sinceMs: number;
  readonly untilMs: number;
  readonly grid: StepGrid;
  /** Whether hourly (and so daily) rows may answer: the steps are whole hours. */
  readonly hours: boolean;
}

export interface ScanResult {
  readonly ranges: readonly TierRange[];
  /** Where the minutes take over from the hours (`since` when no hour answers). */
  readonly hourEndMs: number;
  readonly rows: Readonly<Record<Tier, number>>;
}

export async function scanTraffic(
  db: Database,
  schema: string,
  scan: TrafficScan,
  nowMs: number,
  onRow: (row: TrafficRow) => void,
): Promise<ScanResult> {
  const s = identifier(schema);
  return db.transaction(async (tx) => {
    // One snapshot for the watermarks and every range: a rollup committing meanwhile moves rows
    // between tables, and the answer must see them in exactly one.
    await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    const watermarks = await readWatermarks(tx, s, nowMs);
    const ranges = planTiers({
      sinceMs: scan.sinceMs,
      untilMs: scan.untilMs,
      hours: scan.hours,
      hourWatermarkMs: watermarks.hourMs,
      dayWatermarkMs: watermarks.dayMs,
      withinOneStep: (fromMs, toMs) => scan.grid.withinOneStep(fromMs, toMs),
    });
    const rows: Record<Tier, number> = { day: 0, hour: 0, minute: 0 };
    for (const range of ranges) rows[range.tier] += await readRange(tx, s, range, scan, onRow);
    const minutes = ranges.find((r) => r.tier === 'minute');
    return { ranges, hourEndMs: minutes?.fromMs ?? scan.untilMs, rows };
  });
}

async function readRange(
  tx: Queryable,
  s: string,
  range: TierRange,
  filter: TrafficFilter,
  onRow: (row: TrafficRow) => void,
): Promise<number> {
  const params: SqlParam[] = [new Date(range.fromMs), new Date(range.toMs)];
  const where = ['bucket >= $1', 'bucket < $2', ...filterSql(filter, params)];
  return readTrafficRows(
    tx,
    `traffic_${range.tier}`,
    `${s}.${TABLES[range.tier]}`,
    where.join(' AND '),
    params,
    onRow,
  );
}

/** The filter's conditions, their values appended to `params`. */
export function filterSql(filter: TrafficFilter, params: SqlParam[]): string[] {
  const where: string[] = [];
  const equal = (column: string, value: string | undefined) => {
    if (value === undefined) return;
    params.push(value);
    where.push(`${column} = $${params.length}`);
  };
  equal('host', filter.host);
  equal('route', filter.route);
  if (filter.routeConfig !== undefined) {
    params.push(`${filter.routeConfig.replace(/[\\%_]/g, (c) => `\\${c}`)}/%`);
    where.push(`route LIKE $${params.length}`);
  }
  equal('status_class', filter.status);
  equal('gateway_id', filter.gateway);
  return where;
}
