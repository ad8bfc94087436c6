/**
 * `npm run bench reports` (issue 16): report generation time and RSS for a 30-day window over
 * 5,000 routes. A fresh schema on a durable local PostgreSQL is filled, set-based, with 30 days
 * of hourly rollups (traffic_hour: 50 hosts × 100 routes, a daily and weekly shape plus growth,
 * real DDSketch blobs; top_hour path summaries; some WAF blocks, incidents, decisions and audit
 * entries); the daily rollups are then computed from those hours by the downsampling's own code,
 * as in production; then generateReport runs for '30d' (REPORT_BENCH_WINDOW) with every section
 * and the three formats.
 */
import { execFile } from 'node:child_process';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { buildReport } from '../src/domain/reports/report-model.js';
import { REPORT_FORMATS, REPORT_SECTIONS } from '../src/domain/reports/sections.js';
import {
  REPORT_WINDOWS,
  type CertificateItem,
  type ReportWindow,
} from '../src/domain/reports/report-data.js';
import { encodeSketch, newSketch } from '../src/domain/telemetry/latency-sketch.js';
import { SpaceSaving } from '../src/domain/telemetry/space-saving.js';
import { LocalPostgres } from '../src/envtest/postgres.js';
import { dailyPeaks } from '../src/reports/gather-sql.js';
import { gatherReportData, gatherTraffic, reportWindow } from '../src/reports/gather.js';
import { generateReport } from '../src/reports/generate.js';
import { silentLogger } from '../src/runtime/logger.js';
import { storeSettings } from '../src/storage/connection-settings.js';
import type { Database } from '../src/storage/database.js';
import { PostgresDatabase } from '../src/storage/postgres-database.js';
import { migrate } from '../src/storage/migrate.js';
import { DecisionRepository } from '../src/storage/threats/decision-repository.js';
import { IncidentRepository } from '../src/storage/threats/incident-repository.js';
import { AuditStore } from '../src/telemetry/audit-store.js';
import { markDaysDirty } from '../src/telemetry/day-rollup.js';
import { PartitionManager } from '../src/telemetry/partition-manager.js';
import { loadAverage } from './operator-in-process.js';
import { fmt, median, rssMiB } from './stats.js';

/** 50 hosts × 100 routes is the issue's 5,000 routes; REPORT_BENCH_HOSTS measures a smaller fleet. */
const HOSTS = Number(process.env.REPORT_BENCH_HOSTS ?? 50);
const ROUTES_PER_HOST = 100;
const ROUTES = HOSTS * ROUTES_PER_HOST;
const RUNS = Number(process.env.REPORT_BENCH_RUNS ?? 5);
const STATEMENT_TIMEOUT_MS = Number(process.env.REPORT_BENCH_STATEMENT_TIMEOUT_MS ?? 30_000);
const WINDOW = (process.env.REPORT_BENCH_WINDOW ?? '30d') as ReportWindow;
if (!REPORT_WINDOWS.includes(WINDOW))
  throw new Error(`REPORT_BENCH_WINDOW must be one of ${REPORT_WINDOWS.join(', ')}`);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Half past noon: the window ends at 12:00 and starts 30 days before. */
const NOW = Date.UTC(2026, 10, 30, 12, 30);
const UNTIL = NOW - (NOW % HOUR);
const SINCE = UNTIL - 30 * DAY;

/** A real sketch of 1,000 latencies around `medianMs` (log-normal), base64 for decode() in SQL. */
function sketchBase64(medianMs: number, seed: number): string {
  const sketch = newSketch();
  let x = seed;
  const random = () => (x = (x * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648;
  for (let i = 0; i < 1_000; i++) {
    const u = Math.max(random(), 1e-9);
    const v = random();
    const normal = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    sketch.accept(medianMs * Math.exp(0.35 * normal));
  }
  return Buffer.from(encodeSketch(sketch)).toString('base64');
}

const execFileAsync = promisify(execFile);

/** Seconds the downsampling took to compute the daily rollups from the filled hours. */
let dayRollupSeconds = 0;

/** Runs the downsampling in a child process (reports-day-rollup-child.ts); resolves to the days it rolled up. */
async function dayRollupChild(url: string, schema: string): Promise<number> {
  const { stdout } = await execFileAsync(
    process.execPath,
    [
      '--import',
      'tsx',
      fileURLToPath(new URL('./reports-day-rollup-child.ts', import.meta.url)),
      url,
      schema,
      String(NOW),
    ],
    { maxBuffer: 1024 * 1024 },
  );
  return Number(stdout.trim());
}

async function fill(db: Database, url: string, schema: string): Promise<Record<string, number>> {
  const progress = (what: string) => console.error(`reports bench: ${what} at ${new Date().toISOString()}`);
  const s = `"${schema}"`;
  const partitions = new PartitionManager(db, schema);
  const hours = Array.from({ length: 30 * 24 }, (_, i) => SINCE + i * HOUR);
  await partitions.ensure('traffic_hour', hours);
  await partitions.ensure('top_hour', hours);
  await partitions.ensure('security_events', hours);
  // A one-off fill: autovacuum would only compete for the two cores while it runs.
  for (const p of await partitions.list('traffic_hour'))
    await db.query(`ALTER TABLE ${s}."${p.name}" SET (autovacuum_enabled = false)`);
  const sketches = [sketchBase64(12, 1), sketchBase64(35, 2), sketchBase64(80, 3), sketchBase64(250, 4)];
  // Requests per route and hour: a Zipf-like base per route, × a daily curve (trough at 04:00
  // UTC), × 0.7 on weekends, × linear growth of 30 % over the window (for the forecast).
  const volume = `greatest(1, round(
      (20 + 4000.0 / (1 + ((h * ${ROUTES_PER_HOST} + r) * 7919) % ${ROUTES}))
      * (1 + 0.8 * sin(2 * pi() * (extract(hour FROM b) - 10) / 24))
      * (CASE WHEN extract(isodow FROM b) >= 6 THEN 0.7 ELSE 1 END)
      * (1 + 0.3 * extract(epoch FROM b - $7::timestamptz) / ${30 * 86_400})))::bigint`;
  // One statement per day and status class: each well inside the 30 s statement timeout.
  const insert = async (statusClass: string, every: number, share: string, errors: string) => {
    for (let day = 0; day < 30; day++) await insertDay(statusClass, every, share, errors, SINCE + day * DAY);
  };
  const insertDay = async (
    statusClass: string,
    every: number,
    share: string,
    errors: string,
    fromMs: number,
  ) =>
    db.query(
      `INSERT INTO ${s}.traffic_hour (bucket, host, route, method, status_class, gateway_id, requests,
              errors, bytes_in, bytes_out, latency_sum_ms, latency_sketch)
       SELECT b, 'h' || h || '.example.com', 'ns' || h || '/web/r' || r, 'GET', '${statusClass}',
              'gw-' || ((h + r) % 3), n, ${errors}, n * 800, n * 12000, n * (15 + (r % 4) * 40),
              decode((ARRAY[$3, $4, $5, $6])[1 + (h + r) % 4], 'base64')
         FROM generate_series($1::timestamptz, $2::timestamptz - interval '1 hour', interval '1 hour') b,
              generate_series(0, ${HOSTS - 1}) h, generate_series(0, ${ROUTES_PER_HOST - 1}) r,
              LATERAL (SELECT greatest(1, (${volume} * ${share})::bigint) AS n) v
        WHERE (h * ${ROUTES_PER_HOST} + r) % ${every} = 0`,
      [new Date(fromMs), new Date(fromMs + DAY), ...sketches, new Date(SINCE)],
    );
  progress('filling traffic_hour');
  await insert('2xx', 1, '1', '0');
  await insert('4xx', 20, '0.03', '0');
  await insert('5xx', 20, '0.01', 'n');
  progress('traffic_hour filled');
  // The daily rollups as the downsampling makes them: every day of the window marked, as rolling
  // its hours up would have, then recomputed from the hours by the job's own code, in another
  // process so that its memory is not counted as the report's. The current day (until 12:00)
  // is not over, so it stays marked and is read from the hours.
  await partitions.ensure('traffic_day', hours);
  for (const p of await partitions.list('traffic_day'))
    await db.query(`ALTER TABLE ${s}."${p.name}" SET (autovacuum_enabled = false)`);
  await markDaysDirty(db, schema, [...hours, NOW]);
  const rolling = performance.now();
  const days = await dayRollupChild(url, schema);
  dayRollupSeconds = (performance.now() - rolling) / 1000;
  progress(`${days} days rolled up`);
  // The heavy-hitter path summaries, one per hour (only `path` is read by the report).
  const top = new SpaceSaving(200);
  for (let i = 0; i < 2_000; i++) top.add(`/api/v1/items/${i % 400}`, 1 + Math.floor(5_000 / (1 + i)));
  await db.query(
    `INSERT INTO ${s}.top_hour (bucket, dimension, summary)
     SELECT b, 'path', $3::jsonb
       FROM generate_series($1::timestamptz, $2::timestamptz - interval '1 hour', interval '1 hour') b`,
    [new Date(SINCE), new Date(UNTIL), JSON.stringify(top.summary())],
  );
  // 20,000 WAF events (three quarters blocked) over 30 days, from 500 client addresses.
  await db.query(
    `INSERT INTO ${s}.security_events (occurred_at, gateway_id, stream, sequence, entry_index, rule_id,
            rule_description, threat_type, severity, action, client_ip, payload, country, asn, host, uri,
            method, status_code, request_id, route, rule_sets)
     SELECT $1::timestamptz + (i * interval '1 second' * ${(30 * 86_400) / 20_000}), 'gw-0', 's', i, 0,
            'rule-' || (i % 37), 'rule ' || (i % 37), 'sqli', 'high',
            CASE WHEN i % 4 = 0 THEN 'logged' ELSE 'blocked' END, '198.51.100.' || (i % 250) || '.' || (i % 2),
            '', 'DE', 'AS3320', 'h' || (i % ${HOSTS}) || '.example.com', '/x', 'GET', 403, 'req-' || i,
            'ns' || (i % ${HOSTS}) || '/web/r' || (i % ${ROUTES_PER_HOST}), 'crs'
       FROM generate_series(0, 19999) i`,
    [new Date(SINCE)],
  );
  const incidents = new IncidentRepository(db, schema);
  for (let i = 0; i < 20; i++)
    await incidents.record({
      policy: `ns${i}/threats`,
      scenario: 'ssh-bruteforce',
      source: `203.0.113.${i}`,
      mode: i % 2 === 0 ? 'Enforce' : 'DryRun',
      firstSeenMs: SINCE + i * DAY,
      lastSeenMs: SINCE + i * DAY + 600_000,
      events: 50 + i,
      samples: [],
      hosts: [`h${i}.example.com`],
      routes: [`ns${i}/web/r1`],
      decisions: [],
    });
  const decisions = new DecisionRepository(db, schema);
  for (let i = 0; i < 20; i++)
    await decisions.decide(
      {
        scope: 'ip',
        value: `203.0.113.${i}`,
        type: 'ban',
        origin: 'scenario',
        scenario: `ns${i}/threats/ssh-bruteforce`,
        reason: 'too many failures',
        response: { durationMs: DAY, maxDurationMs: 7 * DAY, escalationWindowMs: DAY },
      },
      UNTIL - (i + 1) * DAY,
    );
  await new AuditStore(db, schema).append(
    Array.from({ length: 200 }, (_, i) => ({
      timeMs: SINCE + i * 3 * HOUR + 1,
      action: i % 10 === 0 ? ('delete' as const) : ('update' as const),
      actor: 'kubectl',
      kind: 'RouteConfig',
      namespace: `ns${i % HOSTS}`,
      name: 'web',
      generation: i + 1,
      summary: `spec.routes[${i % ROUTES_PER_HOST}].backends changed`,
      details: {},
    })),
  );
  const count = async (table: string) =>
    Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM ${s}.${table}`)).rows[0]?.n ?? 0);
  await db.query(`ANALYZE ${s}.traffic_hour`);
  await db.query(`ANALYZE ${s}.traffic_day`);
  return {
    traffic_hour: await count('traffic_hour'),
    traffic_day: await count('traffic_day'),
    top_hour: await count('top_hour'),
    security_events: await count('security_events'),
    threat_incidents: await count('threat_incidents'),
    threat_decisions: await count('threat_decisions'),
    audit_log: await count('audit_log'),
    'bytes per sketch (min)': Math.min(...sketches.map((b) => Buffer.from(b, 'base64').length)),
    'bytes per sketch (max)': Math.max(...sketches.map((b) => Buffer.from(b, 'base64').length)),
  };
}

const certificates = (): Promise<CertificateItem[]> =>
  Promise.resolve(
    Array.from({ length: HOSTS }, (_, i) => ({
      namespace: `ns${i}`,
      name: 'web-tls',
      dnsNames: [`h${i}.example.com`],
      ...(i === 7 ? {} : { notAfterMs: NOW + (5 + i * 2) * DAY }),
      ready: i !== 7,
    })),
  );

export async function reportsBenchmark(): Promise<string[]> {
  const lines: string[] = [];
  const cpu = cpus();
  lines.push(
    `Machine: ${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}; load average before: ${loadAverage()}`,
  );
  const server = await LocalPostgres.start({ durable: true });
  try {
    const schema = 'bench_reports';
    // The product's default statement timeout (DATABASE_STATEMENT_TIMEOUT_MS), unless overridden.
    const settings = storeSettings(
      {
        databaseUrl: server.url,
        databasePoolSize: 4,
        databaseStatementTimeoutMs: STATEMENT_TIMEOUT_MS,
        databaseSchema: schema,
        embeddedDataDir: '',
      },
      () => '',
    );
    if (settings.kind !== 'postgres') throw new Error('expected PostgreSQL settings');
    const db = new PostgresDatabase(settings, silentLogger);
    await migrate(db, { schema, logger: silentLogger });
    const filling = performance.now();
    const counts = await fill(db, server.url, schema);
    const fillSeconds = (performance.now() - filling) / 1000;
    lines.push(
      '',
      `Filled in ${fmt(fillSeconds, 1)} s: ${Object.entries(counts)
        .map(([t, n]) => `${t} ${fmt(n)}${t.startsWith('bytes') ? '' : ' rows'}`)
        .join(', ')}.`,
      '',
      `Of the fill, the daily rollups (30 days recomputed from their hours by telemetry.downsample's code): ${fmt(dayRollupSeconds, 1)} s.`,
    );
    const options = {
      db,
      schema,
      window: WINDOW,
      nowMs: NOW,
      sections: REPORT_SECTIONS,
      formats: REPORT_FORMATS,
      certificates,
    };
    global.gc?.();
    const before = rssMiB();
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, rssMiB())), 20);
    const times: number[] = [];
    let sizes: { format: string; bytes: number }[] = [];
    let failure: string | undefined;
    let sectionCheck = '';
    let start = performance.now();
    try {
      for (let run = 0; run < RUNS; run++) {
        console.error(`reports bench: run ${run + 1} at ${new Date().toISOString()}`);
        start = performance.now();
        const report = await generateReport(options);
        times.push(performance.now() - start);
        sizes = report.files.map((f) => ({ format: f.format, bytes: Buffer.byteLength(f.body) }));
        const m = report.model;
        sectionCheck =
          `routes in latency ${fmt(m.latency?.length ?? 0)}, errors ${fmt(m.errors?.length ?? 0)}, ` +
          `capacity ${fmt(m.capacity?.length ?? 0)} (forecast for ${fmt(
            m.capacity?.filter((c) => c.forecastPeakRps !== null).length ?? 0,
          )}), top paths ${m.top?.paths.length ?? 0}, WAF rules ${m.waf?.byRule.length ?? 0}, ` +
          `incidents ${m.threats?.incidents.length ?? 0}, decisions ${m.threats?.decisions.length ?? 0}, ` +
          `certificates ${m.certificates?.items.length ?? 0}, changes ${m.changes?.length ?? 0}`;
      }
    } catch (error) {
      const e = error instanceof Error ? error : new Error(String(error));
      failure = `${e.name}: ${e.message} (${fmt((performance.now() - start) / 1000, 1)} s into the run)\n${(e.stack ?? '').split('\n').slice(1, 5).join('\n')}`;
    } finally {
      clearInterval(sampler);
    }
    global.gc?.();
    const after = rssMiB();
    lines.push('', `Load average after the runs: ${loadAverage()}`, '');
    lines.push(`| ${WINDOW} report, ${fmt(ROUTES)} routes, all sections, html + json + csv | value |`);
    lines.push('| --- | ---: |');
    if (times.length > 0) {
      lines.push(`| runs | ${times.length} (first included) |`);
      lines.push(`| wall time, median | ${fmt(median(times) / 1000, 2)} s |`);
      lines.push(`| wall time, p99 (= max of ${times.length}) | ${fmt(Math.max(...times) / 1000, 2)} s |`);
      lines.push(`| wall time, first run | ${fmt((times[0] ?? 0) / 1000, 2)} s |`);
      for (const { format, bytes } of sizes) lines.push(`| ${format} size | ${fmt(bytes / 1024)} KiB |`);
    }
    lines.push(`| statement timeout | ${fmt(STATEMENT_TIMEOUT_MS / 1000)} s |`);
    lines.push(`| RSS before (after GC) | ${fmt(before)} MiB |`);
    lines.push(
      `| RSS peak during the runs (sampled every 20 ms) | ${fmt(peak)} MiB (+${fmt(peak - before)} MiB) |`,
    );
    lines.push(`| RSS after, GC run | ${fmt(after)} MiB (+${fmt(after - before)} MiB) |`);
    if (sectionCheck) lines.push('', `Sections: ${sectionCheck}.`);
    if (failure)
      lines.push(
        '',
        `**generateReport failed** after ${times.length} successful run(s):`,
        '',
        '```',
        failure,
        '```',
      );

    // Where the time goes: one more run, gather / model / each renderer timed apart.
    if (!failure) {
      // Loaded here, not at the top, so the first measured run pays for loading ECharts as in production.
      const { renderReport } = await import('../src/reports/render.js');
      const t0 = performance.now();
      const data = await gatherReportData(options);
      const t1 = performance.now();
      const model = buildReport(data, REPORT_SECTIONS);
      const t2 = performance.now();
      const render = REPORT_FORMATS.map((format) => {
        const start = performance.now();
        renderReport(model, format);
        return `${format} ${fmt(performance.now() - start)} ms`;
      });
      // Two parts of the gather step timed apart: the traffic pass and the daily peaks.
      const t3 = performance.now();
      const { scan } = await gatherTraffic(options);
      const t4 = performance.now();
      const { sinceMs, untilMs } = reportWindow(WINDOW, NOW);
      await dailyPeaks(db, schema, sinceMs, untilMs, undefined);
      const t5 = performance.now();
      const read = (['day', 'hour', 'minute'] as const).map((t) => `${fmt(scan.rows[t])} ${t}`).join(', ');
      lines.push(
        '',
        `One more run, split: gather ${fmt(t1 - t0)} ms, model ${fmt(t2 - t1)} ms, render ${render.join(', ')}.`,
        '',
        `Timed apart: the traffic pass ${fmt(t4 - t3)} ms, reading ${fmt(scan.rows.day + scan.rows.hour + scan.rows.minute)} rollup rows (${read}); the daily peaks ${fmt(t5 - t4)} ms.`,
      );
    }
    lines.push('', `Load average at the end: ${loadAverage()}`);
    await db.close();
  } finally {
    await server.stop();
  }
  return lines;
}
