/**
 * `gateway-worker analytics top|latency`: traffic analytics as tables a person reads, straight
 * from the rollups in the database (the operator's configuration, like `jobs` and `audit`; on the
 * embedded store only while the operator is stopped — or use the HTTP API, /api/v1/top and
 * /api/v1/traffic, which serve the same data).
 */
import { TOP_DIMENSIONS, type TopDimension } from '../domain/telemetry/records.js';
import { parseDuration } from '../http-api/query.js';
import { queryTop, queryTraffic } from '../telemetry/queries.js';
import { parseValueFlags } from './flags.js';
import type { Output } from './main.js';
import { openStore } from './store-access.js';
import { formatCount, formatMs, renderTable } from './table.js';

const USAGE = `Usage: gateway-worker analytics <command>
  top [--by path|client_ip|user_agent|country|asn] [--since 1h] [--limit 10]
                                   the busiest values over the last --since, with their share
  latency --route NS/NAME[/ROUTE] [--since 1h] [--step 5m]
                                   requests, errors and p50/p95/p99 per step for a RouteConfig's routes
Durations: 30s, 5m, 1h, 7d. The database comes from DATABASE_URL (or the embedded store when the
operator is not running).
`;

export async function runAnalytics(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  out: Output,
): Promise<number> {
  const [command, ...rest] = args;
  if (command === '-h' || command === '--help') {
    out.stdout(USAGE);
    return 0;
  }
  if (command !== 'top' && command !== 'latency') {
    out.stderr(
      `gateway-worker analytics: ${command === undefined ? 'name a command' : `unknown command "${command}"`}\n\n${USAGE}`,
    );
    return 2;
  }
  const flags = parseValueFlags(
    rest,
    command === 'top' ? ['--by', '--since', '--limit'] : ['--route', '--since', '--step'],
  );
  const usage = (problem: string) => {
    out.stderr(`gateway-worker analytics ${command}: ${problem}\n\n${USAGE}`);
    return 2;
  };
  if (typeof flags === 'string') return usage(flags);
  if (flags.positional.length > 0) return usage(`takes no arguments, got "${flags.positional.join(' ')}"`);
  const since = parseDuration(flags.values.get('--since') ?? '1h');
  if (since === undefined || since < 60_000)
    return usage('--since must be a duration of at least 1m, such as 1h or 7d');
  const now = Date.now();

  if (command === 'top') {
    const by = flags.values.get('--by') ?? 'path';
    if (!(TOP_DIMENSIONS as readonly string[]).includes(by))
      return usage(`--by ${by}: must be one of ${TOP_DIMENSIONS.join(', ')}`);
    const limit = Number(flags.values.get('--limit') ?? 10);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
      return usage('--limit must be an integer from 1 to 1000');
    const opened = await openStore(env, out, 'analytics');
    if ('exitCode' in opened) return opened.exitCode;
    try {
      const answer = await queryTop(
        opened.db,
        opened.config.databaseSchema,
        { sinceMs: now - since, untilMs: now, by: by as TopDimension, limit },
        now,
      );
      if (answer.items.length === 0) {
        out.stdout(`No requests in the last ${flags.values.get('--since') ?? '1h'}.\n`);
        return 0;
      }
      const rows = answer.items.map((item, i) => [
        String(i + 1),
        item.value.length > 80 ? `${item.value.slice(0, 77)}...` : item.value,
        formatCount(item.count),
        item.error === 0 ? 'exact' : `≥ ${formatCount(item.count - item.error)}`,
        `${((100 * item.count) / Math.max(answer.total, 1)).toFixed(1)}%`,
      ]);
      out.stdout(renderTable(['#', by.toUpperCase(), 'REQUESTS', 'AT LEAST', 'SHARE'], rows, [0, 2, 4]));
      out.stdout(`${formatCount(answer.total)} requests from ${answer.since} to ${answer.until}\n`);
      return 0;
    } finally {
      await opened.db.close();
    }
  }

  const route = flags.values.get('--route');
  if (
    route === undefined ||
    !/^[a-z0-9][-a-z0-9.]*\/[a-z0-9][-a-z0-9.]*(\/[A-Za-z0-9][-A-Za-z0-9_.]*)?$/.test(route)
  )
    return usage('--route NAMESPACE/NAME (a RouteConfig) or NAMESPACE/NAME/ROUTE is required');
  const step = parseDuration(flags.values.get('--step') ?? (since > 6 * 3_600_000 ? '1h' : '5m'));
  if (step === undefined || step < 60_000 || step % 60_000 !== 0)
    return usage('--step must be whole minutes, such as 1m, 5m or 1h');
  if (since / step > 1440) return usage(`--since / --step gives more than 1440 rows; widen --step`);
  const opened = await openStore(env, out, 'analytics');
  if ('exitCode' in opened) return opened.exitCode;
  try {
    const whole = route.split('/').length === 3;
    const answer = await queryTraffic(
      opened.db,
      opened.config.databaseSchema,
      {
        sinceMs: now - since - ((now - since) % step),
        untilMs: now,
        stepMs: step,
        by: 'route',
        ...(whole ? { route } : { routeConfig: route }),
      },
      now,
    );
    if (answer.series.length === 0) {
      out.stdout(`No requests for ${route} in the last ${flags.values.get('--since') ?? '1h'}.\n`);
      return 0;
    }
    for (const series of answer.series) {
      out.stdout(`${series.group ?? route}\n`);
      const rows = series.points.map((p) => [
        p.time.replace('T', ' ').replace(/:00\.000Z$/, 'Z'),
        formatCount(p.requests),
        formatCount(p.errors),
        formatMs(p.latencyMs.p50),
        formatMs(p.latencyMs.p95),
        formatMs(p.latencyMs.p99),
      ]);
      out.stdout(renderTable(['TIME', 'REQUESTS', 'ERRORS', 'P50', 'P95', 'P99'], rows, [1, 2, 3, 4, 5]));
    }
    out.stdout('Percentiles are within 1 % of the exact values (DDSketch).\n');
    return 0;
  } finally {
    await opened.db.close();
  }
}
