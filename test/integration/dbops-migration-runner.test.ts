/**
 * The migration runner against a real PostgreSQL, on the gateway's own schema: applied once by
 * racing runners, a failing file rolled back with its statement named, drift refusing to apply.
 */
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { connect, type GatewayClient } from '../../src/dbops/connection/client.js';
import { runMigrations, planOnly, type MigrateOptions } from '../../src/dbops/migrations/runner.js';
import { OperationError } from '../../src/dbops/operation-error.js';
import type { SourceFile } from '../../src/domain/dbops/index.js';
import { silentLogger } from '../../src/runtime/logger.js';
import { GATEWAY_SCHEMA_FILE } from '../fixtures/gateway-reference/paths.js';
import { createGatewayDatabase, type GatewayDatabase } from '../support/gateway-database.js';

const GATEWAY_SCHEMA = readFileSync(GATEWAY_SCHEMA_FILE, 'utf8');
const file = (name: string, content: string): SourceFile => ({ name, content, source: 'configmap/test' });
const options: MigrateOptions = {
  history: { schema: 'public', table: 'gateway_worker_schema_history' },
  allowOutOfOrder: false,
  appliedBy: 'test',
  lockWaitMs: 60_000,
  logger: silentLogger,
};

async function failure(work: Promise<unknown>): Promise<OperationError> {
  try {
    await work;
  } catch (err) {
    if (err instanceof OperationError) return err;
    throw err;
  }
  throw new Error('expected the run to fail');
}

describe('migration runner (real PostgreSQL)', function () {
  this.timeout(120_000);
  let db: GatewayDatabase;
  const clients: GatewayClient[] = [];
  const client = async (): Promise<GatewayClient> => {
    const c = await connect(db.params);
    clients.push(c);
    return c;
  };

  beforeEach(async () => {
    db = await createGatewayDatabase('mig');
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await db.drop();
  });

  it("applies the gateway's schema and records it once; a second run applies nothing", async () => {
    const files = [file('001_initial_schema.sql', GATEWAY_SCHEMA)];
    const first = await runMigrations(await client(), files, options);
    expect(first.applied.map((f) => f.version)).to.deep.equal(['1']);
    expect(first.appliedVersion).to.equal('1');
    const tables = await db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'gateway_worker_schema_history'",
    );
    expect(tables[0]?.n).to.equal(11);
    const second = await runMigrations(await client(), files, options);
    expect(second.applied).to.deep.equal([]);
    const history = await db.query('SELECT version, type, script FROM gateway_worker_schema_history');
    expect(history).to.deep.equal([{ version: '1', type: 'SQL', script: '001_initial_schema.sql' }]);
  });

  it('two runners racing apply each file once: one waits for the other and finds the work done', async () => {
    // The first file holds the lock long enough that the second runner surely finds it taken.
    const files = [
      file('001_initial_schema.sql', `${GATEWAY_SCHEMA}\nSELECT pg_sleep(1);`),
      file('V2__stats_index.sql', 'CREATE INDEX idx_gateway_stats_errors ON gateway_stats (backend_errors);'),
    ];
    const [a, b] = await Promise.all([client(), client()]);
    const results = await Promise.all([runMigrations(a, files, options), runMigrations(b, files, options)]);
    expect(results.map((r) => r.applied.length).sort()).to.deep.equal([0, 2]);
    expect(results.filter((r) => r.waited)).to.have.length(1);
    const history = await db.query<{ version: string; n: number }>(
      'SELECT version, count(*)::int AS n FROM gateway_worker_schema_history GROUP BY version ORDER BY version',
    );
    expect(history).to.deep.equal([
      { version: '1', n: 1 },
      { version: '2', n: 1 },
    ]);
  });

  it('a failing file is rolled back whole, the next file is not applied, and the error names file, statement and line', async () => {
    const files = [
      file('001_initial_schema.sql', GATEWAY_SCHEMA),
      file(
        'V2__audit.sql',
        'CREATE TABLE audit_entries (id bigserial PRIMARY KEY, at timestamptz NOT NULL);\n' +
          'INSERT INTO audit_entries (at) VALUES (now());\n' +
          'ALTER TABLE audit_entries ADD COLUMN actor text REFERENCES no_such_table (id);\n',
      ),
      file('V3__later.sql', 'CREATE TABLE later (id int);'),
    ];
    const error = await failure(runMigrations(await client(), files, options));
    expect(error.reason).to.equal('MigrationFailed');
    expect(error.permanent).to.equal(true);
    expect(error.message).to.match(
      /^migration V2__audit\.sql \(configmap\/test\) failed at statement 3 \(line 3: ALTER TABLE audit_entries ADD COLUMN actor text REFERENCES no_such_table \(id\)\): relation "no_such_table" does not exist \(42P01\)\. The file was rolled back and nothing of it was kept; later files were not applied$/,
    );
    expect(error.detail?.failure).to.deep.include({ file: 'V2__audit.sql', statement: 3, line: 3 });
    const left = await db.query(
      "SELECT to_regclass('audit_entries') AS audit, to_regclass('later') AS later",
    );
    expect(left).to.deep.equal([{ audit: null, later: null }]);
    const history = await db.query('SELECT version FROM gateway_worker_schema_history');
    expect(history).to.deep.equal([{ version: '1' }]);

    // Fixed, the file applies and the run goes on to the next one; no "dirty" state to clear first.
    files[1] = file(
      'V2__audit.sql',
      'CREATE TABLE audit_entries (id bigserial PRIMARY KEY, at timestamptz NOT NULL);',
    );
    const fixed = await runMigrations(await client(), files, options);
    expect(fixed.applied.map((f) => f.version)).to.deep.equal(['2', '3']);
  });

  it('an edited applied file is drift: nothing is applied until it is resolved', async () => {
    await runMigrations(await client(), [file('001_initial_schema.sql', GATEWAY_SCHEMA)], options);
    const edited = [
      file(
        '001_initial_schema.sql',
        GATEWAY_SCHEMA.replace('VARCHAR(255) NOT NULL UNIQUE', 'TEXT NOT NULL UNIQUE'),
      ),
      file('V2__later.sql', 'CREATE TABLE later (id int);'),
    ];
    const error = await failure(runMigrations(await client(), edited, options));
    expect(error.reason).to.equal('Drifted');
    expect(error.message).to.match(
      /^applied migration files were changed since they ran: 001_initial_schema\.sql/,
    );
    expect(error.detail?.drift).to.have.length(1);
    expect(await db.query("SELECT to_regclass('later') AS later")).to.deep.equal([{ later: null }]);
    const plan = await planOnly(await client(), edited, options);
    expect(plan.blocked?.reason).to.equal('Drifted');
  });

  it('a non-transactional file runs CREATE INDEX CONCURRENTLY; an undo file takes it back', async () => {
    const files = [
      file('001_initial_schema.sql', GATEWAY_SCHEMA),
      file(
        'V2__status_index.sql',
        '-- gateway-worker:no-transaction\nCREATE INDEX CONCURRENTLY idx_request_logs_status_time ON request_logs (status_code, timestamp);',
      ),
      file('U2__status_index.sql', 'DROP INDEX idx_request_logs_status_time;'),
    ];
    await runMigrations(await client(), files, options);
    expect(await db.query("SELECT to_regclass('idx_request_logs_status_time')::text AS i")).to.deep.equal([
      { i: 'idx_request_logs_status_time' },
    ]);
    const back = await runMigrations(await client(), files, { ...options, targetVersion: '1' });
    expect(back.undone.map((f) => f.name)).to.deep.equal(['U2__status_index.sql']);
    expect(back.appliedVersion).to.equal('1');
    expect(await db.query("SELECT to_regclass('idx_request_logs_status_time') AS i")).to.deep.equal([
      { i: null },
    ]);
  });
});
