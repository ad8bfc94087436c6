/**
 * Backups against a real PostgreSQL with the real pg_dump and pg_restore, into a directory and a
 * real S3 server (versitygw): backup, drop the database, restore, identical data; encrypted to
 * S3 and verified; a failed backup that stores nothing and does not block the next; the keep
 * policy; a pg_dump older than the server refused with a clear reason.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { BackupCatalog, findManifest, manifestsInStore } from '../../src/dbops/backup/catalog.js';
import { pgTools, type PgTools } from '../../src/dbops/backup/pg-tools.js';
import { restoreBackup } from '../../src/dbops/backup/restore.js';
import { runBackup, type BackupOptions } from '../../src/dbops/backup/runner.js';
import { connect, type GatewayClient } from '../../src/dbops/connection/client.js';
import { runMigrations } from '../../src/dbops/migrations/runner.js';
import { OperationError } from '../../src/dbops/operation-error.js';
import { silentLogger } from '../../src/runtime/logger.js';
import { DirectoryObjectStore } from '../../src/storage/object-store-directory.js';
import { S3ObjectStore } from '../../src/storage/object-store-s3.js';
import type { ObjectStore } from '../../src/storage/object-store.js';
import { GATEWAY_SCHEMA_FILE } from '../fixtures/gateway-reference/paths.js';
import { adminQuery, createGatewayDatabase, type GatewayDatabase } from '../support/gateway-database.js';
import { fillCacheEntries, fillRequestLogs } from '../support/gateway-data.js';
import { migratedStore, type TestStore } from '../support/job-fixtures.js';
import { sharedDatabaseUrl } from '../support/shared-postgres.js';
import { VersityGw } from '../support/versitygw.js';

/** Every table's rows, hashed in a stable order, and the schema's objects: equal means identical. */
async function fingerprint(db: GatewayDatabase): Promise<Record<string, string>> {
  const tables = await db.query<{ name: string }>(
    "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
  );
  const result: Record<string, string> = {};
  for (const { name } of tables) {
    const [row] = await db.query<{ n: number; hash: string | null }>(
      `SELECT count(*)::int AS n, md5(string_agg(t::text, '|' ORDER BY t::text)) AS hash FROM "${name}" t`,
    );
    result[name] = `${row?.n ?? 0}:${row?.hash ?? ''}`;
  }
  const [objects] = await db.query<{ indexes: number; triggers: number; functions: number }>(
    `SELECT (SELECT count(*)::int FROM pg_indexes WHERE schemaname = 'public') AS indexes,
            (SELECT count(*)::int FROM pg_trigger WHERE NOT tgisinternal) AS triggers,
            (SELECT count(*)::int FROM pg_proc WHERE pronamespace = 'public'::regnamespace) AS functions`,
  );
  result['(objects)'] = JSON.stringify(objects);
  return result;
}

async function failure(work: Promise<unknown>): Promise<OperationError> {
  try {
    await work;
  } catch (err) {
    if (err instanceof OperationError) return err;
    throw err;
  }
  throw new Error('expected the backup to fail');
}

describe('backups (real PostgreSQL, pg_dump and pg_restore, directory and S3)', function () {
  this.timeout(300_000);
  let db: GatewayDatabase;
  let client: GatewayClient;
  let worker: TestStore;
  let tools: PgTools;
  let dir: string;
  let store: ObjectStore;

  const options = (overrides: Partial<BackupOptions> = {}): BackupOptions => ({
    namespace: 'gw',
    name: 'nightly',
    job: undefined,
    tools,
    store,
    catalog: new BackupCatalog(worker.db, worker.schema),
    compressionLevel: 6,
    passphrase: undefined,
    verify: true,
    keep: { count: 7 },
    now: () => new Date(),
    logger: silentLogger,
    ...overrides,
  });

  before(async () => {
    tools = await pgTools();
    worker = await migratedStore('bak');
  });
  after(async () => {
    await worker.db.close();
  });

  beforeEach(async () => {
    db = await createGatewayDatabase('bak');
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
    await fillRequestLogs(db.query, 20_000);
    await fillCacheEntries(db.query, 100, 400);
    await db.query(
      `INSERT INTO users (username, email, password_hash, roles) VALUES ('ana', 'ana@example.com', 'x', '["admin"]')`,
    );
    dir = mkdtempSync(join(tmpdir(), 'gateway-worker-backups-'));
    store = new DirectoryObjectStore(dir);
  });
  afterEach(async () => {
    await client.close();
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('backup, drop the database, restore: the data is identical', async () => {
    const before = await fingerprint(db);
    const result = await runBackup(client, options());
    expect(result.manifest.verification, result.manifest.verificationMessage).to.equal('Verified');
    expect(result.manifest.tableRows['public.request_logs']).to.equal(20_000);
    expect(result.manifest.verificationMessage).to.match(
      /^restored into a scratch database: 12 tables, 20\d{3} rows, as in the snapshot$/,
    );
    // No scratch database is left behind.
    const scratch = await adminQuery(
      await sharedDatabaseUrl(),
      "SELECT datname FROM pg_database WHERE datname LIKE 'gwverify_%'",
    );
    expect(scratch.rows).to.deep.equal([]);

    await client.close();
    await db.drop();
    const manifest = await findManifest(store, result.manifest.id);
    expect(manifest?.sha256).to.equal(result.manifest.sha256);
    const restored = await restoreBackup({
      tools,
      store,
      dump: { key: manifest!.dumpKey, sha256: manifest!.sha256, encrypted: manifest!.encrypted },
      passphrase: undefined,
      target: db.params,
      clean: false,
    });
    expect(restored.created).to.equal(true);
    expect(await fingerprint(db)).to.deep.equal(before);
    client = await connect(db.params);
  });

  it('restore refuses a database that holds tables unless told to replace them', async () => {
    const result = await runBackup(client, options({ verify: false }));
    expect(result.manifest.verification).to.equal('Skipped');
    const dump = { key: result.manifest.dumpKey, sha256: result.manifest.sha256, encrypted: false };
    let refused: Error | undefined;
    try {
      await restoreBackup({ tools, store, dump, passphrase: undefined, target: db.params, clean: false });
    } catch (err) {
      refused = err as Error;
    }
    expect(refused?.message).to.match(
      /already holds 12 tables: restore into a new database name, or pass --clean/,
    );
    await db.query("DELETE FROM users WHERE username = 'ana'");
    await restoreBackup({ tools, store, dump, passphrase: undefined, target: db.params, clean: true });
    expect(await db.query('SELECT username FROM users')).to.deep.equal([{ username: 'ana' }]);
  });

  it('encrypted to a real S3 server, verified, restorable only with the passphrase', async () => {
    const gw = await VersityGw.start();
    const s3 = new S3ObjectStore({
      bucket: 'backups',
      prefix: 'gateway-worker/',
      endpoint: gw.endpoint,
      region: gw.region,
      forcePathStyle: true,
      credentials: { accessKeyId: gw.accessKeyId, secretAccessKey: gw.secretAccessKey },
    });
    try {
      await gw.createBucket('backups');
      const result = await runBackup(client, options({ store: s3, passphrase: 'a long test passphrase' }));
      expect(result.manifest.encrypted).to.equal(true);
      expect(result.manifest.verification, result.manifest.verificationMessage).to.equal('Verified');
      const stored = await s3.stat(result.manifest.dumpKey);
      expect(stored?.size).to.equal(result.manifest.sizeBytes);
      expect((await manifestsInStore(s3, 'gw')).map((m) => m.id)).to.deep.equal([result.manifest.id]);

      const target = await createGatewayDatabase('bakto');
      try {
        await target.drop();
        const dump = { key: result.manifest.dumpKey, sha256: result.manifest.sha256, encrypted: true };
        let wrong: Error | undefined;
        try {
          await restoreBackup({
            tools,
            store: s3,
            dump,
            passphrase: 'not the passphrase',
            target: target.params,
            clean: false,
          });
        } catch (err) {
          wrong = err as Error;
        }
        expect(wrong?.message).to.match(/wrong passphrase, or the backup was changed/);
        await restoreBackup({
          tools,
          store: s3,
          dump,
          passphrase: 'a long test passphrase',
          target: target.params,
          clean: true,
        });
        expect(await fingerprint(target)).to.deep.equal(await fingerprint(db));
      } finally {
        await target.drop();
      }
    } finally {
      s3.close();
      await gw.stop();
    }
  });

  it('a failed backup stores nothing and the next one succeeds', async () => {
    const gw = await VersityGw.start();
    const s3 = new S3ObjectStore({
      bucket: 'missing-bucket',
      prefix: '',
      endpoint: gw.endpoint,
      region: gw.region,
      forcePathStyle: true,
      credentials: { accessKeyId: gw.accessKeyId, secretAccessKey: gw.secretAccessKey },
    });
    const catalog = new BackupCatalog(worker.db, worker.schema);
    try {
      const error = await failure(runBackup(client, options({ name: 'fails', store: s3 })));
      expect(error.reason).to.equal('BackupFailed');
      expect(error.permanent).to.equal(false);
      expect(error.message).to.match(
        /the dump of postgres:\/\/postgres@127\.0\.0\.1:\d+\/bak_\w+ to s3:\/\/missing-bucket\/ failed: .*; nothing was stored$/,
      );
      expect(await catalog.list('gw', 'fails')).to.deep.equal([]);
    } finally {
      s3.close();
      await gw.stop();
    }
    const next = await runBackup(client, options({ name: 'fails' }));
    expect(next.manifest.verification).to.equal('Verified');
    expect((await catalog.list('gw', 'fails')).map((b) => b.id)).to.deep.equal([next.manifest.id]);
  });

  it('keeps the newest backups by count, removing older dumps and manifests', async () => {
    const catalog = new BackupCatalog(worker.db, worker.schema);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const result = await runBackup(client, options({ name: 'keep2', keep: { count: 2 }, verify: false }));
      ids.push(result.manifest.id);
    }
    expect((await catalog.list('gw', 'keep2')).map((b) => b.id)).to.deep.equal([ids[2], ids[1]]);
    const keys = [];
    for await (const object of store.list('database-backups/gw/keep2/')) keys.push(object.key);
    expect(keys.sort()).to.deep.equal(
      [ids[1], ids[2]]
        .flatMap((id) => [`database-backups/gw/keep2/${id}.dump`, `database-backups/gw/keep2/${id}.json`])
        .sort(),
    );
  });

  it('refuses a server newer than pg_dump, saying what to do', async () => {
    const error = await failure(runBackup(client, options({ tools: { ...tools, major: 14 } })));
    expect(error.reason).to.equal('ClientTooOld');
    expect(error.message).to.match(
      /^the server runs PostgreSQL 15\.\d+, newer than this image's pg_dump 14: pg_dump cannot back up a newer server/,
    );
  });
});
