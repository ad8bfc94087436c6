/**
 * Daily rollups against a real PostgreSQL, with telemetry written by the real processor and an
 * injected clock: a day is recomputed from its hours once they are all rolled up (and again after
 * late minutes), and every answer read from the days equals the one read from hours and minutes —
 * counters exactly, percentiles from the same merged sketch bins.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { encodeSketch, newSketch } from '../../src/domain/telemetry/latency-sketch.js';
import { partitionFor } from '../../src/domain/telemetry/partitions.js';
import { RouteMatcher } from '../../src/domain/telemetry/route-matcher.js';
import { floorDay } from '../../src/domain/telemetry/tiers.js';
import { gatherTraffic } from '../../src/reports/gather.js';
import { FakeClock } from '../../src/runtime/clock.js';
import { silentLogger } from '../../src/runtime/logger.js';
import { identifier } from '../../src/storage/database.js';
import { EmbeddedDatabase } from '../../src/storage/embedded-database.js';
import { migrate } from '../../src/storage/migrate.js';
import { MIGRATIONS } from '../../src/storage/migrations.js';
import { DirectoryObjectStore } from '../../src/storage/object-store-directory.js';
import type { PostgresDatabase } from '../../src/storage/postgres-database.js';
import { downsample } from '../../src/telemetry/downsample.js';
import { PartitionManager } from '../../src/telemetry/partition-manager.js';
import { TelemetryProcessor } from '../../src/telemetry/processor.js';
import { queryTraffic, type TrafficQuery } from '../../src/telemetry/queries.js';
import { applyRetention } from '../../src/telemetry/retention.js';
import { DEFAULT_RETENTION, type RetentionSettings } from '../../src/telemetry/tables.js';
import { migratedStore, postgresAt, storeOf, type TestStore } from '../support/job-fixtures.js';
import { sharedDatabaseUrl, uniqueSchema } from '../support/shared-postgres.js';
import { accessEntry, insertBatch } from '../support/stored-batches.js';
import { prefixRoute } from '../support/telemetry-fixtures.js';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const D0 = Date.UTC(2026, 4, 4);
/** Day 3, 13:30: days 0–2 are over, day 3 is not. */
const NOW = D0 + 3 * DAY + 13 * HOUR + 30 * MINUTE;
const HOURS_WITH_TRAFFIC = [1, 9, 14, 23];
const HOSTS = ['shop.example.com', 'blog.example.com', 'api.example.com'];

const routes = new RouteMatcher(
  HOSTS.map((host) => ({
    key: `${host.split('.')[0] ?? ''}/web`,
    payload: { hostnames: [host], routes: [prefixRoute('api', '/api'), prefixRoute('site', '/')] },
  })),
);

describe('daily traffic rollups (real PostgreSQL, real processor)', function () {
  this.timeout(120_000);
  let test: TestStore;
  let sequence = 0;

  async function ingest(atMs: number, count: number, gatewayId: string): Promise<void> {
    await insertBatch(test.db, test.schema, {
      gatewayId,
      sequence: ++sequence,
      receivedAt: new Date(atMs),
      entries: Array.from({ length: count }, (_, i) =>
        accessEntry(gatewayId, {
          timeMs: atMs + i * 7_000,
          host: HOSTS[(i + sequence) % HOSTS.length] ?? '',
          uri: i % 3 === 0 ? '/api/items' : '/',
          statusCode: [200, 200, 200, 404, 500, 503][(i * 7 + sequence) % 6] ?? 200,
          // Whole milliseconds: latency sums then add up exactly in any order.
          responseTimeMs: 3 + ((i * 37 + sequence * 11) % 700),
          requestSize: 100 + i,
          responseSize: 1000 + 13 * i,
        }),
      ),
    });
    const processor = new TelemetryProcessor({
      store: test.store,
      schema: test.schema,
      logger: silentLogger,
      clock: new FakeClock(NOW),
      routes: () => routes,
    });
    while ((await processor.processOnce(test.db)).batches > 0);
  }

  before(async () => {
    test = await migratedStore('dailyrollups');
    for (let day = 0; day <= 3; day++)
      for (const hour of HOURS_WITH_TRAFFIC) {
        const at = D0 + day * DAY + hour * HOUR;
        if (at >= NOW - HOUR) continue;
        await ingest(at + 5 * MINUTE, 40, 'gw-a');
        await ingest(at + 31 * MINUTE, 25, 'gw-b');
      }
  });
  after(async () => {
    await test.db.close();
  });

  const s = () => identifier(test.schema);
  const whole: TrafficQuery = { sinceMs: D0 + 12 * HOUR, untilMs: D0 + 3 * DAY + 13 * HOUR, stepMs: 0 };
  const queries: [string, TrafficQuery][] = [
    ['the whole window by route', { ...whole, stepMs: whole.untilMs - whole.sinceMs, by: 'route' }],
    ['the whole window by gateway', { ...whole, stepMs: whole.untilMs - whole.sinceMs, by: 'gateway' }],
    ['the whole window of one host', { ...whole, stepMs: whole.untilMs - whole.sinceMs, host: HOSTS[1] }],
    [
      'daily steps from midnight by status',
      { sinceMs: D0, untilMs: D0 + 3 * DAY, stepMs: DAY, by: 'status' },
    ],
    ['hourly steps', { ...whole, stepMs: HOUR }],
  ];

  /** Every answer compared, and how many rows of each tier the report read. */
  async function answers() {
    const out: Record<string, unknown> = {};
    for (const [name, query] of queries) out[name] = await queryTraffic(test.db, test.schema, query, NOW);
    const report = await gatherTraffic({ db: test.db, schema: test.schema, window: '30d', nowMs: NOW });
    const scoped = await gatherTraffic({
      db: test.db,
      schema: test.schema,
      window: '7d',
      nowMs: NOW,
      namespace: 'blog',
    });
    out['a 30-day report'] = report.traffic;
    out['a 7-day report of one namespace'] = scoped.traffic;
    const days = report.scan.ranges
      .filter((r) => r.tier === 'day')
      .map((r) => [(r.fromMs - D0) / DAY, (r.toMs - D0) / DAY]);
    return { answers: out, reportRows: report.scan.rows, reportDays: days };
  }

  const totals = (a: Awaited<ReturnType<typeof answers>>) =>
    (a.answers['a 30-day report'] as { totals: { requests: number } }).totals;

  let fromMinutes: Awaited<ReturnType<typeof answers>>;

  it('answers from the minutes before anything is rolled up', async () => {
    fromMinutes = await answers();
    expect(fromMinutes.reportRows.day).to.equal(0);
    expect(fromMinutes.reportRows.hour).to.equal(0);
    expect(fromMinutes.reportRows.minute).to.be.greaterThan(0);
    // Four hours a day with traffic, two of them on day 3 before 12:30; 65 requests each.
    expect(totals(fromMinutes).requests).to.equal(65 * 14);
  });

  it('rolls up each day whose hours are all over and rolled up, and only those', async () => {
    // Day 2 ends at 00:00 of day 3; with a minute's grace not before 00:01.
    const early = await downsample(test.db, test.schema, D0 + 3 * DAY + 30_000, { topCapacity: 100 });
    expect(early.days).to.equal(2);
    const result = await downsample(test.db, test.schema, NOW, { topCapacity: 100 });
    expect(result.days).to.equal(1);
    expect((await downsample(test.db, test.schema, NOW, { topCapacity: 100 })).days).to.equal(0);
    const days = await test.db.query<{ day: Date }>(
      `SELECT DISTINCT bucket AS day FROM ${s()}.traffic_day ORDER BY bucket`,
    );
    expect(days.rows.map((r) => r.day.getTime())).to.deep.equal([D0, D0 + DAY, D0 + 2 * DAY]);
    // Day 3 is not over: still marked.
    const dirty = await test.db.query<{ day: Date }>(`SELECT day FROM ${s()}.telemetry_dirty_days`);
    expect(dirty.rows.map((r) => r.day.getTime())).to.deep.equal([D0 + 3 * DAY]);
  });

  it('holds in each daily row the sums of its hours, per key', async () => {
    const sums = (table: string) =>
      test.db.query<Record<string, string>>(
        `SELECT date_trunc('day', bucket AT TIME ZONE 'UTC')::text AS day, host, route, method, status_class,
                gateway_id, sum(requests)::text AS n, sum(errors)::text AS e, sum(bytes_in)::text AS i,
                sum(bytes_out)::text AS o, sum(latency_sum_ms)::text AS l
           FROM ${s()}.${table} WHERE bucket < $1
          GROUP BY 1, host, route, method, status_class, gateway_id ORDER BY 1, 2, 3, 4, 5, 6`,
        [new Date(D0 + 3 * DAY)],
      );
    const days = (await sums('traffic_day')).rows;
    expect(days.length).to.be.greaterThan(20);
    expect(days).to.deep.equal((await sums('traffic_hour')).rows);
  });

  it('answers every query from the days exactly as from the minutes', async () => {
    const fromDays = await answers();
    // Every whole day of the window up to day 2 from the days (those before day 0 had no traffic
    // and are empty in both); day 3 up to 13:00 from the hours.
    expect(fromDays.reportDays).to.deep.equal([[-26, 3]]);
    expect(fromDays.reportRows.minute).to.equal(0);
    for (const [name, answer] of Object.entries(fromMinutes.answers))
      expect(fromDays.answers[name], name).to.deep.equal(answer);
  });

  it('answers from the hours while a day waits to be recomputed, and the same', async () => {
    await test.db.query(
      `INSERT INTO ${s()}.telemetry_dirty_days (day) VALUES ($1), ($2), ($3) ON CONFLICT DO NOTHING`,
      [new Date(D0), new Date(D0 + DAY), new Date(D0 + 2 * DAY)],
    );
    // What a dirty day holds is stale by definition: here, nothing at all.
    await test.db.query(`DELETE FROM ${s()}.traffic_day WHERE bucket = $1`, [new Date(D0 + DAY)]);
    const fromHours = await answers();
    expect(fromHours.reportRows.day).to.equal(0);
    expect(fromHours.reportRows.hour).to.be.greaterThan(0);
    for (const [name, answer] of Object.entries(fromMinutes.answers))
      expect(fromHours.answers[name], name).to.deep.equal(answer);
    expect((await downsample(test.db, test.schema, NOW, { topCapacity: 100 })).days).to.equal(3);
  });

  it('takes late minutes of a rolled-up day into account at once, and recomputes the day', async () => {
    await ingest(D0 + DAY + 9 * HOUR + 50 * MINUTE, 12, 'gw-c');
    const late = await answers();
    // The hour of the late minutes is dirty: from it on, the minutes answer; day 0 still from the days.
    expect(late.reportDays).to.deep.equal([[-26, 1]]);
    expect(totals(late).requests).to.equal(totals(fromMinutes).requests + 12);
    const result = await downsample(test.db, test.schema, NOW, { topCapacity: 100 });
    expect(result).to.deep.equal({ hours: 1, days: 1 });
    const recomputed = await answers();
    expect(recomputed.reportDays).to.deep.equal([[-26, 3]]);
    for (const [name, answer] of Object.entries(late.answers))
      expect(recomputed.answers[name], name).to.deep.equal(answer);
  });
});

describe('daily rollups: upgrade and retention (real PostgreSQL)', function () {
  this.timeout(60_000);
  const now = Date.now();
  let db: PostgresDatabase;
  let schema: string;
  let archiveDir: string;

  beforeEach(async () => {
    schema = uniqueSchema('dailyupgrade');
    db = postgresAt(await sharedDatabaseUrl(), schema);
    archiveDir = mkdtempSync(join(tmpdir(), 'gw-archive-'));
  });
  afterEach(async () => {
    await db.close();
    rmSync(archiveDir, { recursive: true, force: true });
  });

  async function insertHour(table: string, atMs: number, requests: number): Promise<void> {
    await new PartitionManager(db, schema).ensure(table as 'traffic_hour' | 'traffic_day', [atMs]);
    const sketch = newSketch();
    for (let i = 0; i < requests; i++) sketch.accept(10 + i);
    await db.query(
      `INSERT INTO ${identifier(schema)}.${table} (bucket, host, route, method, status_class, gateway_id,
              requests, errors, bytes_in, bytes_out, latency_sum_ms, latency_sketch)
       VALUES ($1, 'shop.example.com', 'shop/web/site', 'GET', '2xx', 'gw-a', $2, 0, 100, 1000, 10, decode($3, 'base64'))`,
      [new Date(atMs), requests, Buffer.from(encodeSketch(sketch)).toString('base64')],
    );
  }

  it('recomputes the days of hours rolled up before the upgrade, and of those rolled up during it', async () => {
    await migrate(db, {
      schema,
      logger: silentLogger,
      migrations: MIGRATIONS.filter((m) => m.version < 520),
    });
    const first = floorDay(now) - 3 * DAY;
    await insertHour('traffic_hour', first + 5 * HOUR, 3);
    await insertHour('traffic_hour', first + DAY + 7 * HOUR, 4);
    await migrate(db, { schema, logger: silentLogger });
    const marked = await db.query<{ day: Date }>(
      `SELECT day FROM ${identifier(schema)}.telemetry_dirty_days ORDER BY day`,
    );
    // From the oldest hour's day to two days ahead: a previous version still running the
    // downsampling during a rolling upgrade marks no days.
    expect(marked.rows.map((r) => (r.day.getTime() - first) / DAY)).to.deep.equal([0, 1, 2, 3, 4, 5]);
    const result = await downsample(db, schema, now, { topCapacity: 100 });
    expect(result.days).to.equal(3);
    const days = await db.query<{ day: Date; n: string }>(
      `SELECT bucket AS day, requests::text AS n FROM ${identifier(schema)}.traffic_day ORDER BY bucket`,
    );
    expect(days.rows.map((r) => [(r.day.getTime() - first) / DAY, Number(r.n)])).to.deep.equal([
      [0, 3],
      [1, 4],
    ]);
  });

  it('archives and drops daily rollups after TELEMETRY_DAILY_RETENTION_DAYS, never before the hourly ones', async () => {
    await migrate(db, { schema, logger: silentLogger });
    for (const age of [900, 500, 300]) await insertHour('traffic_day', floorDay(now - age * DAY), 2);
    const dropped = async (retention: RetentionSettings) =>
      (
        await applyRetention({
          db,
          schema,
          nowMs: now,
          retention,
          objectStore: new DirectoryObjectStore(archiveDir),
          logger: silentLogger,
        })
      ).dropped
        .filter((d) => d.table === 'traffic_day')
        .map((d) => [d.partition, d.rows, d.archive]);
    const named = (age: number) => partitionFor('traffic_day', now - age * DAY, 'month').name;
    expect(await dropped(DEFAULT_RETENTION)).to.deep.equal([
      [named(900), 1, `telemetry/traffic_day/${named(900)}.ndjson.gz`],
    ]);
    // Days kept 100 days but hours 400: the days stay as long as the hours.
    expect(await dropped({ ...DEFAULT_RETENTION, dayDays: 100 })).to.deep.equal([
      [named(500), 1, `telemetry/traffic_day/${named(500)}.ndjson.gz`],
    ]);
    const left = await new PartitionManager(db, schema).list('traffic_day');
    expect(left.map((p) => p.name)).to.deep.equal([named(300)]);
  });
});

describe('daily rollups on the embedded store (PGlite)', function () {
  this.timeout(120_000);

  it('rolls days up and answers from them as from the minutes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'daily-embedded-'));
    const schema = 'gateway_worker';
    const db = await EmbeddedDatabase.open({
      kind: 'embedded',
      dataDir: dir,
      statementTimeoutMs: 30_000,
      schema,
      description: dir,
    });
    try {
      await migrate(db, { schema, logger: silentLogger });
      const store = storeOf(db, schema);
      const processor = new TelemetryProcessor({
        store: store.store,
        schema,
        logger: silentLogger,
        clock: new FakeClock(NOW),
        routes: () => routes,
      });
      for (let day = 0; day < 3; day++)
        await insertBatch(db, schema, {
          gatewayId: 'gw-a',
          sequence: day + 1,
          receivedAt: new Date(D0 + day * DAY + 10 * HOUR),
          entries: Array.from({ length: 30 }, (_, i) =>
            accessEntry('gw-a', {
              timeMs: D0 + day * DAY + 10 * HOUR + i * 1000,
              host: HOSTS[i % 3] ?? '',
              statusCode: i % 5 === 0 ? 500 : 200,
              responseTimeMs: 5 + i * (day + 1),
            }),
          ),
        });
      while ((await processor.processOnce(db)).batches > 0);
      const query: TrafficQuery = { sinceMs: D0, untilMs: D0 + 3 * DAY, stepMs: 3 * DAY, by: 'route' };
      const fromMinutes = await queryTraffic(db, schema, query, NOW);
      const report = async () =>
        (await gatherTraffic({ db, schema, window: '7d', nowMs: NOW })).traffic.routes;
      const reportFromMinutes = await report();
      expect(await downsample(db, schema, NOW, { topCapacity: 100 })).to.deep.equal({ hours: 3, days: 3 });
      expect(await queryTraffic(db, schema, query, NOW)).to.deep.equal(fromMinutes);
      expect(await report()).to.deep.equal(reportFromMinutes);
      const days = await db.query<{ n: string }>(
        `SELECT sum(requests)::text AS n FROM "${schema}".traffic_day`,
      );
      expect(Number(days.rows[0]?.n)).to.equal(90);
    } finally {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
