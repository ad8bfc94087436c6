/**
 * The report's own reads that the telemetry queries do not answer: WAF blocks per rule and per
 * client IP (from the security events), and each route's busiest minute per day (capacity).
 */
import type { Counted, RouteDailyPeaks, WafRuleCount } from '../domain/reports/report-data.js';
import { identifier, type Queryable, type SqlParam } from '../storage/database.js';
import { PartitionManager } from '../telemetry/partition-manager.js';
import type { PartitionedTableName } from '../telemetry/tables.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** `route LIKE 'namespace/%'`, with LIKE's wildcards in the namespace escaped. */
function routeFilter(namespace: string | undefined, params: SqlParam[]): string {
  if (namespace === undefined) return '';
  params.push(`${namespace.replace(/[\\%_]/g, (c) => `\\${c}`)}/%`);
  return ` AND route LIKE $${params.length}`;
}

export async function wafBlocks(
  db: Queryable,
  schema: string,
  sinceMs: number,
  untilMs: number,
  namespace: string | undefined,
  limit: number,
): Promise<{ rules: WafRuleCount[]; ips: Counted[] }> {
  const s = identifier(schema);
  const params: SqlParam[] = [new Date(sinceMs), new Date(untilMs)];
  const where = `occurred_at >= $1 AND occurred_at < $2 AND action = 'blocked'${routeFilter(namespace, params)}`;
  const rules = await db.query<{ rule_id: string; description: string; n: string | number }>(
    `SELECT rule_id, max(rule_description) AS description, count(*) AS n FROM ${s}.security_events
      WHERE ${where} GROUP BY rule_id ORDER BY n DESC, rule_id`,
    params,
  );
  const ips = await db.query<{ client_ip: string; n: string | number }>(
    `SELECT client_ip, count(*) AS n FROM ${s}.security_events
      WHERE ${where} GROUP BY client_ip ORDER BY n DESC, client_ip LIMIT ${Math.trunc(limit)}`,
    params,
  );
  return {
    rules: rules.rows.map((r) => ({ ruleId: r.rule_id, description: r.description, blocked: Number(r.n) })),
    ips: ips.rows.map((r) => ({ value: r.client_ip, count: Number(r.n) })),
  };
}

/**
 * Each route's busiest minute of each UTC day, as requests/second (that minute's requests / 60).
 * Days whose minute rollups are gone (past TELEMETRY_MINUTE_RETENTION_DAYS) fall back to the
 * busiest hour / 3600, the finest data left for them. Read an hour of minutes or a day of hours
 * per statement: a day of minutes over thousands of routes is millions of rows, and so is a
 * month of hours (3.96 million at 5,000 routes), which one statement read before.
 */
export async function dailyPeaks(
  db: Queryable,
  schema: string,
  sinceMs: number,
  untilMs: number,
  namespace: string | undefined,
): Promise<RouteDailyPeaks[]> {
  const s = identifier(schema);
  /** Each route's busiest bucket in [fromMs, toMs), which lies in one UTC day. */
  const readChunk = async (table: string, fromMs: number, toMs: number) => {
    const params: SqlParam[] = [new Date(fromMs), new Date(toMs)];
    const filter = routeFilter(namespace, params);
    const result = await db.query<{ route: string; peak: string | number }>(
      `SELECT route, max(n) AS peak FROM (
         SELECT route, bucket, sum(requests) AS n
           FROM ${s}.${table} WHERE bucket >= $1 AND bucket < $2${filter}
          GROUP BY route, bucket) per_bucket
       GROUP BY route`,
      params,
    );
    return result.rows;
  };
  const read = async (table: PartitionedTableName, seconds: number, chunkMs: number) => {
    // Days whose partitions are gone (or never were) are not asked for, an hour at a time.
    const held = (await new PartitionManager(db, schema).list(table)).map((p) => [p.fromMs, p.toMs]);
    const peaks = new Map<string, { route: string; dayMs: number; rps: number }>();
    for (let from = sinceMs; from < untilMs; from = from - (from % chunkMs) + chunkMs) {
      const dayMs = from - (from % DAY_MS);
      if (!held.some(([a = 0, b = 0]) => a <= from && from < b)) continue;
      for (const row of await readChunk(table, from, Math.min(untilMs, from - (from % chunkMs) + chunkMs))) {
        const key = `${row.route}\u0000${dayMs}`;
        const rps = Number(row.peak) / seconds;
        const known = peaks.get(key);
        if (!known || rps > known.rps) peaks.set(key, { route: row.route, dayMs, rps });
      }
    }
    return [...peaks.values()];
  };
  const minutes = await read('traffic_minute', 60, HOUR_MS);
  const covered = new Set(minutes.map((m) => `${m.route}\u0000${m.dayMs}`));
  const hours = (await read('traffic_hour', 3600, DAY_MS)).filter(
    (h) => !covered.has(`${h.route}\u0000${h.dayMs}`),
  );
  const firstDay = sinceMs - (sinceMs % DAY_MS);
  const dayCount = Math.ceil((untilMs - firstDay) / DAY_MS);
  const byRoute = new Map<string, number[]>();
  for (const { route, dayMs, rps } of [...minutes, ...hours]) {
    const index = Math.round((dayMs - firstDay) / DAY_MS);
    if (index < 0 || index >= dayCount) continue;
    let days = byRoute.get(route);
    if (!days) byRoute.set(route, (days = new Array<number>(dayCount).fill(0)));
    days[index] = Math.max(days[index] ?? 0, rps);
  }
  return [...byRoute.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([route, days]) => ({
      route,
      days: days.map((peakRps, i) => ({
        dayMs: firstDay + i * DAY_MS,
        peakRps: Math.round(peakRps * 1000) / 1000,
      })),
    }));
}
