import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { parse } from 'yaml';
import { GatewayAgentProcess } from '../../src/agent/agent.js';
import { startSimulatedGateways, type SimulatedGateways } from '../../src/agent/simulator.js';
import { contentVersion, type ConfigResource } from '../../src/domain/snapshot/snapshot.js';
import { ResourceType } from '../../src/generated/gateway/worker/v1/resources.js';
import type { TlsMaterial } from '../../src/grpc/credentials.js';
import { watchGateways, type Pod } from '../../src/push/gateway-discovery.js';
import { AGENT_TLS_SECRET, ensureAgentSecret, ensureCa, workerTls } from '../../src/push/mtls-ca.js';
import { Pusher } from '../../src/push/pusher.js';
import { systemClock } from '../../src/runtime/clock.js';
import { Manager } from '../../src/runtime/controller/manager.js';
import { KubeClient } from '../../src/runtime/kube/client.js';
import { CoreTypes, type KubeObject } from '../../src/runtime/kube/resource.js';
import { silentLogger } from '../../src/runtime/logger.js';
import { createMetricsRegistry } from '../../src/runtime/metrics.js';
import { wafRule } from '../support/agent-fixtures.js';
import { sharedCluster, uniqueName } from '../support/shared-cluster.js';
import { eventually } from '../support/widgets.js';

const OWNER = 'WafRuleSet/edge/rules';
const b64 = (s: string | undefined): string => Buffer.from(s ?? '', 'base64').toString('utf8');

function rules(...ids: string[]): ConfigResource {
  const payload = new TextEncoder().encode(
    JSON.stringify({ version: '1', rules: ids.map((id) => wafRule(id)) }),
  );
  return { type: 'waf', name: 'edge/rules', version: contentVersion(payload), payload };
}

function ruleIds(dir: string): string[] {
  const file = parse(readFileSync(join(dir, 'waf-rules.yaml'), 'utf8')) as { rules: { id: string }[] };
  return file.rules.map((r) => r.id);
}

describe('push to gateway pods (real API server, real agents, mTLS)', function () {
  this.timeout(120_000);

  it('reaches every agent, tolerates a stopped one, reports a NACK, and closes a deleted pod’s connection', async () => {
    const cluster = await sharedCluster();
    const client = new KubeClient(cluster.kubeConfig);
    const namespace = uniqueName('push');
    await client.create(CoreTypes.namespace, { metadata: { name: namespace } });

    // The channel PKI as the operator makes it: the agents mount the Secret, the worker dials with its own cert.
    const ca = await ensureCa(client, namespace, systemClock);
    await ensureAgentSecret(client, namespace, ca, systemClock);
    const secret = await client.get<KubeObject & { data?: Record<string, string> }>(
      CoreTypes.secret,
      namespace,
      AGENT_TLS_SECRET,
    );
    const agentTls: TlsMaterial = {
      caPem: b64(secret.data?.['ca.crt']),
      certPem: b64(secret.data?.['tls.crt']),
      keyPem: b64(secret.data?.['tls.key']),
    };
    const worker = await workerTls(ca, systemClock);
    const dirRoot = mkdtempSync(join(tmpdir(), 'push-e2e-'));
    let sim: SimulatedGateways | undefined;
    const registry = createMetricsRegistry();
    const managerClient = new KubeClient(cluster.kubeConfig);
    const manager = new Manager({ client: managerClient, logger: silentLogger, namespaces: [namespace] });
    const pusher = new Pusher({
      tls: worker.client,
      logger: silentLogger,
      registry,
      quietMs: 20,
      maxDelayMs: 200,
    });
    try {
      sim = await startSimulatedGateways({ count: 3, tls: agentTls, dirRoot, port: 0 });
      // Pods whose status says where each agent listens, as the kubelet would report.
      for (const g of sim.gateways) {
        const [host, port] = [g.host, Number(g.address.split(':').pop())];
        await client.create<Pod>(CoreTypes.pod, {
          metadata: {
            namespace,
            name: g.name,
            labels: { 'app.kubernetes.io/name': 'gateway', port: String(port) },
          },
          spec: { containers: [{ name: 'gateway', image: 'gateway:latest' }] },
        });
        await client.mergePatch(
          CoreTypes.pod,
          namespace,
          g.name,
          {
            status: { podIP: host, conditions: [{ type: 'Ready', status: 'True' }] },
          },
          'status',
        );
      }
      const pods = manager.informer<Pod>(CoreTypes.pod, { labelSelector: 'app.kubernetes.io/name=gateway' });
      // Each simulated agent has its own port; real pods share GATEWAY_AGENT_PORT.
      watchGateways(pods, 0, (gateways) =>
        pusher.setGateways(
          gateways.map((g) => ({ ...g, address: g.address.replace(/:0$/, `:${g.labels.port ?? ''}`) })),
        ),
      );
      await pusher.start();
      await manager.start();

      pusher.publish(OWNER, undefined, [rules('r1', 'r2')]);
      await eventually(() => pusher.status(OWNER).summary === '3/3', 20_000, 'all three gateways to ACK');
      const versions = sim.gateways.map((g) => g.appliedVersions()['RESOURCE_TYPE_WAF_RULES']);
      expect(new Set(versions).size, 'every agent runs the same version').to.equal(1);
      for (const g of sim.gateways) expect(ruleIds(g.dir)).to.deep.equal(['r1', 'r2']);

      // A stopped agent does not hold up the others, and gets the full state when it returns.
      const down = sim.gateways[1]!;
      await down.agent.stop();
      pusher.publish(OWNER, undefined, [rules('r1', 'r2', 'r3')]);
      await eventually(() => pusher.status(OWNER).synced === 2, 20_000, 'the two running gateways to ACK');
      expect(ruleIds(sim.gateways[0]!.dir)).to.deep.equal(['r1', 'r2', 'r3']);
      expect(ruleIds(down.dir)).to.deep.equal(['r1', 'r2']);
      const back = new GatewayAgentProcess({
        dir: down.dir,
        listen: down.address,
        httpPort: 0,
        tls: agentTls,
        name: down.name,
      });
      await back.start();
      try {
        await eventually(
          () => pusher.status(OWNER).summary === '3/3',
          40_000,
          'the returning gateway to catch up',
        );
        expect(ruleIds(down.dir)).to.deep.equal(['r1', 'r2', 'r3']);
      } finally {
        await back.stop();
      }

      // A NACK shows up for that gateway only; the others stay synced and it keeps its last good state.
      sim.gateways[2]!.rejectNext(ResourceType.RESOURCE_TYPE_WAF_RULES, 'rule r4: unsupported field');
      pusher.publish(OWNER, undefined, [rules('r1', 'r2', 'r3', 'r4')]);
      // Gateway 1 is down again, so gateway 0's ACK and gateway 2's NACK are the whole story.
      await eventually(
        () => pusher.status(OWNER).failed === 1 && pusher.status(OWNER).synced === 1,
        20_000,
        'the NACK and the one ACK to be reported',
      );
      const status = pusher.status(OWNER);
      expect(status.failures).to.deep.equal([
        { gateway: `${namespace}/${sim.gateways[2]!.name}`, message: 'rule r4: unsupported field' },
      ]);
      expect(ruleIds(sim.gateways[2]!.dir)).to.deep.equal(['r1', 'r2', 'r3']);
      expect(ruleIds(sim.gateways[0]!.dir)).to.deep.equal(['r1', 'r2', 'r3', 'r4']);

      // A deleted pod's connection closes.
      await client.delete(CoreTypes.pod, namespace, sim.gateways[0]!.name, { gracePeriodSeconds: 0 });
      await eventually(() => pusher.gateways().length === 2, 20_000, 'the deleted pod’s connection to close');
    } finally {
      await pusher.stop();
      await manager.stop();
      await sim?.stop();
      client.close();
      rmSync(dirRoot, { recursive: true, force: true });
    }
  });
});
