import { X509Certificate } from 'node:crypto';
import { expect } from 'chai';
import { AGENT_TLS_SECRET, ensureAgentSecret, ensureCa, workerTls } from '../../src/push/mtls-ca.js';
import { FakeClock } from '../../src/runtime/clock.js';
import { KubeClient } from '../../src/runtime/kube/client.js';
import { CoreTypes, type KubeObject } from '../../src/runtime/kube/resource.js';
import { sharedCluster, uniqueName } from '../support/shared-cluster.js';

interface Secret extends KubeObject {
  data?: Record<string, string>;
}

describe('the channel CA (real API server)', function () {
  this.timeout(60_000);

  it('is created once even when two replicas race, and every certificate chains to it', async () => {
    const cluster = await sharedCluster();
    const client = new KubeClient(cluster.kubeConfig);
    const namespace = uniqueName('mtls');
    await client.create(CoreTypes.namespace, { metadata: { name: namespace } });
    const clock = new FakeClock(Date.now());
    const [a, b] = await Promise.all([
      ensureCa(client, namespace, clock),
      ensureCa(client, namespace, clock),
    ]);
    expect(a.certPem).to.equal(b.certPem);
    expect((await ensureCa(client, namespace, clock)).certPem).to.equal(a.certPem);

    const caCert = new X509Certificate(a.certPem);
    const tls = await workerTls(a, clock);
    expect(new X509Certificate(tls.client.certPem).verify(caCert.publicKey)).to.equal(true);
    expect(new X509Certificate(tls.server.certPem).verify(caCert.publicKey)).to.equal(true);
    client.close();
  });

  it('writes the agents’ server certificate once, then again only when two thirds of its life has passed', async () => {
    const cluster = await sharedCluster();
    const client = new KubeClient(cluster.kubeConfig);
    const namespace = uniqueName('mtls');
    await client.create(CoreTypes.namespace, { metadata: { name: namespace } });
    const clock = new FakeClock(Date.now());
    const ca = await ensureCa(client, namespace, clock);
    expect(await ensureAgentSecret(client, namespace, ca, clock)).to.equal(true);
    expect(await ensureAgentSecret(client, namespace, ca, clock)).to.equal(false);
    const first = await client.get<Secret>(CoreTypes.secret, namespace, AGENT_TLS_SECRET);
    expect(Object.keys(first.data ?? {}).sort()).to.deep.equal(['ca.crt', 'tls.crt', 'tls.key']);

    clock.advance(19 * 24 * 3600 * 1000);
    expect(await ensureAgentSecret(client, namespace, ca, clock), 'day 19 of 30').to.equal(false);
    clock.advance(2 * 24 * 3600 * 1000);
    expect(await ensureAgentSecret(client, namespace, ca, clock), 'day 21 of 30').to.equal(true);
    const second = await client.get<Secret>(CoreTypes.secret, namespace, AGENT_TLS_SECRET);
    expect(second.data?.['tls.crt']).to.not.equal(first.data?.['tls.crt']);
    client.close();
  });
});
