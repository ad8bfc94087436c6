/**
 * Events fed to the notification hooks, end to end through the whole operator (real
 * kube-apiserver, its store and job queue on PostgreSQL): a NotificationPolicy routes them to a
 * NotificationChannel and a local HTTP receiver gets the firing alert, then the "resolved" one.
 *
 * - DatabaseOperationFailed: a DatabaseMigration whose file fails against a real database; fixing
 *   the file is a change, the next run succeeds, and the alert resolves.
 * - FeedDegraded: a ThreatFeed whose provider (a local HTTP server) answers 500; once it answers
 *   a list again, a refresh succeeds and the alert resolves.
 *
 * Both hooks take complete sets, which is what makes a success resolve.
 */
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import {
  DatabaseConnectionResource,
  DatabaseMigrationResource,
  NotificationChannelResource,
  NotificationPolicyResource,
  ThreatFeedResource,
  type DatabaseMigration,
} from '../../src/api/v1alpha1/index.js';
import { REFRESH_ANNOTATION } from '../../src/controllers/threatfeed/controller.js';
import type { AlertmanagerPayload } from '../../src/domain/notify/render/alertmanager.js';
import { CoreTypes } from '../../src/runtime/kube/resource.js';
import { startDbopsOperator, untilCondition, type DbopsOperator } from '../support/dbops-harness.js';
import { createGatewayDatabase, type GatewayDatabase } from '../support/gateway-database.js';
import { eventually } from '../support/job-fixtures.js';
import { NotifyReceiver } from '../support/notify-receiver.js';

const API = 'gateway.awesomeapi.com.br/v1alpha1';

describe('hooked events notify through the operator (real API server, PostgreSQL, HTTP receiver)', function () {
  this.timeout(240_000);
  let op: DbopsOperator;
  let db: GatewayDatabase;
  let receiver: NotifyReceiver;
  let provider: Server;
  let providerUrl: string;
  let answer: RequestListener = (_req, res) => res.writeHead(404).end();

  before(async () => {
    receiver = await NotifyReceiver.start();
    provider = createServer((req, res) => answer(req, res));
    await new Promise<void>((resolve) => provider.listen(0, '127.0.0.1', resolve));
    providerUrl = `http://127.0.0.1:${(provider.address() as AddressInfo).port}`;
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
      metadata: { name: 'hooked', namespace: ns },
      spec: {
        channels: [{ name: 'hook' }],
        eventTypes: ['DatabaseOperationFailed', 'FeedDegraded', 'FeedStale'],
        // One group per event type, so each test sees its own messages.
        groupBy: ['alertname'],
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
    provider.closeAllConnections();
    await new Promise((resolve) => provider.close(resolve));
  });

  const payloads = (alertname: string) =>
    receiver.received
      .map((r) => r.json() as AlertmanagerPayload)
      .filter((p) => p.groupLabels['alertname'] === alertname);

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
      () => payloads('DatabaseOperationFailed').find((p) => p.status === 'firing'),
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
      () => payloads('DatabaseOperationFailed').find((p) => p.status === 'resolved'),
      'the receiver gets DatabaseOperationFailed, resolved',
      60_000,
    );
    expect(resolved.alerts.map((a) => [a.labels['name'], a.status])).to.deep.equal([['orders', 'resolved']]);
    expect(receiver.received.every((r) => r.answered === 200)).to.equal(true);
  });

  it('fires FeedDegraded while the feed provider fails and resolves it once a refresh succeeds', async () => {
    const ns = op.namespace;
    answer = (_req, res) => res.writeHead(500).end('upstream broke');
    await op.client.create(ThreatFeedResource, {
      apiVersion: API,
      kind: 'ThreatFeed',
      metadata: { name: 'drop', namespace: ns },
      spec: { url: `${providerUrl}/drop.txt`, format: 'plain', timeout: '2s' },
    });
    const firing = await eventually(
      () => payloads('FeedDegraded').find((p) => p.status === 'firing'),
      'the receiver gets FeedDegraded, firing',
      60_000,
    );
    expect(firing.alerts.map((a) => a.labels)).to.deep.equal([
      { alertname: 'FeedDegraded', severity: 'warning', namespace: ns, name: 'drop' },
    ]);
    expect(firing.alerts[0]?.annotations['summary']).to.equal(`Threat feed ${ns}/drop is degraded`);
    expect(firing.alerts[0]?.annotations['description']).to.match(/HTTP 500/);

    answer = (_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('45.10.20.0/24\n');
    await op.client.mergePatch(ThreatFeedResource, ns, 'drop', {
      metadata: { annotations: { [REFRESH_ANNOTATION]: 'now' } },
    });
    const resolved = await eventually(
      () => payloads('FeedDegraded').find((p) => p.status === 'resolved'),
      'the receiver gets FeedDegraded, resolved',
      60_000,
    );
    expect(resolved.alerts.map((a) => [a.labels['name'], a.status])).to.deep.equal([['drop', 'resolved']]);
  });
});
