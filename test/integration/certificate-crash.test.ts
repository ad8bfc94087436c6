import { expect } from 'chai';
import { CertificateResource } from '../../src/api/v1alpha1/index.js';
import { freePort } from '../../src/envtest/ports.js';
import { KubeClient } from '../../src/runtime/kube/client.js';
import { CoreTypes } from '../../src/runtime/kube/resource.js';
import { findCondition } from '../../src/runtime/status/conditions.js';
import { AcmeFront } from '../support/acme-front.js';
import {
  CertificateProbe,
  certificate,
  secretEntry,
  verifiedChain,
  waitForGateways,
  withDnsNames,
  withServer,
} from '../support/certificate-kit.js';
import { startGatewayPods, type GatewayPods } from '../support/gateway-pods.js';
import { OperatorProcess } from '../support/operator-process.js';
import { Pebble } from '../support/pebble.js';
import { sharedCluster, uniqueName } from '../support/shared-cluster.js';
import { eventually } from '../support/widgets.js';

describe('Certificate end to end: the operator killed with SIGKILL in the middle of an order (real processes, Pebble, agents)', function () {
  this.timeout(180_000);
  let pebble: Pebble;
  let front: AcmeFront;
  let client: KubeClient;
  let gateways: GatewayPods | undefined;
  const operators: OperatorProcess[] = [];

  before(async () => {
    pebble = await Pebble.start({ defaultIPv4: '127.0.0.2', validitySeconds: 3600 });
    front = await AcmeFront.start({ port: pebble.listenPort, caBundle: pebble.caBundle, tls: pebble.tls });
    client = new KubeClient((await sharedCluster()).kubeConfig);
  });
  after(async () => {
    for (const operator of operators) {
      operator.kill('SIGKILL');
      await operator.exited;
    }
    await gateways?.stop();
    client.close();
    await front.stop();
    await pebble.stop();
  });

  it('resumes the recorded order after a restart: the CA saw one order, status.order.url is unchanged, and the certificate reaches the gateways', async () => {
    const cluster = await sharedCluster();
    const namespace = uniqueName('cert-crash');
    await client.create(CoreTypes.namespace, { metadata: { name: namespace } });
    const agentPort = await freePort();
    const env = {
      LEADER_ELECTION: 'false',
      POD_NAMESPACE: namespace,
      WATCH_NAMESPACES: namespace,
      GATEWAY_AGENT_PORT: String(agentPort),
      LOG_LEVEL: 'info',
    };
    const start = async (): Promise<OperatorProcess> => {
      const operator = await OperatorProcess.start(cluster.kubeconfigPath, env);
      operators.push(operator);
      return operator;
    };
    const first = await start();
    gateways = await startGatewayPods(client, namespace, 2, agentPort, pebble.httpPort);

    // The CA never hears that the challenge is ready: the order stays pending at Pebble.
    front.hold('challenge');
    await client.create(
      CertificateResource,
      certificate(
        namespace,
        'crash',
        withDnsNames('crash.example.test'),
        withServer(front.directoryUrl, pebble.caBundle),
      ),
    );
    const probe = new CertificateProbe(client, namespace, 'crash');
    const pending = await probe.waitFor(
      'a recorded order',
      (s) => !!s?.order?.url && s.order.state === 'pending',
    );
    await eventually(() => front.heldCount > 0, 30_000, 'the challenge answer to reach the CA front');
    const orderUrl = pending.order?.url;
    expect(front.count('newOrder', { status: 201 })).to.equal(1);

    first.kill('SIGKILL');
    expect((await first.exited).signal).to.equal('SIGKILL');
    front.release();

    await start();
    // Ready turns True as soon as the Secret is stored; the order's state follows a moment later.
    const done = await probe.waitFor(
      'Ready=True and the order valid',
      (s) => s?.order?.state === 'valid' && findCondition(s.conditions, 'Ready')?.status === 'True',
      90_000,
    );
    expect(done.order?.url).to.equal(orderUrl);
    // Orders Pebble created (a newOrder refused with badNonce and re-signed created none).
    expect(front.count('newOrder', { status: 201 })).to.equal(1);
    expect(done.revision).to.equal(1);
    const chain = secretEntry(await probe.secret(), 'tls.crt');
    const leaf = verifiedChain(chain, await pebble.rootCertificate());
    expect(leaf.fingerprintSHA256).to.equal(done.fingerprintSHA256);
    await waitForGateways(gateways, namespace, 'crash', chain);
    await eventually(
      async () =>
        (await probe.events()).some((e) => e.reason === 'Issued' && e.note.includes('resumed order')),
      10_000,
      'an Issued Event that says the order was resumed',
    );
  });
});
