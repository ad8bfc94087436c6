import { expect } from 'chai';
import type { Registry } from 'prom-client';
import { Controller } from '../../src/runtime/controller/controller.js';
import { Manager } from '../../src/runtime/controller/manager.js';
import { KubeClient } from '../../src/runtime/kube/client.js';
import { CoreTypes } from '../../src/runtime/kube/resource.js';
import { silentLogger } from '../../src/runtime/logger.js';
import { createMetricsRegistry } from '../../src/runtime/metrics.js';
import { updateStatus } from '../../src/runtime/status/status-writer.js';
import { sharedCluster, uniqueName } from '../support/shared-cluster.js';
import { WidgetType, eventually, inParallel, widget, type Widget } from '../support/widgets.js';

async function writeRequests(registry: Registry): Promise<number> {
  const metric = await registry.getSingleMetric('gateway_worker_kube_api_requests_total')?.get();
  return (metric?.values ?? [])
    .filter((v) => ['create', 'update', 'patch', 'delete'].includes(String(v.labels.verb)))
    .reduce((sum, v) => sum + v.value, 0);
}

describe('steady state (real API server)', function () {
  this.timeout(240_000);

  it('1,000 objects synced: a resync period re-reconciles every one and writes nothing', async () => {
    const cluster = await sharedCluster();
    const namespace = uniqueName('idle');
    const admin = new KubeClient(cluster.kubeConfig);
    await admin.create(CoreTypes.namespace, { metadata: { name: namespace } });
    await inParallel(
      Array.from({ length: 1000 }, (_, i) => `w-${i}`),
      20,
      (name) => admin.create(WidgetType, widget(namespace, name, 1)),
    );
    admin.close();

    const registry = createMetricsRegistry();
    const client = new KubeClient(cluster.kubeConfig, { registry });
    const manager = new Manager({ client, logger: silentLogger, registry, namespaces: [namespace] });
    const informer = manager.informer<Widget>(WidgetType, { resyncPeriodMs: 4_000 });
    let reconciles = 0;
    manager.add(
      new Controller({
        name: 'idle',
        workers: 5,
        logger: silentLogger,
        registry,
        reconcile: async ({ key }) => {
          reconciles += 1;
          const cached = informer.store.get(key);
          if (cached)
            await updateStatus(client, WidgetType, cached, { phase: 'Observed', size: cached.spec.size });
          return undefined;
        },
      }).watchPrimary(informer),
    );
    await manager.start();
    try {
      await eventually(
        () => informer.store.list().filter((w) => w.status?.phase === 'Observed').length === 1000,
        120_000,
        'every widget to carry its status',
      );
      await new Promise((resolve) => setTimeout(resolve, 500));
      const writes = await writeRequests(registry);
      expect(writes, 'one status write per object').to.equal(1000);
      const before = reconciles;
      await eventually(() => reconciles >= before + 1000, 30_000, 'a resync to re-reconcile every object');
      expect(await writeRequests(registry), 'writes during the resync').to.equal(writes);
    } finally {
      await manager.stop();
    }
  });
});
