/**
 * Downsampling, retention and archival against a real PostgreSQL, with an injected clock: what
 * a partition held is exactly what its archive holds, and it is dropped only after that is checked.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { expect } from 'chai';
import { RouteMatcher } from '../../src/domain/telemetry/route-matcher.js';
import { FakeClock } from '../../src/runtime/clock.js';
import { silentLogger } from '../../src/runtime/logger.js';
import { identifier } from '../../src/storage/database.js';
import { DirectoryObjectStore } from '../../src/storage/object-store-directory.js';
import { downsample } from '../../src/telemetry/downsample.js';
import { PartitionManager } from '../../src/telemetry/partition-manager.js';
import { TelemetryProcessor } from '../../src/telemetry/processor.js';
import { queryTop, queryTraffic } from '../../src/telemetry/queries.js';
import { applyRetention, archiveKey } from '../../src/telemetry/retention.js';
import { DEFAULT_RETENTION } from '../../src/telemetry/tables.js';
import { partitionFor } from '../../src/domain/telemetry/partitions.js';
import { migratedStore, type TestStore } from '../support/job-fixtures.js';
import { accessEntry, insertBatch, securityEntry } from '../support/stored-batches.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const D0 = Date.UTC(2026, 0, 5);

describe('telemetry downsampling, retention and archival (real PostgreSQL)', function () {
  this.timeout(60_000);
  let test: TestStore;
  let clock: FakeClock;
  let archiveDir: string;

  beforeEach(async () => {
    test = await migratedStore('retention');
    clock = new FakeClock(D0 + 10 * HOUR);
    archiveDir = mkdtempSync(join(tmpdir(), 'gw-archive-'));
  });
  afterEach(async () => {
    await test.db.close();
    rmSync(archiveDir, { recursive: true, force: true });
  });

  async function ingest(sequence: number, timeMs: number, count: number, gatewayId = 'gw-a'): Promise<void> {
    const entries = Array.from({ length: count }, (_, i) =>
      accessEntry(gatewayId, {
        timeMs: timeMs + i * 1000,
        uri: `/p${i % 4}`,
        clientIp: `203.0.113.${i % 7}`,
        responseTimeMs: 10 + i,
        statusCode: i % 10 === 0 ? 500 : 200,
      }),
    );
    entries.push(securityEntry(gatewayId, { timeMs }));
    await insertBatch(test.db, test.schema, {
      gatewayId,
      sequence,
      receivedAt: new Date(timeMs),
      entries,
      droppedAccess: 1,
    });
    await new TelemetryProcessor({
      store: test.store,
      schema: test.schema,
      logger: silentLogger,
      clock,
      routes: () => new RouteMatcher([]),
    }).processOnce(test.db);
  }

  it('rolls finished hours up into hourly rows equal to the sum of their minutes, once per change', async () => {
    const s = identifier(test.schema);
    const hour = D0 + 9 * HOUR;
    await ingest(1, hour + 5 * 60_000, 20);
    await ingest(2, hour + 40 * 60_000, 30);
    // The hour is not over (plus a minute's grace): nothing yet.
    expect((await downsample(test.db, test.schema, hour + HOUR, { topCapacity: 100 })).hours).to.equal(0);
    expect(
      (await downsample(test.db, test.schema, hour + HOUR + 2 * 60_000, { topCapacity: 100 })).hours,
    ).to.equal(1);
    expect(
      (await downsample(test.db, test.schema, hour + HOUR + 3 * 60_000, { topCapacity: 100 })).hours,
    ).to.equal(0);
    const sums = async (table: string) =>
      (
        await test.db.query<{ requests: string; errors: string }>(
          `SELECT sum(requests) AS requests, sum(errors) AS errors FROM ${s}.${table}`,
        )
      ).rows.map((r) => [Number(r.requests), Number(r.errors)]);
    expect(await sums('traffic_hour')).to.deep.equal(await sums('traffic_minute'));
    expect(await sums('traffic_hour')).to.deep.equal([[50, 5]]);
    const drops = await test.db.query<{ a: string }>(`SELECT sum(dropped_access) AS a FROM ${s}.drops_hour`);
    expect(Number(drops.rows[0]?.a)).to.equal(2);
    const waf = await test.db.query<{ m: string }>(`SELECT sum(matches) AS m FROM ${s}.waf_hour`);
    expect(Number(waf.rows[0]?.m)).to.equal(2);

    // A late batch for that hour marks it again; the next run replaces the hour, not adds to it.
    await ingest(3, hour + 50 * 60_000, 10);
    expect((await downsample(test.db, test.schema, hour + 2 * HOUR, { topCapacity: 100 })).hours).to.equal(1);
    expect(await sums('traffic_hour')).to.deep.equal([[60, 6]]);

    // Queries with whole-hour steps read the hourly rows; the answer matches the minutes.
    const now = hour + 2 * HOUR;
    const hourly = await queryTraffic(
      test.db,
      test.schema,
      { sinceMs: hour, untilMs: hour + HOUR, stepMs: HOUR },
      now,
    );
    // A step of 59 minutes is not whole hours: minute rows answer.
    const minutes = await queryTraffic(
      test.db,
      test.schema,
      { sinceMs: hour, untilMs: hour + 59 * 60_000, stepMs: 59 * 60_000 },
      now,
    );
    expect(hourly.series[0]?.points[0]?.requests).to.equal(60);
    expect(minutes.series[0]?.points[0]?.requests).to.equal(60);
    expect(hourly.dropped).to.deep.equal({ access: 3, security: 0 });
    const top = await queryTop(
      test.db,
      test.schema,
      { sinceMs: hour, untilMs: hour + HOUR, by: 'path', limit: 4 },
      now,
    );
    expect(top.total).to.equal(60);
    expect(top.items.map((i) => i.value).sort()).to.deep.equal(['/p0', '/p1', '/p2', '/p3']);
  });

  it('archives an expired partition as gzip NDJSON equal to its rows, then drops it; recent ones stay', async () => {
    const s = identifier(test.schema);
    await ingest(1, D0 + 10 * HOUR, 25);
    clock.advance(DAY);
    await ingest(2, D0 + DAY + 10 * HOUR, 5);
    const old = partitionFor('traffic_minute', D0, 'day');
    const before = await test.db.query<{ line: string }>(
      `SELECT row_to_json(t)::text AS line FROM ${s}.${identifier(old.name)} t ORDER BY bucket`,
    );
    expect(before.rows.length).to.be.greaterThan(0);
    const store = new DirectoryObjectStore(archiveDir);
    // Day 0 is past its 14 days only from day 15 on; day 1 is not.
    const result = await applyRetention({
      db: test.db,
      schema: test.schema,
      nowMs: D0 + 15 * DAY,
      retention: DEFAULT_RETENTION,
      objectStore: store,
      logger: silentLogger,
    });
    const droppedTables = result.dropped.map((d) => d.partition).sort();
    expect(droppedTables).to.deep.equal(
      ['drops_minute', 'top_minute', 'traffic_minute', 'waf_minute']
        .map((t) => partitionFor(t, D0, 'day').name)
        .sort(),
    );
    const archived: string[] = [];
    let text = '';
    for await (const chunk of (await store.get(archiveKey('traffic_minute', old))).pipe(createGunzip()))
      text += String(chunk);
    archived.push(...text.split('\n').filter((line) => line !== ''));
    // Rows of one minute come in no particular order: compare them as sets of lines.
    expect([...archived].sort()).to.deep.equal(before.rows.map((r) => r.line).sort());
    const left = (await new PartitionManager(test.db, test.schema).list('traffic_minute')).map((p) => p.name);
    expect(left).to.deep.equal([partitionFor('traffic_minute', D0 + DAY, 'day').name]);
    // Security events are kept 30 days: still there.
    const events = await test.db.query<{ n: string }>(`SELECT count(*) AS n FROM ${s}.security_events`);
    expect(Number(events.rows[0]?.n)).to.equal(2);
    // Processed batches are deleted after their hours.
    expect(result.batchesDeleted).to.equal(2);
  });

  it('drops nothing when the archive cannot be written, and says why', async () => {
    await ingest(1, D0 + 10 * HOUR, 3);
    // A store whose root is a file: every write fails.
    writeFileSync(join(archiveDir, 'not-a-directory'), '');
    const broken = new DirectoryObjectStore(join(archiveDir, 'not-a-directory'));
    let failure: unknown;
    try {
      await applyRetention({
        db: test.db,
        schema: test.schema,
        nowMs: D0 + 15 * DAY,
        retention: DEFAULT_RETENTION,
        objectStore: broken,
        logger: silentLogger,
      });
    } catch (error) {
      failure = error;
    }
    expect(failure).to.be.instanceOf(Error);
    const left = await new PartitionManager(test.db, test.schema).list('traffic_minute');
    expect(left).to.have.length(1);
  });
});
