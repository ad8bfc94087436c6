/**
 * DatabaseRetention, DatabaseBackup and DatabaseMaintenance end to end: the operator, with its
 * object store in a real S3 server (versitygw), runs each on request (the run-now annotation) as
 * a job; the status shows what the run did; audit events and run events come out.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { expect } from 'chai';
import {
  DatabaseBackupResource,
  DatabaseConnectionResource,
  DatabaseMaintenanceResource,
  DatabaseRetentionResource,
  type DatabaseBackup,
  type DatabaseMaintenance,
  type DatabaseRetention,
} from '../../src/api/v1alpha1/index.js';
import { MemoryAuditSink } from '../../src/dbops/audit.js';
import { runMigrations } from '../../src/dbops/migrations/runner.js';
import { connect } from '../../src/dbops/connection/client.js';
import { RunEvents, type RunFinished } from '../../src/dbops/runs/run-events.js';
import type { KubeObject } from '../../src/runtime/kube/resource.js';
import { silentLogger } from '../../src/runtime/logger.js';
import { S3ObjectStore } from '../../src/storage/object-store-s3.js';
import { GATEWAY_SCHEMA_FILE } from '../fixtures/gateway-reference/paths.js';
import { eventually } from '../support/job-fixtures.js';
import { runNow, startDbopsOperator, untilCondition, type DbopsOperator } from '../support/dbops-harness.js';
import { createGatewayDatabase, type GatewayDatabase } from '../support/gateway-database.js';
import { fillCacheEntries, fillRequestLogs } from '../support/gateway-data.js';
import { VersityGw } from '../support/versitygw.js';

const API = 'gateway.awesomeapi.com.br/v1alpha1';

describe('retention, backups and maintenance through the operator (real PostgreSQL and S3)', function () {
  this.timeout(300_000);
  let gw: VersityGw;
  let op: DbopsOperator;
  let db: GatewayDatabase;
  const audit = new MemoryAuditSink();
  const events = new RunEvents();
  const finished: RunFinished[] = [];
  events.subscribe((event) => finished.push(event));

  before(async () => {
    gw = await VersityGw.start();
    await gw.createBucket('gateway-archive');
    op = await startDbopsOperator('dbops-ops', {
      config: {
        objectStoreUrl: 's3://gateway-archive/worker',
        s3Endpoint: gw.endpoint,
        s3Region: gw.region,
        s3ForcePathStyle: true,
        s3AccessKeyId: gw.accessKeyId,
        s3SecretAccessKey: gw.secretAccessKey,
      },
      deps: { audit, events },
    });
    db = await createGatewayDatabase('e2eops');
    const client = await connect(db.params);
    try {
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
    await fillRequestLogs(db.query, 20_000);
    await fillCacheEntries(db.query, 300, 100);
    await op.client.create(DatabaseConnectionResource, {
      apiVersion: API,
      kind: 'DatabaseConnection',
      metadata: { name: 'gateway-db', namespace: op.namespace },
      spec: {
        host: db.params.host,
        port: db.params.port,
        database: db.name,
        user: db.params.user,
        sslMode: 'disable',
      },
    });
  });
  after(async () => {
    await op.stop();
    await db.drop();
    await gw.stop();
  });

  it('retention on request archives to S3, deletes, and reports per table', async () => {
    await op.client.create(DatabaseRetentionResource, {
      apiVersion: API,
      kind: 'DatabaseRetention',
      metadata: { name: 'logs', namespace: op.namespace },
      spec: {
        connectionRef: { name: 'gateway-db' },
        schedule: '15 2 * * *',
        tables: [
          { table: 'request_logs', timeColumn: 'timestamp', keep: '720h', batchSize: 5000 },
          { table: 'cache_entries', timeColumn: 'expires_at', keep: '0s', archive: 'None' },
        ],
      },
    });
    const waiting = await untilCondition<DatabaseRetention>(
      op.client,
      DatabaseRetentionResource,
      op.namespace,
      'logs',
      'Ready',
      (c) => c.reason === 'Scheduled',
    );
    expect(waiting.status.conditions?.find((c) => c.type === 'Ready')?.message).to.match(
      /^scheduled; the first run is at \d{4}-\d\d-\d\dT02:15:00\.000Z$/,
    );
    const request = await runNow(op.client, DatabaseRetentionResource, op.namespace, 'logs');
    const done = await untilCondition<DatabaseRetention>(
      op.client,
      DatabaseRetentionResource,
      op.namespace,
      'logs',
      'Ready',
      (c, obj) => c.status === 'True' && obj.status.lastRequest === request,
    );
    expect(done.status.rowsDeleted).to.equal(10_300);
    expect(
      done.status.tables?.map((t) => [t.table, t.rowsDeleted, t.rowsArchived, t.archives, t.complete]),
    ).to.deep.equal([
      ['request_logs', 10_000, 10_000, 2, true],
      ['cache_entries', 300, 0, 0, true],
    ]);
    expect(done.status.lastRun).to.deep.include({ state: 'Succeeded', trigger: 'Requested' });

    const store = new S3ObjectStore({
      bucket: 'gateway-archive',
      prefix: 'worker/',
      endpoint: gw.endpoint,
      region: gw.region,
      forcePathStyle: true,
      credentials: { accessKeyId: gw.accessKeyId, secretAccessKey: gw.secretAccessKey },
    });
    try {
      let lines = 0;
      for await (const object of store.list(`database-archives/${op.namespace}/logs/public.request_logs/`)) {
        const chunks: Buffer[] = [];
        for await (const chunk of await store.get(object.key)) chunks.push(chunk as Buffer);
        lines += gunzipSync(Buffer.concat(chunks))
          .toString('utf8')
          .split('\n')
          .filter((l) => l !== '').length;
      }
      expect(lines).to.equal(10_000);
    } finally {
      store.close();
    }
    expect(
      audit.events.filter((e) => e.action === 'database.retention.deleted').map((e) => e.detail.rowsDeleted),
    ).to.deep.equal([10_000, 300]);
  });

  it('a backup on request goes to S3, is verified, and is listed in the status', async () => {
    await op.client.create(DatabaseBackupResource, {
      apiVersion: API,
      kind: 'DatabaseBackup',
      metadata: { name: 'nightly', namespace: op.namespace },
      spec: { connectionRef: { name: 'gateway-db' }, schedule: '0 3 * * *', keep: { count: 3 } },
    });
    const request = await runNow(op.client, DatabaseBackupResource, op.namespace, 'nightly');
    const done = await untilCondition<DatabaseBackup>(
      op.client,
      DatabaseBackupResource,
      op.namespace,
      'nightly',
      'Ready',
      (c, obj) => c.status === 'True' && obj.status.lastRequest === request,
    );
    const [newest] = done.status.backups ?? [];
    expect(newest?.verification).to.equal('Verified');
    expect(newest?.id).to.match(/^nightly-\d{8}T\d{6}Z-[0-9a-f]{4}$/);
    expect(done.status.lastBackup).to.equal(newest?.id);
    expect(done.status.lastVerifiedBackup).to.equal(newest?.id);
    expect(newest?.sizeBytes).to.be.greaterThan(0);
    expect(
      audit.events.some((e) => e.action === 'database.backup.created' && e.detail.backup === newest?.id),
    ).to.equal(true);
    expect(finished.some((e) => e.kind === 'DatabaseBackup' && e.outcome === 'succeeded')).to.equal(true);
  });

  it('maintenance in mode Apply on request rebuilds a bloated index and says so', async () => {
    await db.query('DELETE FROM request_logs WHERE (substring(request_id from 5))::int % 10 <> 0');
    await db.query('VACUUM (ANALYZE) request_logs');
    await op.client.create(DatabaseMaintenanceResource, {
      apiVersion: API,
      kind: 'DatabaseMaintenance',
      metadata: { name: 'tidy', namespace: op.namespace },
      spec: {
        connectionRef: { name: 'gateway-db' },
        schedule: '0 * * * *',
        mode: 'Apply',
        thresholds: { minIndexSizeMiB: 0 },
      },
    });
    const request = await runNow(op.client, DatabaseMaintenanceResource, op.namespace, 'tidy');
    const done = await untilCondition<DatabaseMaintenance>(
      op.client,
      DatabaseMaintenanceResource,
      op.namespace,
      'tidy',
      'Ready',
      (c, obj) => c.status === 'True' && obj.status.lastRequest === request,
    );
    const fixed = done.status.findings?.find((f) => f.object === 'public.idx_request_logs_timestamp');
    expect(fixed).to.deep.include({ kind: 'BloatedIndex', applied: true });
    expect(done.status.appliedCount).to.be.greaterThan(0);
    expect(
      audit.events.some(
        (e) =>
          e.action === 'database.maintenance.applied' &&
          e.detail.object === 'public.idx_request_logs_timestamp',
      ),
    ).to.equal(true);
  });

  it('a failure reaches the status, the Events and the run events: a backup whose database is gone', async () => {
    await op.client.create(DatabaseConnectionResource, {
      apiVersion: API,
      kind: 'DatabaseConnection',
      metadata: { name: 'missing-db', namespace: op.namespace },
      spec: {
        host: db.params.host,
        port: db.params.port,
        database: 'no_such_database',
        user: db.params.user,
        sslMode: 'disable',
      },
    });
    await op.client.create(DatabaseBackupResource, {
      apiVersion: API,
      kind: 'DatabaseBackup',
      metadata: { name: 'broken', namespace: op.namespace },
      spec: { connectionRef: { name: 'missing-db' }, schedule: '0 3 * * *' },
    });
    await runNow(op.client, DatabaseBackupResource, op.namespace, 'broken');
    const failed = await untilCondition<DatabaseBackup>(
      op.client,
      DatabaseBackupResource,
      op.namespace,
      'broken',
      'Ready',
      (c) => c.status === 'False',
    );
    const ready = failed.status.conditions?.find((c) => c.type === 'Ready');
    expect(ready?.reason).to.equal('DatabaseNotFound');
    expect(ready?.message).to.match(
      /database "no_such_database" does not exist .*Create the database, or fix spec\.database$/,
    );
    expect(failed.status.lastRun?.state).to.equal('Failed');
    expect(
      finished.some((e) => e.name === 'broken' && e.outcome === 'failed' && e.reason === 'DatabaseNotFound'),
    ).to.equal(true);
    const warning = await eventually(async () => {
      const list = await op.client.list<
        KubeObject & { reason?: string; note?: string; regarding?: { name?: string } }
      >(
        { group: 'events.k8s.io', version: 'v1', plural: 'events', kind: 'Event', namespaced: true },
        op.namespace,
      );
      return list.items.find((e) => e.regarding?.name === 'broken' && e.reason === 'RunFailed');
    }, 'a RunFailed Event');
    expect(warning.note).to.match(/no_such_database/);
  });
});
