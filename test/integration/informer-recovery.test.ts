import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { KubeConfig } from '@kubernetes/client-node';
import type { Registry } from 'prom-client';
import { startCluster, type Cluster } from '../../src/envtest/cluster.js';
import { Informer } from '../../src/runtime/informer/informer.js';
import { KubeClient } from '../../src/runtime/kube/client.js';
import { CoreTypes } from '../../src/runtime/kube/resource.js';
import { createLogger, silentLogger } from '../../src/runtime/logger.js';
import { createMetricsRegistry } from '../../src/runtime/metrics.js';
import { FIXTURE_CRDS, uniqueName } from '../support/shared-cluster.js';
import { TcpGate } from '../support/tcp-gate.js';
import { WidgetType, apiState, eventually, inParallel, widget, type Widget } from '../support/widgets.js';

async function listRequests(registry: Registry): Promise<number> {
  const metric = await registry.getSingleMetric('gateway_worker_kube_api_requests_total')?.get();
  return (metric?.values ?? [])
    .filter((v) => v.labels.verb === 'list' && v.labels.resource === 'widgets' && v.labels.code === '200')
    .reduce((sum, v) => sum + v.value, 0);
}

function cacheState(informer: Informer<Widget>): Map<string, number> {
  return new Map(informer.store.list().map((w) => [w.metadata.name ?? '', w.spec.size]));
}

function sameState(a: Map<string, number>, b: Map<string, number>): boolean {
  return a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);
}

describe('informer recovery (real API server)', function () {
  this.timeout(180_000);
  let cluster: Cluster;
  let writer: KubeClient;

  before(async () => {
    // Without the watch cache, a watch resuming from a compacted resourceVersion gets 410 from etcd.
    cluster = await startCluster({ crdPaths: [FIXTURE_CRDS], extraApiServerArgs: ['--watch-cache=false'] });
    writer = new KubeClient(cluster.kubeConfig);
  });
  after(async () => {
    writer.close();
    await cluster.stop();
  });

  /** A client whose every request passes the gate. */
  function clientThrough(gate: TcpGate, registry?: Registry): KubeClient {
    const yaml = readFileSync(cluster.kubeconfigPath, 'utf8').replace(
      `127.0.0.1:${cluster.local!.apiServerPort}`,
      `127.0.0.1:${gate.port}`,
    );
    const kc = new KubeConfig();
    kc.loadFromString(yaml);
    return new KubeClient(kc, { registry });
  }

  async function namespaceWithInformer(client: KubeClient) {
    const namespace = uniqueName('recover');
    await writer.create(CoreTypes.namespace, { metadata: { name: namespace } });
    const informer = new Informer<Widget>({
      client,
      type: WidgetType,
      namespaces: [namespace],
      logger: process.env.DEBUG_TEST ? createLogger('debug') : silentLogger,
    });
    informer.start();
    await informer.waitForSync();
    return { namespace, informer };
  }

  it('recovers after kube-apiserver restarts mid-stream and misses no final state', async () => {
    const client = new KubeClient(cluster.kubeConfig);
    const { namespace, informer } = await namespaceWithInformer(client);
    try {
      const names = Array.from({ length: 60 }, (_, i) => `w-${i}`);
      await inParallel(names.slice(0, 40), 10, (n) => writer.create(WidgetType, widget(namespace, n, 1)));
      await eventually(() => informer.store.size === 40, 20_000, 'the first 40 objects cached');

      await cluster.local!.restartApiServer();

      await inParallel(names.slice(40), 10, (n) => writer.create(WidgetType, widget(namespace, n, 2)));
      await inParallel(names.slice(0, 10), 5, (n) => writer.delete(WidgetType, namespace, n));
      await inParallel(names.slice(10, 20), 5, async (n) => {
        const w = await writer.get<Widget>(WidgetType, namespace, n);
        await writer.update(WidgetType, { ...w, spec: { size: 7 } });
      });
      const final = await apiState(writer, namespace);
      expect(final.size).to.equal(50);
      await eventually(
        () => sameState(cacheState(informer), final),
        60_000,
        'the cache to equal the API state',
      );
    } finally {
      await informer.stop();
      client.close();
    }
  });

  it('relists after 410 Gone when the history it would resume from was compacted away', async () => {
    const gate = await TcpGate.start(cluster.local!.apiServerPort);
    const registry = createMetricsRegistry();
    const client = clientThrough(gate, registry);
    const { namespace, informer } = await namespaceWithInformer(client);
    try {
      await inParallel(['a', 'b', 'c'], 3, (n) => writer.create(WidgetType, widget(namespace, n, 1)));
      await eventually(() => informer.store.size === 3, 20_000, 'three objects cached');
      expect(await listRequests(registry)).to.equal(1);

      // Partition the informer, change things behind its back, and compact that history away.
      gate.close();
      await writer.delete(WidgetType, namespace, 'a');
      const b = await writer.get<Widget>(WidgetType, namespace, 'b');
      await writer.update(WidgetType, { ...b, spec: { size: 9 } });
      await writer.create(WidgetType, widget(namespace, 'd', 4));
      await cluster.local!.compactEtcd();
      gate.reopen();

      const final = await apiState(writer, namespace);
      await eventually(
        () => sameState(cacheState(informer), final),
        90_000,
        'the cache to equal the API state',
      );
      expect(await listRequests(registry), 'a relist after 410').to.be.greaterThan(1);
    } finally {
      await informer.stop();
      client.close();
      await gate.stop();
    }
  });

  it('ends a wait for sync with false when stopped before it ever synced', async () => {
    const gate = await TcpGate.start(cluster.local!.apiServerPort);
    gate.close();
    const client = clientThrough(gate);
    const informer = new Informer<Widget>({ client, type: WidgetType, logger: silentLogger });
    informer.start();
    const waiting = informer.waitForSync();
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(informer.hasSynced()).to.equal(false);
    await informer.stop();
    expect(await waiting).to.equal(false);
    client.close();
    await gate.stop();
  });
});
