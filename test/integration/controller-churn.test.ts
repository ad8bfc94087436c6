import { expect } from 'chai';
import { CoreTypes } from '../../src/runtime/kube/resource.js';
import { KubeClient } from '../../src/runtime/kube/client.js';
import { isNotFound } from '../../src/runtime/kube/errors.js';
import { Controller } from '../../src/runtime/controller/controller.js';
import { Manager } from '../../src/runtime/controller/manager.js';
import { silentLogger } from '../../src/runtime/logger.js';
import { createMetricsRegistry } from '../../src/runtime/metrics.js';
import { sharedCluster, uniqueName } from '../support/shared-cluster.js';
import { WidgetType, apiState, eventually, inParallel, widget, type Widget } from '../support/widgets.js';

describe('controller under churn (real API server)', function () {
  this.timeout(240_000);

  it('500 objects created, updated and deleted by concurrent writers: the last view of every key is the final state, and no key is reconciled concurrently', async () => {
    const cluster = await sharedCluster();
    const namespace = uniqueName('churn');
    const writer = new KubeClient(cluster.kubeConfig);
    await writer.create(CoreTypes.namespace, { metadata: { name: namespace } });

    const registry = createMetricsRegistry();
    const client = new KubeClient(cluster.kubeConfig, { registry });
    const manager = new Manager({ client, logger: silentLogger, registry, namespaces: [namespace] });
    const informer = manager.informer<Widget>(WidgetType);
    const lastView = new Map<string, number | 'deleted'>();
    const inFlight = new Set<string>();
    const overlaps: string[] = [];
    let reconciles = 0;
    const controller = new Controller({
      name: 'churn',
      workers: 5,
      logger: silentLogger,
      registry,
      reconcile: async ({ key }) => {
        if (inFlight.has(key)) overlaps.push(key);
        inFlight.add(key);
        reconciles += 1;
        // Yield so that other workers run while this key is held.
        await new Promise((resolve) => setImmediate(resolve));
        const cached = informer.store.get(key);
        lastView.set(key, cached ? cached.spec.size : 'deleted');
        inFlight.delete(key);
        return undefined;
      },
    }).watchPrimary(informer);
    manager.add(controller);
    await manager.start();
    try {
      const names = Array.from({ length: 500 }, (_, i) => `w-${i}`);
      await inParallel(names, 20, (name) => writer.create(WidgetType, widget(namespace, name, 0)));
      // Four writers update random objects while a fifth deletes every third one.
      const updates = Array.from({ length: 4 }, (_, lane) =>
        inParallel(
          Array.from({ length: 150 }, (_, i) => names[(i * 7 + lane * 13) % names.length] as string),
          5,
          async (name) => {
            try {
              const current = await writer.get<Widget>(WidgetType, namespace, name);
              await writer.update(WidgetType, {
                ...current,
                spec: { ...current.spec, size: current.spec.size + 1 },
              });
            } catch (error) {
              // Conflicts with the other writers and objects deleted meanwhile are part of churn.
              if (
                !isNotFound(error) &&
                !(error instanceof Error && /409|conflict|modified/i.test(error.message))
              ) {
                throw error;
              }
            }
          },
        ),
      );
      const deletes = inParallel(
        names.filter((_, i) => i % 3 === 0),
        5,
        (name) => writer.delete(WidgetType, namespace, name),
      );
      await Promise.all([...updates, deletes]);

      const final = await apiState(writer, namespace);
      expect(final.size).to.equal(500 - Math.ceil(500 / 3));
      await eventually(
        () =>
          names.every((name) => {
            const expected = final.has(name) ? final.get(name) : 'deleted';
            return lastView.get(`${namespace}/${name}`) === expected && controller.pending === 0;
          }),
        60_000,
        'every key reconciled to its final state',
      );
      expect(overlaps, 'keys reconciled by two workers at once').to.deep.equal([]);
      expect(reconciles).to.be.greaterThan(500);
    } finally {
      await manager.stop();
      client.close();
      writer.close();
    }
  });
});
