/**
 * `npm run bench dbops`: database operations on a real PostgreSQL 15 started for the run (durable:
 * fsync and synchronous commit on), with the gateway's schema (test/fixtures/gateway-reference).
 *
 * - Retention: request_logs filled with DBOPS_BENCH_ROWS rows (default 1,000,000), half older than
 *   30 days; one run archives (NDJSON, gzip, to a directory store) and deletes the old half in
 *   batches of 50,000. Rows archived and deleted per second, over DBOPS_BENCH_RUNS runs.
 * - Backup: a database of DBOPS_BENCH_BACKUP_MB (default 1024) MiB of request_logs, dumped by plain
 *   `pg_dump --format=custom --compress=6` to a file and by the backup runner (same format and
 *   level, in an exported snapshot with the row counts taken beside it, streamed into the directory
 *   store with its SHA-256, manifest and catalog row; verification off, and once with it), in
 *   turn with plain `pg_dump > file` and `pg_dump --file` (which fsyncs), DBOPS_BENCH_RUNS times
 *   each, timed from start to return; the fsync and SHA-256 the redirect skips are timed apart
 *   on its file. DBOPS_BENCH_ONLY=
 *   retention or backup runs one half.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BackupCatalog } from '../src/dbops/backup/catalog.js';
import { pgTools, type PgTools } from '../src/dbops/backup/pg-tools.js';
import { runBackup } from '../src/dbops/backup/runner.js';
import { connect, type GatewayClient } from '../src/dbops/connection/client.js';
import { libpqEnvironment } from '../src/dbops/connection/libpq.js';
import { runRetention } from '../src/dbops/retention/runner.js';
import { humanBytes } from '../src/domain/dbops/index.js';
import { LocalPostgres } from '../src/envtest/postgres.js';
import { silentLogger } from '../src/runtime/logger.js';
import { migrate } from '../src/storage/migrate.js';
import { postgresAt } from '../test/support/job-fixtures.js';
import { DirectoryObjectStore } from '../src/storage/object-store-directory.js';
import { GATEWAY_SCHEMA_FILE } from '../test/fixtures/gateway-reference/paths.js';
import { createGatewayDatabase, type GatewayDatabase } from '../test/support/gateway-database.js';
import { fillRequestLogs } from '../test/support/gateway-data.js';
import { loadAverage } from './operator-in-process.js';
import { fmt, median, percentile } from './stats.js';

const DAY = 86_400_000;

function positive(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!(Number.isInteger(n) && n >= 1))
    throw new Error(`${name}=${text}: must be a whole number of at least 1`);
  return n;
}

async function gatewayDatabase(server: string, prefix: string): Promise<GatewayDatabase> {
  const db = await createGatewayDatabase(prefix, server);
  await db.query(readFileSync(GATEWAY_SCHEMA_FILE, 'utf8'));
  return db;
}

async function retentionRun(server: string, rows: number, dir: string, run: number): Promise<number> {
  const db = await gatewayDatabase(server, 'bench-ret');
  const client = await connect(db.params);
  try {
    const filled = await fillRequestLogs(db.query, rows, 0.5);
    await db.query('VACUUM ANALYZE request_logs');
    const store = new DirectoryObjectStore(join(dir, `retention-${run}`));
    const started = performance.now();
    const [result] = await runRetention(
      client,
      [
        {
          table: 'request_logs',
          timeColumn: 'timestamp',
          keepMs: 30 * DAY,
          archive: 'NDJSON',
          batchSize: 50_000,
        },
      ],
      {
        namespace: 'bench',
        name: 'logs',
        startedAt: new Date(),
        now: () => new Date(),
        maxRunMs: 60 * 60_000,
        store,
        logger: silentLogger,
      },
    );
    const seconds = (performance.now() - started) / 1000;
    if (!result || result.error || result.rowsDeleted !== filled.old || result.rowsArchived !== filled.old)
      throw new Error(
        `retention run ${run}: ${result?.error?.message ?? 'archived or deleted the wrong count'}`,
      );
    return filled.old / seconds;
  } finally {
    await client.close();
    await db.drop();
  }
}

/** Rows of request_logs until the database is `mib` MiB (the fill is in steps of 250,000 rows). */
async function fillToSize(db: GatewayDatabase, mib: number): Promise<number> {
  let rows = 0;
  for (;;) {
    const [size] = await db.query<{ bytes: string }>(
      'SELECT pg_database_size(current_database())::text AS bytes',
    );
    if (Number(size?.bytes) >= mib * 1024 * 1024) return rows;
    await db.query(
      `INSERT INTO request_logs (request_id, timestamp, client_ip, method, uri, user_agent, status_code,
         response_time_ms, bytes_sent, bytes_received, backend_name, cache_hit, metadata)
       SELECT 'req-' || g, now() - interval '1 second' * g, ('10.0.' || (g / 256 % 256) || '.' || (g % 256))::inet,
              (ARRAY['GET','POST','PUT','DELETE'])[1 + g % 4], '/api/items/' || g || '?page=' || (g % 97),
              'Mozilla/5.0 (X11; Linux x86_64) bench/' || (g % 13), (ARRAY[200,200,200,404,500])[1 + g % 5],
              g % 900, 1000 + g % 5000, 200, 'shop-api', g % 3 = 0,
              jsonb_build_object('n', g, 'trace', md5(g::text))
       FROM generate_series(${rows + 1}, ${rows + 250_000}) AS g`,
    );
    rows += 250_000;
  }
}

/**
 * Plain pg_dump in custom format at level 6. `redirect` is `pg_dump > file`, as a shell would
 * run it: the data is left in the page cache. `file` is `pg_dump --file=file`, which fsyncs the
 * file before it exits (pg_dump does unless --no-sync): the durable baseline a backup is held to.
 */
function plainDump(
  tools: PgTools,
  client: GatewayClient,
  file: string,
  mode: 'redirect' | 'file',
): Promise<number> {
  const libpq = libpqEnvironment(client.params);
  const started = performance.now();
  const args = [
    '--format=custom',
    '--compress=6',
    '--no-password',
    ...(mode === 'file' ? [`--file=${file}`] : []),
  ];
  return new Promise<number>((resolve, reject) => {
    const child = spawn(tools.pgDump, args, { env: libpq.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const written = mode === 'redirect' ? pipeline(child.stdout, createWriteStream(file)) : Promise.resolve();
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`pg_dump exited ${code}: ${stderr}`));
      else written.then(() => resolve(performance.now() - started), reject);
    });
  }).finally(() => libpq.cleanup());
}

/** What the runner does to a dump that `pg_dump > file` does not, timed apart on a written file. */
async function runnerExtras(file: string): Promise<{ fsyncMs: number; sha256Ms: number }> {
  const synced = performance.now();
  const handle = await open(file, 'r');
  await handle.sync();
  await handle.close();
  const fsyncMs = performance.now() - synced;
  const hashed = performance.now();
  await pipeline(createReadStream(file), createHash('sha256'));
  return { fsyncMs, sha256Ms: performance.now() - hashed };
}

export async function dbopsBenchmark(): Promise<string[]> {
  const rows = positive('DBOPS_BENCH_ROWS', 1_000_000);
  const backupMiB = positive('DBOPS_BENCH_BACKUP_MB', 1024);
  const runs = positive('DBOPS_BENCH_RUNS', 3);
  // DBOPS_BENCH_ONLY=retention or backup runs one half.
  const only = process.env.DBOPS_BENCH_ONLY;
  const server = await LocalPostgres.start({ durable: true });
  const dir = mkdtempSync(join(tmpdir(), 'gateway-worker-bench-dbops-'));
  const loads: string[] = [loadAverage()];
  try {
    const retention: number[] = [];
    if (only !== 'backup')
      for (let run = 0; run < runs; run++) retention.push(await retentionRun(server.url, rows, dir, run));
    loads.push(loadAverage());
    const retentionTable =
      retention.length === 0
        ? []
        : [
            `| retention: ${fmt(rows)} request_logs rows, ${fmt(rows / 2)} older than 30 days (${runs} runs) | median | p99 (of ${runs}) |`,
            '| --- | --- | --- |',
            `| rows archived (NDJSON, gzip, directory store) and deleted per second, batches of 50,000 | ${fmt(median(retention))} /s | ${fmt(
              percentile(
                retention.map((r) => -r),
                99,
              ) * -1,
            )} /s (slowest) |`,
            '',
          ];
    if (only === 'retention') return [`Load average ${loads.join(' → ')}.`, '', ...retentionTable];

    const db = await gatewayDatabase(server.url, 'bench-backup');
    const worker = postgresAt(server.url, 'bench_dbops');
    await migrate(worker, { schema: 'bench_dbops', logger: silentLogger });
    const client = await connect(db.params);
    try {
      const filledAt = performance.now();
      const backupRows = await fillToSize(db, backupMiB);
      await db.query('VACUUM ANALYZE');
      const fillSeconds = (performance.now() - filledAt) / 1000;
      const [size] = await db.query<{ bytes: string }>(
        'SELECT pg_database_size(current_database())::text AS bytes',
      );
      const tools = await pgTools();
      const plain: number[] = [];
      const plainSynced: number[] = [];
      const fsyncs: number[] = [];
      const hashes: number[] = [];
      const runner: number[] = [];
      let plainBytes = 0;
      let runnerBytes = 0;
      const store = new DirectoryObjectStore(join(dir, 'backups'));
      const catalog = new BackupCatalog(worker, 'bench_dbops');
      const backup = (verify: boolean) =>
        runBackup(client, {
          namespace: 'bench',
          name: 'nightly',
          job: undefined,
          tools,
          store,
          catalog,
          compressionLevel: 6,
          passphrase: undefined,
          verify,
          keep: { count: 1 },
          now: () => new Date(),
          logger: silentLogger,
        });
      for (let run = 0; run < runs; run++) {
        const file = join(dir, 'plain.dump');
        plain.push(await plainDump(tools, client, file, 'redirect'));
        plainBytes = statSync(file).size;
        const extras = await runnerExtras(file);
        fsyncs.push(extras.fsyncMs);
        hashes.push(extras.sha256Ms);
        rmSync(file);
        plainSynced.push(await plainDump(tools, client, file, 'file'));
        rmSync(file);
        const started = performance.now();
        const result = await backup(false);
        runner.push(performance.now() - started);
        runnerBytes = result.manifest.sizeBytes;
      }
      const verifyStarted = performance.now();
      const verified = await backup(true);
      const verifiedMs = performance.now() - verifyStarted;
      loads.push(loadAverage());
      const overhead = (base: number[]) => {
        const percent = (median(runner) / median(base) - 1) * 100;
        return `${percent >= 0 ? '+' : ''}${fmt(percent, 1)} %`;
      };
      const seconds = (values: number[]) =>
        `${fmt(median(values) / 1000, 1)} s | ${fmt(percentile(values, 99) / 1000, 1)} s`;
      return [
        `Run on ${new Date().toISOString().slice(0, 10)}; PostgreSQL ${tools.version} (durable), load average (1/5/15 min) ${loads.join(' → ')}.`,
        '',
        ...retentionTable,
        `| backup of ${humanBytes(Number(size?.bytes))} (${fmt(backupRows)} request_logs rows, filled in ${fmt(fillSeconds)} s; ${runs} runs each, alternating) | median | p99 (of ${runs}) | output |`,
        '| --- | --- | --- | --- |',
        `| plain \`pg_dump --format=custom --compress=6 > file\` (left in the page cache) | ${seconds(plain)} | ${humanBytes(plainBytes)} |`,
        `| plain \`pg_dump --format=custom --compress=6 --file=...\` (pg_dump fsyncs it) | ${seconds(plainSynced)} | ${humanBytes(plainBytes)} |`,
        `| backup runner (exported snapshot, SHA-256 while streaming, fsync, directory store, manifest, catalog) | ${seconds(runner)} | ${humanBytes(runnerBytes)} |`,
        `| overhead of the runner over \`pg_dump --file\` (medians) | ${overhead(plainSynced)} | | |`,
        `| overhead of the runner over \`pg_dump > file\` (medians) | ${overhead(plain)} | | |`,
        `| apart: fsync of the \`> file\` dump after it was written | ${seconds(fsyncs)} | |`,
        `| apart: SHA-256 of the dump, read back from the page cache | ${seconds(hashes)} | |`,
        `| the runner with verification (row counts in the snapshot, restore into a scratch database, counts compared), once | ${fmt(verifiedMs / 1000, 1)} s | | ${verified.manifest.verification} |`,
      ];
    } finally {
      await client.close();
      await worker.close();
      await db.drop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await server.stop();
  }
}
