import { expect } from 'chai';
import { Registry } from 'prom-client';
import { FakeClock } from '../../src/runtime/clock.js';
import { KubeClient } from '../../src/runtime/kube/client.js';
import { ApiError } from '../../src/runtime/kube/errors.js';
import { CoreTypes, type KubeObject, type ResourceType } from '../../src/runtime/kube/resource.js';
import { EventRecorder } from '../../src/runtime/events/recorder.js';
import type { EventObject } from '../../src/runtime/events/event.js';
import { applyOwned } from '../../src/runtime/objects/apply-owned.js';
import { addFinalizer, hasFinalizer, removeFinalizer } from '../../src/runtime/objects/finalizers.js';
import { isOwnedBy, ownerReference } from '../../src/runtime/objects/owner-references.js';
import { findCondition, setCondition, type Condition } from '../../src/runtime/status/conditions.js';
import { updateStatus } from '../../src/runtime/status/status-writer.js';
import { sharedCluster, uniqueName } from '../support/shared-cluster.js';

const widgets: ResourceType = {
  group: 'test.gateway-worker.dev',
  version: 'v1',
  plural: 'widgets',
  kind: 'Widget',
  namespaced: true,
};

interface Widget extends KubeObject {
  apiVersion: string;
  kind: string;
  spec: { size: number };
  status?: { observedGeneration?: number; conditions?: Condition[]; [key: string]: unknown };
}

interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
}

/** Requests counted by the client's own metric, optionally only for one verb and resource. */
async function requests(
  registry: Registry,
  where: { verb?: string; resource?: string } = {},
): Promise<number> {
  const metric = registry.getSingleMetric('gateway_worker_kube_api_requests_total');
  if (!metric) return 0;
  const { values } = await metric.get();
  return values
    .filter(
      (v) =>
        (!where.verb || v.labels.verb === where.verb) &&
        (!where.resource || v.labels.resource === where.resource),
    )
    .reduce((sum, v) => sum + v.value, 0);
}

describe('status, finalizers, owned objects and events (real kube-apiserver)', function () {
  this.timeout(120_000);

  let client: KubeClient;
  let registry: Registry;
  let namespace: string;

  before(async () => {
    const cluster = await sharedCluster();
    registry = new Registry();
    client = new KubeClient(cluster.kubeConfig, { registry });
    namespace = uniqueName('status');
    await client.create(CoreTypes.namespace, { metadata: { name: namespace } });
  });

  after(() => {
    client.close();
  });

  function createWidget(name: string): Promise<Widget> {
    return client.create<Widget>(widgets, {
      apiVersion: 'test.gateway-worker.dev/v1',
      kind: 'Widget',
      metadata: { name, namespace },
      spec: { size: 1 },
    });
  }

  function readyStatus(
    widget: Widget,
    clock: FakeClock,
    status: Condition['status'],
    reason: string,
  ): NonNullable<Widget['status']> {
    const conditions = setCondition(
      widget.status?.conditions,
      {
        type: 'Ready',
        status,
        reason,
        message: `${reason} at generation ${widget.metadata.generation ?? 0}`,
        observedGeneration: widget.metadata.generation,
      },
      new Date(clock.now()),
    );
    return { phase: reason, conditions };
  }

  it('writes the status once, then a second identical update makes no request at all', async () => {
    const clock = new FakeClock();
    const widget = await createWidget('once');
    const first = await updateStatus(client, widgets, widget, readyStatus(widget, clock, 'True', 'Ready'));
    expect(first.written).to.equal(true);
    expect(first.object.status?.observedGeneration).to.equal(widget.metadata.generation);

    const before = await requests(registry);
    clock.advance(60_000);
    const second = await updateStatus(
      client,
      widgets,
      first.object,
      readyStatus(first.object, clock, 'True', 'Ready'),
    );
    expect(second.written).to.equal(false);
    expect(await requests(registry)).to.equal(before);
  });

  it('keeps lastTransitionTime while the status holds and moves it when it flips', async () => {
    const clock = new FakeClock();
    let widget = await createWidget('transition');
    widget = (await updateStatus(client, widgets, widget, readyStatus(widget, clock, 'False', 'Pending')))
      .object;
    const firstTime = findCondition(widget.status?.conditions, 'Ready')?.lastTransitionTime;
    expect(firstTime).to.equal('2026-01-01T00:00:00Z');

    clock.advance(60_000);
    const same = await updateStatus(client, widgets, widget, readyStatus(widget, clock, 'False', 'Pending'));
    expect(same.written).to.equal(false);

    clock.advance(60_000);
    const flipped = await updateStatus(client, widgets, widget, readyStatus(widget, clock, 'True', 'Ready'));
    expect(flipped.written).to.equal(true);
    const stored = await client.get<Widget>(widgets, namespace, 'transition');
    expect(findCondition(stored.status?.conditions, 'Ready')).to.include({
      status: 'True',
      reason: 'Ready',
      lastTransitionTime: '2026-01-01T00:02:00Z',
    });
  });

  it('replaces the whole status: keys the new status lacks are removed, nested ones too', async () => {
    const widget = await createWidget('replace');
    const first = await updateStatus(client, widgets, widget, {
      phase: 'A',
      stale: 'x',
      nested: { keep: 1, gone: 2 },
    });
    await updateStatus(client, widgets, first.object, { phase: 'B', nested: { keep: 1 } });
    const stored = await client.get<Widget>(widgets, namespace, 'replace');
    expect(stored.status).to.deep.equal({ phase: 'B', nested: { keep: 1 }, observedGeneration: 1 });
  });

  it('refuses a status computed from a stale copy with 409 Conflict', async () => {
    const widget = await createWidget('stale');
    await updateStatus(client, widgets, widget, { phase: 'Fresh' });
    const error = await updateStatus(client, widgets, widget, { phase: 'Stale' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(ApiError);
    expect((error as ApiError).code).to.equal(409);
  });

  it('adds and removes a finalizer, writing nothing when there is nothing to change', async () => {
    const finalizer = 'gateway.awesomeapi.com.br/cleanup';
    const widget = await createWidget('finalized');
    const added = await addFinalizer(client, widgets, widget, finalizer);
    expect(added.written).to.equal(true);
    expect(hasFinalizer(await client.get(widgets, namespace, 'finalized'), finalizer)).to.equal(true);

    const before = await requests(registry);
    expect((await addFinalizer(client, widgets, added.object, finalizer)).written).to.equal(false);
    expect(await requests(registry)).to.equal(before);

    const removed = await removeFinalizer(client, widgets, added.object, finalizer);
    expect(removed.written).to.equal(true);
    expect(hasFinalizer(await client.get(widgets, namespace, 'finalized'), finalizer)).to.equal(false);
    expect((await removeFinalizer(client, widgets, removed.object, finalizer)).written).to.equal(false);
  });

  it('applies a ConfigMap owned by a Widget once, then makes no request while it is unchanged', async () => {
    const owner = await createWidget('owner');
    const desired: ConfigMap = {
      metadata: {
        name: 'owned',
        namespace,
        labels: { 'app.kubernetes.io/managed-by': 'gateway-worker' },
        ownerReferences: [ownerReference(owner, widgets, { controller: true, blockOwnerDeletion: true })],
      },
      data: { 'routes.json': '{}', 'ca.crt': 'pem' },
    };
    const created = await applyOwned(client, CoreTypes.configMap, desired, undefined);
    expect(created.written).to.equal(true);
    expect(isOwnedBy(created.object, owner)).to.equal(true);

    const before = await requests(registry);
    const again = await applyOwned(client, CoreTypes.configMap, desired, created.object);
    // The informer caches objects without managedFields; the comparison must not need them.
    const fromInformer: ConfigMap = {
      ...created.object,
      metadata: { ...created.object.metadata, managedFields: undefined },
    };
    const againCached = await applyOwned(client, CoreTypes.configMap, desired, fromInformer);
    expect([again.written, againCached.written]).to.deep.equal([false, false]);
    expect(await requests(registry)).to.equal(before);

    const withoutCa = { ...desired, data: { 'routes.json': '{}' } };
    const changed = await applyOwned(client, CoreTypes.configMap, withoutCa, fromInformer);
    expect(changed.written).to.equal(true);
    expect(changed.object.data).to.deep.equal({ 'routes.json': '{}' });
  });

  it('creates an Event once and counts repeats in its series', async () => {
    const widget = await createWidget('noisy');
    const clock = new FakeClock();
    const events = new EventRecorder({ client, clock, instance: 'test-pod' });
    const creates = await requests(registry, { verb: 'create', resource: 'events' });
    const patches = await requests(registry, { verb: 'patch', resource: 'events' });
    for (let i = 0; i < 3; i++) {
      events.record(widget, 'Warning', 'InvalidSpec', 'spec.size is too small', 'Validate');
      await events.flush();
      clock.advance(1000);
    }
    const list = await client.list<EventObject>(CoreTypes.event, namespace);
    const mine = list.items.filter((e) => e.regarding.uid === widget.metadata.uid);
    expect(mine).to.have.length(1);
    expect(mine[0]).to.deep.include({
      reason: 'InvalidSpec',
      note: 'spec.size is too small',
      action: 'Validate',
      type: 'Warning',
      reportingController: 'gateway-worker',
      reportingInstance: 'test-pod',
      eventTime: '2026-01-01T00:00:00.000000Z',
      series: { count: 3, lastObservedTime: '2026-01-01T00:00:02.000000Z' },
    });
    expect(await requests(registry, { verb: 'create', resource: 'events' })).to.equal(creates + 1);
    expect(await requests(registry, { verb: 'patch', resource: 'events' })).to.equal(patches + 2);
  });
});
