/**
 * DatabaseOperationFailed end to end: the whole operator (real kube-apiserver, its store and job
 * queue on PostgreSQL) runs a DatabaseMigration whose file fails against a real database; a
 * NotificationPolicy routes the event to a NotificationChannel, and a local HTTP receiver gets the
 * firing alert with the failure in it. Fixing the file is a change, the next run succeeds, and the
 * receiver gets the "resolved" message: the hook is fed complete sets, so a success resolves.
 */
import { expect } from 'chai';
import {
  DatabaseConnectionResource,
  DatabaseMigrationResource,
  NotificationChannelResource,
  NotificationPolicyResource,
  type DatabaseMigration,
} from '../../src/api/v1alpha1/index.js';
import type { AlertmanagerPayload } from '../../src/domain/notify/render/alertmanager.js';
import { CoreTypes } from '../../src/runtime/kube/resource.js';
import { startDbopsOperator, untilCondition, type DbopsOperator } from '../support/dbops-harness.js';
import { createGatewayDatabase, type GatewayDatabase } from '../support/gateway-database.js';
import { eventually } from '../support/job-fixtures.js';
import { NotifyReceiver } from '../support/notify-receiver.js';

const API = 'gateway.awesomeapi.com.br/v1alpha1';

describe('database operations notify through the operator (real API server, PostgreSQL, HTTP receiver)', function () {
  this.timeout(240_000);
  let op: DbopsOperator;
  let db: GatewayDatabase;
  let receiver: NotifyReceiver;

  before(async () => {
    receiver = await NotifyReceiver.start();
    db = await createGatewayDatabase('dbnotify');
    op = await startDbopsOperator('dbops-notify');
    const ns = op.namespace;
    await op.client.create(NotificationChannelResource, {
      apiVersion: API,
      kind: 'NotificationChannel',
      metadata: { name: 'hook', namespace: ns },
      spec: { type: 'webhook', webhook: { url: receiver.url } },
    });
    await op.client.create(NotificationPolicyResource, {
      apiVersion: API,
      kind: 'NotificationPolicy',
      metadata: { name: 'dbops', namespace: ns },
      spec: {
        channels: [{ name: 'hook' }],
        eventTypes: ['DatabaseOperationFailed'],
        groupWait: '1s',
        groupInterval: '1s',
        repeatInterval: '1h',
        sendResolved: true,
      },
    });
  });
  after(async () => {
    await op.stop();
    await db.drop();
    await receiver.stop();
  });

  const payloads = () => receiver.received.map((r) => r.json() as AlertmanagerPayload);

  it('fires DatabaseOperationFailed for a failed migration run and resolves it when a run succeeds', async () => {
    const ns = op.namespace;
    await op.client.create(CoreTypes.configMap, {
      metadata: { name: 'orders-files', namespace: ns },
      data: {
        '001_orders.sql': "CREATE TABLE orders (id int);\nINSERT INTO orders VALUES ('not a number');",
      },
    });
    await op.client.create(DatabaseConnectionResource, {
      apiVersion: API,
      kind: 'DatabaseConnection',
      metadata: { name: 'orders-db', namespace: ns },
      spec: {
        host: db.params.host,
        port: db.params.port,
        database: db.name,
        user: db.params.user,
        sslMode: 'disable',
        connectTimeout: '5s',
      },
    });
    await op.client.create(DatabaseMigrationResource, {
      apiVersion: API,
      kind: 'DatabaseMigration',
      metadata: { name: 'orders', namespace: ns },
      spec: { connectionRef: { name: 'orders-db' }, configMaps: [{ name: 'orders-files' }] },
    });
    await untilCondition<DatabaseMigration>(
      op.client,
      DatabaseMigrationResource,
      ns,
      'orders',
      'Ready',
      (c) => c.reason === 'MigrationFailed',
    );

    const firing = await eventually(
      () => payloads().find((p) => p.status === 'firing'),
      'the receiver gets DatabaseOperationFailed, firing',
      60_000,
    );
    expect(firing.alerts).to.have.length(1);
    const alert = firing.alerts[0];
    expect(alert?.labels).to.deep.equal({
      alertname: 'DatabaseOperationFailed',
      severity: 'critical',
      namespace: ns,
      name: 'orders',
      resource_kind: 'DatabaseMigration',
      operation: 'migration',
    });
    expect(alert?.annotations['summary']).to.equal(
      `DatabaseMigration ${ns}/orders: the last migration failed`,
    );
    expect(alert?.annotations['description']).to.match(
      /^MigrationFailed: .*invalid input syntax for type integer: "not a number"/,
    );

    // Fixing the file is a change: the next run succeeds, and the alert resolves.
    await op.client.mergePatch(CoreTypes.configMap, ns, 'orders-files', {
      data: { '001_orders.sql': 'CREATE TABLE orders (id int);' },
    });
    await untilCondition<DatabaseMigration>(
      op.client,
      DatabaseMigrationResource,
      ns,
      'orders',
      'Ready',
      (c) => c.status === 'True',
    );
    const resolved = await eventually(
      () => payloads().find((p) => p.status === 'resolved'),
      'the receiver gets DatabaseOperationFailed, resolved',
      60_000,
    );
    expect(resolved.alerts.map((a) => [a.labels['name'], a.status])).to.deep.equal([['orders', 'resolved']]);
    expect(receiver.received.every((r) => r.answered === 200)).to.equal(true);
  });
});
