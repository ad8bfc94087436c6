/**
 * Retention against a real PostgreSQL on the gateway's schema, archiving to a real directory
 * store: a million request_logs rows (every archived row is a deleted row, and the archives read
 * back), CSV and no-archive tables, whole partitions, and the time budget.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { expect } from 'chai';
import { connect, type GatewayClient } from '../../src/dbops/connection/client.js';
import { runMigrations } from '../../src/dbops/migrations/runner.js';
import {
  runRetention,
  type RetentionOptions,
  type RetentionTable,
} from '../../src/dbops/retention/runner.js';
import { silentLogger } from '../../src/runtime/logger.js';
import { DirectoryObjectStore } from '../../src/storage/object-store-directory.js';
import type { ObjectStore } from '../../src/storage/object-store.js';
import { GATEWAY_SCHEMA_FILE } from '../fixtures/gateway-reference/paths.js';
import { createGatewayDatabase, type GatewayDatabase } from '../support/gateway-database.js';
import { fillCacheEntries, fillRequestLogs } from '../support/gateway-data.js';

const DAY = 86_400_000;

async function archivedLines(store: ObjectStore, prefix: string): Promise<string[]> {
  const lines: string[] = [];
  for await (const object of store.list(prefix)) {
    const chunks: Buffer[] = [];
    for await (const chunk of await store.get(object.key)) chunks.push(chunk as Buffer);
    const text = gunzipSync(Buffer.concat(chunks)).toString('utf8');
    lines.push(...text.split('\n').filter((line) => line !== ''));
  }
  return lines;
}

describe('retention runner (real PostgreSQL, directory store)', function () {
  this.timeout(600_000);
  let db: GatewayDatabase;
  let client: GatewayClient;
  let dir: string;
  let store: ObjectStore;
  const options = (overrides: Partial<RetentionOptions> = {}): RetentionOptions => ({
    namespace: 'gw',
    name: 'logs',
    startedAt: new Date(),
    now: () => new Date(),
    maxRunMs: 30 * 60_000,
    store,
    logger: silentLogger,
    ...overrides,
  });

  beforeEach(async () => {
    db = await createGatewayDatabase('ret');
    client = await connect(db.params);
    await runMigrations(
      client,
      [
        {
          name: '001_initial_schema.sql',
          content: readFileSync(GATEWAY_SCHEMA_FILE, 'utf8'),
          source: 'test',
        },
      ],
      {
        history: { schema: 'public', table: 'gateway_worker_schema_history' },
        allowOutOfOrder: false,
        appliedBy: 'test',
        lockWaitMs: 10_000,
        logger: silentLogger,
      },
    );
    dir = mkdtempSync(join(tmpdir(), 'gateway-worker-retention-'));
    store = new DirectoryObjectStore(dir);
  });
  afterEach(async () => {
    await client.close();
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('1M request_logs rows: every archived row is a deleted row, the archives read back, newer rows stay', async () => {
    const filled = await fillRequestLogs(db.query, 1_000_000, 0.5);
    const table: RetentionTable = {
      table: 'request_logs',
      timeColumn: 'timestamp',
      keepMs: 30 * DAY,
      archive: 'NDJSON',
      batchSize: 50_000,
    };
    const [result] = await runRetention(client, [table], options());
    expect(result?.error).to.equal(undefined);
    expect(result?.complete).to.equal(true);
    expect(result?.rowsDeleted).to.equal(filled.old);
    expect(result?.rowsArchived).to.equal(result?.rowsDeleted);
    expect(result?.archives).to.equal(10);

    const left = await db.query<{ total: number; old: number }>(
      "SELECT count(*)::int AS total, count(*) FILTER (WHERE timestamp < now() - interval '30 days')::int AS old FROM request_logs",
    );
    expect(left).to.deep.equal([{ total: filled.recent, old: 0 }]);

    const lines = await archivedLines(store, 'database-archives/gw/logs/public.request_logs/');
    expect(lines).to.have.length(filled.old);
    const ids = new Set(lines.map((line) => (JSON.parse(line) as { request_id: string }).request_id));
    expect(ids.size).to.equal(filled.old);
    const sample = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(sample).to.include.keys('id', 'request_id', 'timestamp', 'client_ip', 'uri', 'metadata');
    expect(sample.uri).to.match(/^\/api\/items\/\d+\?q="quoted, with comma"$/);
    expect(Date.parse(String(sample.timestamp))).to.be.lessThan(Date.now() - 30 * DAY);
  });

  it('CSV archives with a header, and expired cache entries deleted without an archive', async () => {
    await db.query(
      `INSERT INTO gateway_stats (timestamp, total_requests) SELECT now() - interval '1 day' * g, g FROM generate_series(1, 100) g`,
    );
    await fillCacheEntries(db.query, 300, 200);
    const results = await runRetention(
      client,
      [
        {
          table: 'public.gateway_stats',
          timeColumn: 'timestamp',
          keepMs: 90 * DAY - 3_600_000,
          archive: 'CSV',
          batchSize: 100,
        },
        { table: 'cache_entries', timeColumn: 'expires_at', keepMs: 0, archive: 'None', batchSize: 100 },
      ],
      options(),
    );
    expect(
      results.map((r) => [r.table, r.rowsDeleted, r.rowsArchived, r.archives, r.complete]),
    ).to.deep.equal([
      ['public.gateway_stats', 11, 11, 1, true],
      ['cache_entries', 300, 0, 0, true],
    ]);
    const lines = await archivedLines(store, 'database-archives/gw/logs/public.gateway_stats/');
    expect(lines[0]).to.match(/^id,timestamp,total_requests,/);
    expect(lines).to.have.length(12);
    expect(await db.query('SELECT count(*)::int AS n FROM cache_entries')).to.deep.equal([{ n: 200 }]);
  });

  it('a range-partitioned table loses whole partitions, archived first; the current one stays', async () => {
    await db.query(`
      CREATE TABLE events (id bigint, at timestamptz NOT NULL, body text) PARTITION BY RANGE (at);
      CREATE TABLE events_old1 PARTITION OF events FOR VALUES FROM (now() - interval '90 days') TO (now() - interval '60 days');
      CREATE TABLE events_old2 PARTITION OF events FOR VALUES FROM (now() - interval '60 days') TO (now() - interval '40 days');
      CREATE TABLE events_now PARTITION OF events FOR VALUES FROM (now() - interval '40 days') TO (now() + interval '1 day');
      CREATE TABLE events_default PARTITION OF events DEFAULT;
      INSERT INTO events SELECT g, now() - interval '1 hour' * g, 'e' || g FROM generate_series(1, 2000) g;
    `);
    const [result] = await runRetention(
      client,
      [{ table: 'events', timeColumn: 'at', keepMs: 30 * DAY, archive: 'NDJSON', batchSize: 1000 }],
      options(),
    );
    expect(result?.error).to.equal(undefined);
    expect(result?.partitionsDropped).to.equal(2);
    const remaining = await db.query<{ relname: string }>(
      "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'events'::regclass ORDER BY 1",
    );
    expect(remaining.map((r) => r.relname)).to.deep.equal(['events_default', 'events_now']);
    const lines = await archivedLines(store, 'database-archives/gw/logs/public.events/');
    expect(lines).to.have.length(result?.rowsDeleted ?? -1);
    expect(result?.rowsArchived).to.equal(result?.rowsDeleted);
    const [{ n }] = (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM events')) as [
      { n: number },
    ];
    expect(n + (result?.rowsDeleted ?? 0)).to.equal(2000);
  });

  it('stops starting batches when the time budget would run out, and says so', async () => {
    await fillRequestLogs(db.query, 5000, 1);
    // A clock that moves a minute per look (the first look dates the cutoff): batches start at
    // 2 and 3 minutes, and a third at 4 minutes would pass the 3.5-minute budget.
    let minutes = 0;
    const start = Date.now();
    const now = (): Date => new Date(start + (minutes += 1) * 60_000);
    const [result] = await runRetention(
      client,
      [
        {
          table: 'request_logs',
          timeColumn: 'timestamp',
          keepMs: 30 * DAY,
          archive: 'None',
          batchSize: 1000,
        },
      ],
      options({ startedAt: new Date(start), now, maxRunMs: 210_000 }),
    );
    expect(result?.rowsDeleted).to.equal(2000);
    expect(result?.complete).to.equal(false);
    expect(result?.notes.join(' ')).to.match(/the run's time budget; the rest waits for the next run/);
  });

  it('a missing table or time column is that table’s failure; the other tables still run', async () => {
    await fillCacheEntries(db.query, 10, 0);
    const results = await runRetention(
      client,
      [
        { table: 'no_such_table', timeColumn: 'at', keepMs: 0, archive: 'None', batchSize: 100 },
        { table: 'request_logs', timeColumn: 'created', keepMs: 0, archive: 'None', batchSize: 100 },
        { table: 'cache_entries', timeColumn: 'expires_at', keepMs: 0, archive: 'None', batchSize: 100 },
      ],
      options(),
    );
    expect(results.map((r) => r.error?.message)).to.deep.equal([
      `table no_such_table does not exist in ${db.name}`,
      'table request_logs has no column created: fix timeColumn',
      undefined,
    ]);
    expect(results[2]?.rowsDeleted).to.equal(10);
  });
});
