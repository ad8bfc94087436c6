/**
 * `npm run bench telemetry`: (1) records per second through aggregation on one core — the
 * per-minute aggregation alone, and decode + enrich (route matching) + aggregation of stored
 * batches; (2) freshness: a batch committed to telemetry_batches and announced with NOTIFY →
 * its requests visible in the answer of /api/v1/traffic (queryTraffic), on a durable local
 * PostgreSQL with the processor woken by LISTEN; (3) the process's RSS growth while one minute
 * with 1M distinct client addresses goes through the real processor into PostgreSQL.
 */
import { Registry } from 'prom-client';
import pg from 'pg';
import { MinuteAggregator } from '../src/domain/telemetry/aggregate.js';
import type { AccessRecord } from '../src/domain/telemetry/records.js';
import { RouteMatcher } from '../src/domain/telemetry/route-matcher.js';
import type { RoutesPayload } from '../src/domain/routes/types.js';
import { LocalPostgres } from '../src/envtest/postgres.js';
import { LogEntries } from '../src/generated/gateway/worker/v1/telemetry.js';
import { silentLogger } from '../src/runtime/logger.js';
import { storeSettings } from '../src/storage/connection-settings.js';
import { migrate } from '../src/storage/migrate.js';
import { decodeLogEntries } from '../src/telemetry/decode-entries.js';
import { enrichBatch, NO_GEO } from '../src/telemetry/enrichment.js';
import { FleetMetrics, telemetryMetrics } from '../src/telemetry/metrics.js';
import { TelemetryProcessor } from '../src/telemetry/processor.js';
import { queryTraffic } from '../src/telemetry/queries.js';
import { PgNotificationListener, TELEMETRY_CHANNEL } from '../src/telemetry/wake.js';
import { postgresAt, storeOf } from '../test/support/job-fixtures.js';
import { insertBatch } from '../test/support/stored-batches.js';
import { loadAverage } from './operator-in-process.js';
import { fmt, median, percentile, rssMiB } from './stats.js';
import { accessRecords, toEntry } from './telemetry-data.js';

const RECORDS = 1_000_000;
const RUNS = 3;
const FRESHNESS_SAMPLES = 100;

function routes(): RouteMatcher {
  const route = (name: string, type: 'prefix' | 'regex', value: string) => ({
    name,
    match: { path: { type, value } },
    backends: [],
    load_balancer: 'round_robin',
    timeout: '30s',
    retries: 0,
  });
  const payload: RoutesPayload = {
    hostnames: ['shop.example.com', 'api.example.com', 'www.example.com', '*.example.com'],
    routes: [
      ...Array.from({ length: 20 }, (_, i) => route(`r${i}`, 'prefix', `/api/v1/items/${i}`)),
      route('items', 'regex', '^/api/v1/items/[0-9]+$'),
    ],
  };
  return new RouteMatcher([{ key: 'shop/storefront', payload }]);
}

function aggregationOnly(records: readonly AccessRecord[]): number {
  const start = performance.now();
  let aggregate = new MinuteAggregator();
  for (let i = 0; i < records.length; i++) {
    // The processor aggregates at most 50,000 records per transaction.
    if (i % 50_000 === 0) aggregate = new MinuteAggregator();
    const record = records[i];
    if (record) aggregate.addAccess(record);
  }
  return records.length / ((performance.now() - start) / 1000);
}

function decodeEnrichAggregate(
  batches: readonly Uint8Array[],
  perBatch: number,
  matcher: RouteMatcher,
): number {
  const start = performance.now();
  let aggregate = new MinuteAggregator();
  let n = 0;
  for (const [i, bytes] of batches.entries()) {
    if ((i * perBatch) % 50_000 === 0) aggregate = new MinuteAggregator();
    const enriched = enrichBatch(
      {
        gatewayId: 'gateway-0',
        stream: 's',
        sequence: i,
        receivedAtMs: 0,
        droppedAccess: 0,
        droppedSecurity: 0,
      },
      decodeLogEntries(bytes),
      matcher,
      NO_GEO,
    );
    for (const record of enriched.access) aggregate.addAccess(record);
    n += enriched.access.length;
  }
  return n / ((performance.now() - start) / 1000);
}

export async function telemetryBenchmark(): Promise<string[]> {
  const lines: string[] = [];
  // 1. Throughput on one core (this process, one thread).
  const start = Date.UTC(2026, 0, 5, 10);
  const records = [
    ...accessRecords(RECORDS, {
      startMs: start,
      spanMs: 10 * 60_000,
      gateways: 10,
      clients: 100_000,
      seed: 1,
    }),
  ];
  const perBatch = 1_000;
  const batches: Uint8Array[] = [];
  for (let i = 0; i < records.length; i += perBatch)
    batches.push(LogEntries.encode({ entries: records.slice(i, i + perBatch).map(toEntry) }).finish());
  const matcher = routes();
  const aggregateRates: number[] = [];
  const fullRates: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    aggregateRates.push(aggregationOnly(records));
    fullRates.push(decodeEnrichAggregate(batches, perBatch, matcher));
  }
  lines.push(`Load average before: ${loadAverage()}`, '');
  lines.push(
    '| path (1M records, 10 gateways, 10 minutes, one thread) | records/s, median of 3 | min | max |',
  );
  lines.push('| --- | ---: | ---: | ---: |');
  const row = (what: string, rates: number[]) =>
    `| ${what} | ${fmt(median(rates))} | ${fmt(Math.min(...rates))} | ${fmt(Math.max(...rates))} |`;
  lines.push(row('aggregation (cells, DDSketch, 5 space-saving summaries)', aggregateRates));
  lines.push(row('protobuf decode + route match + aggregation', fullRates));
  records.length = 0;

  // 2. Freshness and 3. RSS, on a durable local PostgreSQL.
  const server = await LocalPostgres.start({ durable: true });
  try {
    const schema = 'bench_telemetry';
    const db = postgresAt(server.url, schema, 4);
    await migrate(db, { schema, logger: silentLogger });
    const store = storeOf(db, schema).store;
    const settings = storeSettings(
      {
        databaseUrl: server.url,
        databasePoolSize: 2,
        databaseStatementTimeoutMs: 30_000,
        databaseSchema: schema,
        embeddedDataDir: '',
      },
      () => '',
    );
    if (settings.kind !== 'postgres') throw new Error('expected PostgreSQL settings');
    const metrics = telemetryMetrics(new Registry());
    const processor = new TelemetryProcessor({
      store,
      schema,
      logger: silentLogger,
      routes: () => matcher,
      metrics,
      fleet: new FleetMetrics(metrics, 20),
      listener: new PgNotificationListener(settings, silentLogger),
      pollMs: 60_000,
    });
    await processor.start();
    const notifier = new pg.Client({ connectionString: server.url });
    await notifier.connect();
    const delays: number[] = [];
    try {
      for (let i = 0; i < FRESHNESS_SAMPLES; i++) {
        const now = Date.now();
        const sample = [
          ...accessRecords(100, { startMs: now, spanMs: 1, gateways: 1, clients: 10, seed: 100 + i }),
        ];
        const committed = performance.now();
        await insertBatch(db, schema, {
          gatewayId: `fresh-${i}`,
          sequence: 1,
          receivedAt: new Date(now),
          entries: sample.map((r) => ({ ...toEntry(r), gatewayId: `fresh-${i}` })),
        });
        await notifier.query(`NOTIFY ${TELEMETRY_CHANNEL}`);
        for (;;) {
          const answer = await queryTraffic(
            db,
            schema,
            { sinceMs: now - 120_000, untilMs: now + 60_000, stepMs: 60_000, gateway: `fresh-${i}` },
            Date.now(),
          );
          const seen = answer.series.reduce(
            (sum, s) => sum + s.points.reduce((n, p) => n + p.requests, 0),
            0,
          );
          if (seen >= 100) break;
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        delays.push(performance.now() - committed);
      }
    } finally {
      await notifier.end();
    }
    lines.push('', `Load average after the throughput runs: ${loadAverage()}`, '');
    lines.push('| freshness: batch committed + NOTIFY → visible in /api/v1/traffic | p50 | p99 | max |');
    lines.push('| --- | ---: | ---: | ---: |');
    lines.push(
      `| ${FRESHNESS_SAMPLES} batches of 100 records, processor woken by LISTEN, durable PostgreSQL 15 | ${fmt(median(delays))} ms | ${fmt(percentile(delays, 99))} ms | ${fmt(Math.max(...delays))} ms |`,
    );
    await processor.stop();

    // 3. RSS growth: one minute with 1M distinct client addresses through the processor.
    const minute = Date.now() - (Date.now() % 60_000) - 60_000;
    let inserted = 0;
    for (const chunk of chunks(
      accessRecords(RECORDS, { startMs: minute, spanMs: 59_000, gateways: 10, clients: 'unique', seed: 7 }),
      5_000,
    )) {
      await insertBatch(db, schema, {
        gatewayId: 'rss',
        sequence: inserted,
        receivedAt: new Date(minute),
        entries: chunk.map(toEntry),
      });
      inserted += chunk.length;
    }
    global.gc?.();
    const before = rssMiB();
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, rssMiB())), 20);
    const processing = performance.now();
    const drainer = new TelemetryProcessor({
      store,
      schema,
      logger: silentLogger,
      routes: () => matcher,
      metrics,
    });
    let processed = 0;
    for (;;) {
      const result = await drainer.processOnce(db);
      if (result.batches === 0) break;
      processed += result.access;
    }
    const seconds = (performance.now() - processing) / 1000;
    clearInterval(sampler);
    global.gc?.();
    const after = rssMiB();
    lines.push('', `Load average after the freshness runs: ${loadAverage()}`, '');
    lines.push('| 1M distinct client IPs in one minute, through the processor into PostgreSQL | value |');
    lines.push('| --- | ---: |');
    lines.push(`| records processed | ${fmt(processed)} |`);
    lines.push(
      `| processing time (claim, decode, aggregate, write, commit) | ${fmt(seconds, 1)} s (${fmt(processed / seconds)} records/s end to end) |`,
    );
    lines.push(`| RSS before | ${fmt(before)} MiB |`);
    lines.push(
      `| RSS peak while processing (sampled every 20 ms) | ${fmt(peak)} MiB (+${fmt(peak - before)} MiB) |`,
    );
    lines.push(`| RSS after, GC run | ${fmt(after)} MiB (+${fmt(after - before)} MiB) |`);
    await db.close();
  } finally {
    await server.stop();
  }
  lines.push('', `Load average at the end: ${loadAverage()}`);
  return lines;
}

function* chunks<T>(items: Iterable<T>, size: number): Generator<T[]> {
  let chunk: T[] = [];
  for (const item of items) {
    chunk.push(item);
    if (chunk.length === size) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length > 0) yield chunk;
}
