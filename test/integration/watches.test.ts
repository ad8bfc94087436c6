import { expect } from 'chai';
import { Controller } from '../../src/runtime/controller/controller.js';
import { Manager } from '../../src/runtime/controller/manager.js';
import { generationChanged } from '../../src/runtime/controller/predicates.js';
import { KubeClient } from '../../src/runtime/kube/client.js';
import { CoreTypes, type KubeObject } from '../../src/runtime/kube/resource.js';
import { silentLogger } from '../../src/runtime/logger.js';
import { ownerReference } from '../../src/runtime/objects/owner-references.js';
import { sharedCluster, uniqueName } from '../support/shared-cluster.js';
import { WidgetType, eventually, widget, type Widget } from '../support/widgets.js';

describe('controller watches (real API server)', function () {
  this.timeout(60_000);

  it('maps owned objects to their owner, filters status-only updates, and caches Secrets as metadata only', async () => {
    const cluster = await sharedCluster();
    const namespace = uniqueName('watches');
    const client = new KubeClient(cluster.kubeConfig);
    await client.create(CoreTypes.namespace, { metadata: { name: namespace } });
    const owner = await client.create(WidgetType, widget(namespace, 'owner', 1));
    await client.create(CoreTypes.secret, {
      metadata: {
        namespace,
        name: 'owned',
        ownerReferences: [ownerReference(owner, WidgetType, { controller: true })],
      },
      type: 'Opaque',
      data: { password: Buffer.from('hunter2').toString('base64') },
    });

    const manager = new Manager({ client, logger: silentLogger, namespaces: [namespace] });
    const widgets = manager.informer<Widget>(WidgetType);
    const secrets = manager.informer<KubeObject>(CoreTypes.secret, { metadataOnly: true });
    const reconciled: string[] = [];
    manager.add(
      new Controller({
        name: 'watches',
        workers: 1,
        logger: silentLogger,
        reconcile: ({ key }) => {
          reconciled.push(key);
          return Promise.resolve(undefined);
        },
      })
        .watchPrimary(widgets, { predicates: [generationChanged] })
        .watchOwned(secrets, { apiVersion: 'test.gateway-worker.dev/v1', kind: 'Widget' }),
    );
    await manager.start();
    try {
      await eventually(() => reconciled.length >= 1, 20_000, 'the first reconcile');
      const cached = secrets.store.get(`${namespace}/owned`);
      expect(cached?.metadata.name).to.equal('owned');
      expect(cached, 'a metadata-only cache holds no Secret data').to.not.have.property('data');

      // A status write does not change the generation: filtered out.
      reconciled.length = 0;
      await client.mergePatch(WidgetType, namespace, 'owner', { status: { phase: 'x' } }, 'status');
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect(reconciled).to.deep.equal([]);

      // A change to the owned Secret reconciles its owner.
      await client.mergePatch(CoreTypes.secret, namespace, 'owned', {
        metadata: { labels: { touched: 'yes' } },
      });
      await eventually(() => reconciled.includes(`${namespace}/owner`), 10_000, 'the owner to be reconciled');

      // A spec change does.
      reconciled.length = 0;
      await client.mergePatch(WidgetType, namespace, 'owner', { spec: { size: 2 } });
      await eventually(() => reconciled.includes(`${namespace}/owner`), 10_000, 'a spec change to reconcile');
    } finally {
      await manager.stop();
    }
  });

  it('syncs a metadata-only cache of a list that is empty', async () => {
    const cluster = await sharedCluster();
    const namespace = uniqueName('watches-empty');
    const client = new KubeClient(cluster.kubeConfig);
    await client.create(CoreTypes.namespace, { metadata: { name: namespace } });
    const manager = new Manager({ client, logger: silentLogger, namespaces: [namespace] });
    const configMaps = manager.informer<KubeObject>(CoreTypes.configMap, {
      metadataOnly: true,
      labelSelector: 'nothing-has-this-label',
    });
    await manager.start();
    try {
      await eventually(() => configMaps.hasSynced(), 10_000, 'the empty cache synced');
      await client.create(CoreTypes.configMap, {
        metadata: { namespace, name: 'late', labels: { 'nothing-has-this-label': 'x' } },
      });
      await eventually(
        () => configMaps.store.get(`${namespace}/late`) !== undefined,
        10_000,
        'a later object',
      );
    } finally {
      await manager.stop();
    }
  });
});
