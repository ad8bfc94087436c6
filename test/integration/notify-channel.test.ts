/**
 * NotificationChannel end to end on the real kube-apiserver with the whole operator: Ready from
 * its Secret, `gateway-worker notify test CHANNEL` reaching the signing receiver, and a delivery
 * queued through the outbox (as reports send) retried after 429 Retry-After and shown in the
 * channel's status.
 */
import { expect } from 'chai';
import { main, type Output } from '../../src/cli/main.js';
import {
  NotificationChannelResource,
  statusOf,
  type NotificationChannel,
} from '../../src/api/v1alpha1/index.js';
import { StoreOutbox } from '../../src/notify/outbox.js';
import { CoreTypes } from '../../src/runtime/kube/resource.js';
import { findCondition } from '../../src/runtime/status/conditions.js';
import { postgresAt, storeOf } from '../support/job-fixtures.js';
import { NotifyReceiver } from '../support/notify-receiver.js';
import { startOperatorHarness, type OperatorHarness } from '../support/operator-harness.js';
import { sharedCluster } from '../support/shared-cluster.js';
import { testDatabaseConfig } from '../support/shared-postgres.js';
import { eventually } from '../support/widgets.js';

const HMAC_KEY = 'channel-e2e-hmac-key-0123456789';

function capture(): Output & { out: string; err: string } {
  const result = {
    out: '',
    err: '',
    stdout: (text: string) => void (result.out += text),
    stderr: (text: string) => void (result.err += text),
  };
  return result;
}

describe('NotificationChannel with the operator (real kube-apiserver)', function () {
  this.timeout(120_000);
  let harness: OperatorHarness;
  let receiver: NotifyReceiver;
  let database: { databaseUrl?: string; databaseSchema: string };

  before(async () => {
    receiver = await NotifyReceiver.start({ hmacKey: HMAC_KEY });
    database = await testDatabaseConfig('notifych');
    harness = await startOperatorHarness('notify', { gateways: 1, config: database });
  });
  after(async () => {
    await harness.stop();
    await receiver.stop();
  });

  const get = () =>
    harness.client.get<NotificationChannel>(NotificationChannelResource, harness.namespace, 'hook');

  it('is Ready once its Secret exists, passes `notify test`, and shows deliveries in its status', async () => {
    const { client, namespace } = harness;
    await client.create(NotificationChannelResource, {
      apiVersion: 'gateway.awesomeapi.com.br/v1alpha1',
      kind: 'NotificationChannel',
      metadata: { name: 'hook', namespace },
      spec: {
        type: 'webhook',
        webhook: { url: receiver.url, hmacSecretRef: { name: 'hook-hmac', key: 'key' } },
      },
    });
    await eventually(
      async () => findCondition(statusOf(await get())?.conditions, 'Ready')?.reason === 'RefNotFound',
      30_000,
      'Ready=False (RefNotFound) while the Secret is missing',
    );
    const env = { KUBECONFIG: (await sharedCluster()).kubeconfigPath };
    const missing = capture();
    expect(await main(['notify', 'test', 'hook', '-n', namespace], env, missing)).to.equal(1);
    expect(missing.err).to.match(/hook-hmac/);

    await client.create(CoreTypes.secret, {
      metadata: { name: 'hook-hmac', namespace },
      data: { key: Buffer.from(HMAC_KEY).toString('base64') },
    });
    const output = capture();
    expect(await main(['notify', 'test', 'hook', '-n', namespace], env, output)).to.equal(0);
    expect(output.out).to.equal(`test notification sent through ${namespace}/hook (webhook): accepted\n`);
    expect(receiver.received).to.have.length(1);
    expect(receiver.received[0]?.signatureValid).to.equal(true);
    expect(receiver.received[0]?.body).to.contain('Test notification from gateway-worker');

    receiver.answer({ status: 429, headers: { 'retry-after': '1' } }, { status: 200 });
    const db = postgresAt(database.databaseUrl ?? '', database.databaseSchema, 2);
    try {
      const outbox = new StoreOutbox({
        store: storeOf(db, database.databaseSchema).store,
        schema: database.databaseSchema,
      });
      // The operator migrates its store in the background: send once the outbox table exists.
      await eventually(
        () =>
          outbox
            .send(
              { namespace, name: 'hook' },
              {
                title: 'Weekly report',
                text: 'ready',
                labels: { report: 'weekly' },
                links: [],
                attachments: [],
              },
            )
            .then(
              () => true,
              () => false,
            ),
        30_000,
        'the outbox to accept a delivery',
      );
    } finally {
      await db.close();
    }
    await eventually(
      async () => {
        const deliveries = statusOf(await get())?.deliveries;
        return deliveries?.sent === 1;
      },
      60_000,
      'status.deliveries.sent = 1',
    );
    const status = statusOf(await get());
    expect(status?.deliveries).to.include({ sent: 1, failed: 1, retried: 1, dead: 0, pending: 0 });
    expect(status?.deliveries?.lastError).to.match(/429/);
    expect(findCondition(status?.conditions, 'Ready')).to.include({ status: 'True', reason: 'Ready' });
    expect(receiver.received.slice(1).map((r) => r.answered)).to.deep.equal([429, 200]);
    expect(JSON.stringify(status)).not.to.contain(HMAC_KEY);
  });
});
