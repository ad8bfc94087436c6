/**
 * Controller runtime on 10,000 objects of a CRD, against the local control plane: initial sync
 * time, RSS after sync, no-op reconciles per second, status writes per second, and watch
 * events delivered to handlers (rate and write → handler latency).
 */
import { cpus } from 'node:os';
import type { Cluster } from '../src/envtest/cluster.js';
import { Controller } from '../src/runtime/controller/controller.js';
import { Informer } from '../src/runtime/informer/informer.js';
import { KubeClient } from '../src/runtime/kube/client.js';
import { CoreTypes } from '../src/runtime/kube/resource.js';
import { silentLogger } from '../src/runtime/logger.js';
import { updateStatus } from '../src/runtime/status/status-writer.js';
import { WidgetType, inParallel, widget, type Widget } from '../test/support/widgets.js';
import { fmt, median, percentile, rssMiB, timed } from './stats.js';

const OBJECTS = 10_000;
const REPEATS = 5;

export async function runtimeBenchmark(cluster: Cluster): Promise<string[]> {
  const admin = new KubeClient(cluster.kubeConfig);
  const namespace = `bench-${Date.now().toString(36)}`;
  await admin.create(CoreTypes.namespace, { metadata: { name: namespace } });
  const names = Array.from({ length: OBJECTS }, (_, i) => `w-${i}`);
  const [, createMs] = await timed(() =>
    inParallel(names, 32, (name) => admin.create(WidgetType, widget(namespace, name, 1, 'blue'))),
  );

  const rssBefore = rssMiB();
  const syncMs: number[] = [];
  const client = new KubeClient(cluster.kubeConfig);
  const newInformer = () =>
    new Informer<Widget>({ client, type: WidgetType, namespaces: [namespace], logger: silentLogger });
  let cache = newInformer();
  for (let i = 0; i < REPEATS; i++) {
    if (i > 0) {
      await cache.stop();
      cache = newInformer();
    }
    const informer = cache;
    const [, ms] = await timed(async () => {
      informer.start();
      await informer.waitForSync();
    });
    syncMs.push(ms);
  }
  (globalThis as { gc?: () => void }).gc?.();
  const rssAfter = rssMiB();

  // No-op reconciles: every key read from the cache, 5 workers.
  const noopRates: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    let done = 0;
    const controller = new Controller({
      name: `noop-${i}`,
      workers: 5,
      logger: silentLogger,
      reconcile: ({ key }) => {
        if (cache.store.get(key)) done += 1;
        return Promise.resolve(undefined);
      },
    });
    await controller.start();
    const [, ms] = await timed(async () => {
      for (const name of names) controller.enqueue(`${namespace}/${name}`);
      while (done < OBJECTS) await new Promise((resolve) => setImmediate(resolve));
    });
    await controller.stop();
    noopRates.push(OBJECTS / (ms / 1000));
  }

  // Status writes through the status writer, 5 workers, while the informer delivers the events.
  const written = new Map<string, number>();
  const latencies: number[] = [];
  let delivered = 0;
  let firstEvent = 0;
  let lastEvent = 0;
  cache.addHandler({
    onUpdate: (_old, obj) => {
      if (obj.status?.round !== 1) return;
      const now = performance.now();
      firstEvent ||= now;
      lastEvent = now;
      delivered += 1;
      const sentAt = written.get(obj.metadata.name ?? '');
      if (sentAt !== undefined) latencies.push(now - sentAt);
    },
  });
  let writes = 0;
  const writer = new Controller({
    name: 'status',
    workers: 5,
    logger: silentLogger,
    reconcile: async ({ key, name }) => {
      const cached = cache.store.get(key);
      if (!cached) return undefined;
      // The event can arrive before the write's own response, so time from the request's start.
      written.set(name, performance.now());
      await updateStatus(client, WidgetType, cached, { round: 1 });
      writes += 1;
      return undefined;
    },
  });
  await writer.start();
  const [, writeMs] = await timed(async () => {
    for (const name of names) writer.enqueue(`${namespace}/${name}`);
    while (writes < OBJECTS) await new Promise((resolve) => setTimeout(resolve, 5));
  });
  while (delivered < OBJECTS && performance.now() - lastEvent < 10_000) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await writer.stop();
  await cache.stop();
  client.close();
  admin.close();

  const eventRate = delivered / ((lastEvent - firstEvent) / 1000);
  return [
    `Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}; kube-apiserver ${await cluster.serverVersion()} + etcd on loopback.`,
    '',
    `| ${fmt(OBJECTS)} Widgets (setup: created in ${fmt(createMs / 1000, 1)} s) | median | p99 (of ${REPEATS}) |`,
    '|---|---|---|',
    `| initial sync (paginated list, 500/page) | ${fmt(median(syncMs))} ms | ${fmt(percentile(syncMs, 99))} ms |`,
    `| no-op reconciles per second (5 workers) | ${fmt(median(noopRates))} /s | ${fmt(percentile(noopRates, 1))} /s (slowest) |`,
    `| status writes per second (5 workers, merge patch on /status) | ${fmt(OBJECTS / (writeMs / 1000))} /s | — (one run of ${fmt(OBJECTS)}) |`,
    `| watch events delivered to handlers per second (paced by the writers) | ${fmt(eventRate)} /s | — |`,
    `| status write sent → update event in the handler (${fmt(delivered)} events) | ${fmt(median(latencies), 1)} ms | ${fmt(percentile(latencies, 99), 1)} ms |`,
    `| process RSS before the cache / after sync | ${fmt(rssBefore)} MiB / ${fmt(rssAfter)} MiB | |`,
  ];
}
