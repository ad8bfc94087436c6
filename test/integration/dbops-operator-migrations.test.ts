/**
 * DatabaseConnection and DatabaseMigration end to end: the operator (real API server, real job
 * queue on PostgreSQL) migrates the gateway's schema from a ConfigMap into a real database and
 * reports it; an edited applied file turns Drifted; a failing file is named in the status with
 * its statement and error while the next file waits; two operators racing apply each file once.
 */
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import {
  DatabaseConnectionResource,
  DatabaseMigrationResource,
  type DatabaseConnection,
  type DatabaseMigration,
} from '../../src/api/v1alpha1/index.js';
import { StoreJobQueue } from '../../src/storage/jobs/job-queue.js';
import { CoreTypes, type ConfigMap } from '../../src/runtime/kube/resource.js';
import { GATEWAY_SCHEMA_FILE } from '../fixtures/gateway-reference/paths.js';
import { createGatewayDatabase, type GatewayDatabase } from '../support/gateway-database.js';
import { eventually, postgresAt } from '../support/job-fixtures.js';
import { registerJobKinds } from '../../src/cli/job-kinds.js';
import { startDbopsOperator, untilCondition, type DbopsOperator } from '../support/dbops-harness.js';

const GATEWAY_SCHEMA = readFileSync(GATEWAY_SCHEMA_FILE, 'utf8');

function connection(name: string, db: GatewayDatabase): DatabaseConnection {
  return {
    apiVersion: 'gateway.awesomeapi.com.br/v1alpha1',
    kind: 'DatabaseConnection',
    metadata: { name },
    spec: {
      host: db.params.host,
      port: db.params.port,
      database: db.name,
      user: db.params.user,
      sslMode: 'disable',
      connectTimeout: '5s',
      checkInterval: '5m',
    },
  } as DatabaseConnection;
}

function migration(name: string, connectionName: string, configMaps: string[]): DatabaseMigration {
  return {
    apiVersion: 'gateway.awesomeapi.com.br/v1alpha1',
    kind: 'DatabaseMigration',
    metadata: { name },
    spec: { connectionRef: { name: connectionName }, configMaps: configMaps.map((n) => ({ name: n })) },
  } as DatabaseMigration;
}

const configMap = (name: string, data: Record<string, string>): ConfigMap => ({ metadata: { name }, data });

describe('database migrations through the operator (real API server and PostgreSQL)', function () {
  this.timeout(300_000);
  let op: DbopsOperator;
  let db: GatewayDatabase;

  before(async () => {
    op = await startDbopsOperator('dbops-mig');
  });
  after(async () => {
    await op.stop();
  });
  beforeEach(async () => {
    db = await createGatewayDatabase('e2emig');
  });
  afterEach(async () => {
    await db.drop();
  });

  const create = async (name: string, files: Record<string, string>): Promise<void> => {
    const ns = op.namespace;
    await op.client.create(CoreTypes.configMap, {
      ...configMap(`${name}-files`, files),
      metadata: { name: `${name}-files`, namespace: ns },
    });
    await op.client.create(DatabaseConnectionResource, {
      ...connection(`${name}-db`, db),
      metadata: { name: `${name}-db`, namespace: ns },
    });
    await op.client.create(DatabaseMigrationResource, {
      ...migration(name, `${name}-db`, [`${name}-files`]),
      metadata: { name, namespace: ns },
    });
  };

  it("checks the connection and applies the gateway's schema; the run is a job, in status and metrics", async () => {
    await create('schema', { '001_initial_schema.sql': GATEWAY_SCHEMA });
    const conn = await untilCondition<DatabaseConnection>(
      op.client,
      DatabaseConnectionResource,
      op.namespace,
      'schema-db',
      'Ready',
      (c) => c.status === 'True',
    );
    expect(conn.status.server?.version).to.match(/^15\./);
    expect(conn.status.server?.sizeBytes).to.be.greaterThan(0);

    const applied = await untilCondition<DatabaseMigration>(
      op.client,
      DatabaseMigrationResource,
      op.namespace,
      'schema',
      'Ready',
      (c) => c.status === 'True',
    );
    expect(applied.status).to.deep.include({
      appliedVersion: '1',
      latestVersion: '1',
      applied: 1,
      pending: 0,
    });
    expect(applied.status.lastRun).to.deep.include({ state: 'Succeeded', trigger: 'Change' });
    expect(applied.status.conditions?.find((c) => c.type === 'Drifted')?.status).to.equal('False');
    expect(await db.query("SELECT to_regclass('request_logs')::text AS t")).to.deep.equal([
      { t: 'request_logs' },
    ]);

    // The run is a job of the queue, as `gateway-worker jobs list` shows it.
    const store = postgresAt(op.config.databaseUrl ?? '', op.config.databaseSchema);
    try {
      const queue = new StoreJobQueue({
        kinds: registerJobKinds(op.config, { database: store, status: 'ready' }),
        store: { database: store, status: 'ready' },
        schema: op.config.databaseSchema,
      });
      const jobs = await queue.list({ kind: 'dbops.migrate' });
      expect(jobs.map((j) => [j.id, j.target, j.state])).to.deep.include([
        applied.status.lastRun?.job,
        `DatabaseMigration/${op.namespace}/schema`,
        'succeeded',
      ]);
      // The applied file is in the operator's audit trail (queued, written within about a second).
      const audit = async () =>
        (
          await store.query<{ action: string; actor: string; summary: string }>(
            `SELECT action, actor, summary FROM ${op.config.databaseSchema}.audit_log
             WHERE kind = 'DatabaseMigration' AND namespace = $1 AND name = 'schema' ORDER BY sequence`,
            [op.namespace],
          )
        ).rows;
      const deadline = Date.now() + 30_000;
      const appliedEntries = async () => (await audit()).filter((entry) => entry.action === 'applied');
      while ((await appliedEntries()).length === 0 && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 250));
      // Beside the object's own create and update entries, one for the applied file.
      expect(await appliedEntries()).to.deep.equal([
        {
          action: 'applied',
          actor: `gateway-worker job ${applied.status.lastRun?.job}`,
          summary: 'database.migration.applied (success): file 001_initial_schema.sql, version 1',
        },
      ]);
    } finally {
      await store.close();
    }
    const metrics = await (await fetch(`http://127.0.0.1:${op.operator.httpPort ?? 0}/metrics`)).text();
    expect(metrics).to.match(
      /gateway_worker_dbops_runs_total\{kind="DatabaseMigration",outcome="succeeded",reason=""\} [1-9]/,
    );
    expect(metrics).to.match(/gateway_worker_jobs_total\{kind="dbops\.migrate",outcome="succeeded"\} [1-9]/);
  });

  it('an edited applied file is drift: Drifted=True, Ready=False, and the next file is not applied', async () => {
    await create('drift', { '001_initial_schema.sql': GATEWAY_SCHEMA });
    await untilCondition(
      op.client,
      DatabaseMigrationResource,
      op.namespace,
      'drift',
      'Ready',
      (c) => c.status === 'True',
    );
    await op.client.mergePatch(CoreTypes.configMap, op.namespace, 'drift-files', {
      data: {
        '001_initial_schema.sql': GATEWAY_SCHEMA.replace('key VARCHAR(255)', 'key VARCHAR(512)'),
        'V2__later.sql': 'CREATE TABLE later (id int);',
      },
    });
    const drifted = await untilCondition<DatabaseMigration>(
      op.client,
      DatabaseMigrationResource,
      op.namespace,
      'drift',
      'Drifted',
      (c) => c.status === 'True',
    );
    const ready = drifted.status.conditions?.find((c) => c.type === 'Ready');
    expect(ready).to.deep.include({ status: 'False', reason: 'Drifted' });
    expect(ready?.message).to.match(/001_initial_schema\.sql \(applied [0-9a-f]{12}, now [0-9a-f]{12}\)/);
    expect(drifted.status.drift?.map((d) => d.file)).to.deep.equal(['001_initial_schema.sql']);
    expect(await db.query("SELECT to_regclass('later') AS t")).to.deep.equal([{ t: null }]);
  });

  it('a failing migration is rolled back; the status names the file, the statement and the error; the next file waits', async () => {
    await create('fails', {
      '001_initial_schema.sql': GATEWAY_SCHEMA,
      'V2__bad.sql':
        "CREATE TABLE audit_entries (id int);\nINSERT INTO audit_entries VALUES ('not a number');",
      'V3__later.sql': 'CREATE TABLE later (id int);',
    });
    const failed = await untilCondition<DatabaseMigration>(
      op.client,
      DatabaseMigrationResource,
      op.namespace,
      'fails',
      'Ready',
      (c) => c.reason === 'MigrationFailed',
    );
    expect(failed.status.failure).to.deep.include({
      file: 'V2__bad.sql',
      statement: 2,
      line: 2,
      sql: "INSERT INTO audit_entries VALUES ('not a number')",
    });
    expect(failed.status.failure?.error).to.match(
      /^invalid input syntax for type integer: "not a number" \(22P02\)/,
    );
    expect(failed.status).to.deep.include({ appliedVersion: '1', pending: 2 });
    expect(failed.status.lastRun?.state).to.equal('Failed');
    const ready = failed.status.conditions?.find((c) => c.type === 'Ready');
    expect(ready?.message.length).to.be.lessThan(4100);
    expect(
      await db.query("SELECT to_regclass('audit_entries') AS a, to_regclass('later') AS l"),
    ).to.deep.equal([{ a: null, l: null }]);

    // Fixing the file is a change: the next run applies it and the one after.
    await op.client.mergePatch(CoreTypes.configMap, op.namespace, 'fails-files', {
      data: { 'V2__bad.sql': 'CREATE TABLE audit_entries (id int);' },
    });
    const fixed = await untilCondition<DatabaseMigration>(
      op.client,
      DatabaseMigrationResource,
      op.namespace,
      'fails',
      'Ready',
      (c) => c.status === 'True',
    );
    expect(fixed.status).to.deep.include({ appliedVersion: '3', pending: 0 });
    expect(fixed.status.failure).to.equal(undefined);
  });

  it('two operators racing on one DatabaseMigration apply each file once', async () => {
    // A second operator on the same namespace with a job queue of its own: nothing but the
    // advisory lock in the gateway's database keeps the two from applying the files twice.
    const second = await startDbopsOperator('dbops-mig2', { namespace: op.namespace });
    try {
      await create('race', {
        '001_initial_schema.sql': `${GATEWAY_SCHEMA}\nSELECT pg_sleep(1);`,
        'V2__index.sql': 'CREATE INDEX idx_gateway_stats_errors ON gateway_stats (backend_errors);',
      });
      await untilCondition<DatabaseMigration>(
        op.client,
        DatabaseMigrationResource,
        op.namespace,
        'race',
        'Ready',
        (c, obj) => c.status === 'True' && obj.status.appliedVersion === '2',
      );
      const counts = async (): Promise<unknown> =>
        db.query(
          'SELECT version, count(*)::int AS n FROM gateway_worker_schema_history GROUP BY version ORDER BY version',
        );
      // Both operators ran a job: each found the work done or did it, once.
      for (const operator of [op, second]) {
        const store = postgresAt(operator.config.databaseUrl ?? '', operator.config.databaseSchema);
        try {
          await eventually(async () => {
            const rows = await store.query<{ state: string }>(
              `SELECT state FROM "${operator.config.databaseSchema}".jobs WHERE kind = 'dbops.migrate' AND target = $1`,
              [`DatabaseMigration/${op.namespace}/race`],
            );
            return rows.rows.some((r) => r.state === 'succeeded');
          }, 'a finished migrate job in each operator');
        } finally {
          await store.close();
        }
      }
      expect(await counts()).to.deep.equal([
        { version: '1', n: 1 },
        { version: '2', n: 1 },
      ]);
    } finally {
      await second.stop();
    }
  });
});
