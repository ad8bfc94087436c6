/**
 * `gateway-worker db` against a real PostgreSQL and a directory object store: plan (and its exit
 * code when blocked), repair, backups, restore into a database that does not exist yet, and the
 * refusals a user meets (a password on the command line, a wrong passphrase).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect } from 'chai';
import { main, type Output } from '../../src/cli/main.js';
import { BackupCatalog } from '../../src/dbops/backup/catalog.js';
import { pgTools } from '../../src/dbops/backup/pg-tools.js';
import { runBackup } from '../../src/dbops/backup/runner.js';
import { connect } from '../../src/dbops/connection/client.js';
import { silentLogger } from '../../src/runtime/logger.js';
import { DirectoryObjectStore } from '../../src/storage/object-store-directory.js';
import { GATEWAY_SCHEMA_FILE } from '../fixtures/gateway-reference/paths.js';
import { adminQuery, createGatewayDatabase, type GatewayDatabase } from '../support/gateway-database.js';
import { fillRequestLogs } from '../support/gateway-data.js';
import { migratedStore } from '../support/job-fixtures.js';
import { sharedDatabaseUrl } from '../support/shared-postgres.js';

async function db(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out: Output = { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) };
  const code = await main(['db', ...args], { PATH: process.env.PATH, ...env }, out);
  return { code, stdout, stderr };
}

describe('gateway-worker db (real PostgreSQL)', function () {
  this.timeout(300_000);
  let gateway: GatewayDatabase;
  let dir: string;
  let files: string;

  before(async () => {
    gateway = await createGatewayDatabase('cli');
    dir = mkdtempSync(join(tmpdir(), 'gateway-worker-db-cli-'));
    files = join(dir, 'migrations');
    mkdirSync(files);
    writeFileSync(join(files, '001_initial_schema.sql'), readFileSync(GATEWAY_SCHEMA_FILE, 'utf8'));
    writeFileSync(join(files, 'README.md'), 'not a migration');
  });
  after(async () => {
    await gateway.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('plans the files against an empty database, as text and JSON', async () => {
    const text = await db(['plan', '--dir', files, '--url', gateway.url]);
    expect(text.code, text.stderr).to.equal(0);
    expect(text.stdout).to.equal(
      `database ${gateway.params.description}, history "public"."gateway_worker_schema_history"\n` +
        'applied: 0 (version none); files up to version 1\n' +
        'would apply:\n' +
        '  001_initial_schema.sql  (version 1, in a transaction, 37 statements)\n',
    );
    const json = await db(['plan', '--dir', files, '--url', gateway.url, '--output', 'json']);
    expect(json.code, json.stderr).to.equal(0);
    expect(JSON.parse(json.stdout)).to.deep.include({
      currentVersion: null,
      latestVersion: '1',
      apply: [{ file: '001_initial_schema.sql', version: '1', transactional: true }],
      blocked: null,
    });
    expect(await gateway.query("SELECT to_regclass('gateway_worker_schema_history') AS t")).to.deep.equal([
      { t: null },
    ]);
  });

  it('exits 1 on drift, and repair records the new checksum without running the file again', async () => {
    const client = await connect(gateway.params);
    try {
      const { runMigrations } = await import('../../src/dbops/migrations/runner.js');
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
    } finally {
      await client.close();
    }
    writeFileSync(
      join(files, '001_initial_schema.sql'),
      `-- reviewed: comment only\n${readFileSync(GATEWAY_SCHEMA_FILE, 'utf8')}`,
    );
    const drifted = await db(['plan', '--dir', files, '--url', gateway.url]);
    expect(drifted.code).to.equal(1);
    expect(drifted.stdout).to.match(
      /^drift: 001_initial_schema\.sql applied as [0-9a-f]{12}, now [0-9a-f]{12}$/m,
    );
    expect(drifted.stdout).to.match(
      /^blocked \(Drifted\): applied migration files were changed since they ran/m,
    );

    const repaired = await db(['repair', '--dir', files, '--url', gateway.url]);
    expect(repaired.code, repaired.stderr).to.equal(0);
    expect(repaired.stdout).to.match(
      /^recorded 001_initial_schema\.sql: checksum [0-9a-f]{12} → [0-9a-f]{12} \(its SQL is not run again\)$/m,
    );
    const after = await db(['plan', '--dir', files, '--url', gateway.url]);
    expect(after.code).to.equal(0);
    expect(after.stdout).to.match(/nothing to do\n$/);
  });

  it('lists backups and restores one into a new database, encrypted, with the passphrase from the environment', async () => {
    // A database of its own, so this test does not depend on the migrations of the ones above.
    const source = await createGatewayDatabase('cli-backup');
    const archive = join(dir, 'archive');
    const target = new URL(source.url);
    target.pathname = `/${source.name}_restored`;
    try {
      await source.query(readFileSync(GATEWAY_SCHEMA_FILE, 'utf8'));
      await fillRequestLogs(source.query, 5_000);
      const worker = await migratedStore('cli');
      const workerUrl = await sharedDatabaseUrl();
      const client = await connect(source.params);
      let id: string;
      try {
        const result = await runBackup(client, {
          namespace: 'gw',
          name: 'nightly',
          job: undefined,
          tools: await pgTools(),
          store: new DirectoryObjectStore(archive),
          catalog: new BackupCatalog(worker.db, worker.schema),
          compressionLevel: 6,
          passphrase: 'a passphrase for the cli test',
          verify: false,
          keep: { count: 3 },
          now: () => new Date(),
          logger: silentLogger,
        });
        id = result.manifest.id;
      } finally {
        await client.close();
      }
      // The operator's database, where `db restore` appends its audit entry.
      const env = {
        OBJECT_STORE_URL: pathToFileURL(archive).toString(),
        DATABASE_URL: workerUrl,
        DATABASE_SCHEMA: worker.schema,
      };
      const listed = await db(['backups', '--namespace', 'gw'], env);
      expect(listed.code, listed.stderr).to.equal(0);
      expect(listed.stdout).to.match(
        new RegExp(`^${id}\\s+gw/nightly\\s+\\S+Z\\s+[\\d.]+ [KM]iB\\s+Skipped\\s+yes$`, 'm'),
      );

      const wrong = await db(['restore', '--backup', id, '--to', target.toString()], {
        ...env,
        GATEWAY_WORKER_BACKUP_PASSPHRASE: 'not the passphrase at all',
      });
      expect(wrong.code).to.equal(1);
      expect(wrong.stderr).to.match(/wrong passphrase, or the backup was changed/);
      const missing = await db(['restore', '--backup', id, '--to', target.toString()], env);
      expect(missing.code).to.equal(2);
      expect(missing.stderr).to.match(
        /no passphrase: use --passphrase-file FILE or set GATEWAY_WORKER_BACKUP_PASSPHRASE/,
      );

      const restored = await db(['restore', '--backup', id, '--to', target.toString(), '--clean'], {
        ...env,
        GATEWAY_WORKER_BACKUP_PASSPHRASE: 'a passphrase for the cli test',
      });
      expect(restored.code, restored.stderr).to.equal(0);
      expect(restored.stdout, restored.stdout).to.match(
        new RegExp(
          `^restored ${id} \\(${source.name} on PostgreSQL 15\\.\\d+, taken \\S+\\) into .*/${source.name}_restored: 11 tables, 5000 rows\\n$`,
        ),
      );
      const rows = await adminQuery(target.toString(), 'SELECT count(*)::int AS n FROM request_logs');
      expect(rows.rows).to.deep.equal([{ n: 5_000 }]);
      const audit = await worker.db.query<{ action: string; kind: string; name: string; summary: string }>(
        `SELECT action, kind, name, summary FROM ${worker.schema}.audit_log ORDER BY sequence`,
      );
      expect(audit.rows).to.deep.equal([
        {
          action: 'restore',
          kind: 'DatabaseBackup',
          name: 'nightly',
          summary: `database backup ${id} restored into ${target.toString().replace(/\/$/, '')}`,
        },
      ]);
      await worker.db.close();
    } finally {
      await adminQuery(
        source.url.replace(`/${source.name}`, '/postgres'),
        `DROP DATABASE IF EXISTS "${source.name}_restored" WITH (FORCE)`,
      );
      await source.drop();
    }
  });

  it('refuses a password on the command line, an unknown backup id and a missing command', async () => {
    const withPassword = new URL(gateway.url);
    withPassword.password = 'secret';
    const refused = await db(['plan', '--dir', files, '--url', withPassword.toString()]);
    expect(refused.code).to.equal(2);
    expect(refused.stderr).to.equal(
      'gateway-worker db plan: a password in the URL is visible to other users of this machine: leave it out and set PGPASSWORD\n',
    );
    expect((await db(['restore', '--backup', '../x', '--to', gateway.url])).stderr).to.match(
      /not a backup id/,
    );
    expect((await db([])).code).to.equal(2);
    expect((await db(['nope'])).stderr).to.match(/unknown command "nope"/);
  });
});
