import { execFileSync } from 'node:child_process';
import { expect } from 'chai';
import { findAsset } from '../../src/envtest/assets.js';
import { Controller } from '../../src/runtime/controller/controller.js';
import { Manager } from '../../src/runtime/controller/manager.js';
import { KubeClient } from '../../src/runtime/kube/client.js';
import { CoreTypes } from '../../src/runtime/kube/resource.js';
import { LeaderElector } from '../../src/runtime/leader-election.js';
import { silentLogger } from '../../src/runtime/logger.js';
import { createMetricsRegistry } from '../../src/runtime/metrics.js';
import { sharedCluster, uniqueName } from '../support/shared-cluster.js';
import { WidgetType, eventually, widget, type Widget } from '../support/widgets.js';

const NAMES = [
  'controller_runtime_reconcile_total',
  'controller_runtime_reconcile_errors_total',
  'controller_runtime_reconcile_time_seconds',
  'controller_runtime_active_workers',
  'controller_runtime_max_concurrent_reconciles',
  'workqueue_depth',
  'workqueue_adds_total',
  'workqueue_queue_duration_seconds',
  'workqueue_work_duration_seconds',
  'workqueue_unfinished_work_seconds',
  'workqueue_longest_running_processor_seconds',
  'workqueue_retries_total',
  'leader_election_master_status',
  'gateway_worker_kube_api_requests_total',
  'process_resident_memory_bytes',
];

describe('metrics of a running manager (real API server)', function () {
  this.timeout(60_000);

  it('carry controller-runtime names and pass promtool check metrics', async () => {
    const cluster = await sharedCluster();
    const namespace = uniqueName('metrics');
    const registry = createMetricsRegistry();
    const client = new KubeClient(cluster.kubeConfig, { registry });
    await client.create(CoreTypes.namespace, { metadata: { name: namespace } });
    await client.create(WidgetType, widget(namespace, 'w', 1));
    let reconciled = false;
    const manager = new Manager({
      client,
      logger: silentLogger,
      registry,
      namespaces: [namespace],
      leaderElection: (callbacks) =>
        new LeaderElector({
          client,
          namespace,
          name: 'metrics-test',
          identity: 'metrics-test',
          logger: silentLogger,
          registry,
          ...callbacks,
        }),
    });
    const informer = manager.informer<Widget>(WidgetType);
    manager.add(
      new Controller({
        name: 'widgets',
        workers: 2,
        logger: silentLogger,
        registry,
        reconcile: () => {
          reconciled = true;
          return Promise.resolve(undefined);
        },
      }).watchPrimary(informer),
    );
    await manager.start();
    try {
      await eventually(() => reconciled, 20_000, 'a reconcile');
      const exposition = await registry.metrics();
      for (const name of NAMES) expect(exposition, name).to.match(new RegExp(`^# TYPE ${name} `, 'm'));
      expect(exposition).to.contain('leader_election_master_status{name="metrics-test"} 1');
      const lint = execFileSync(findAsset('promtool'), ['check', 'metrics'], {
        input: exposition,
        encoding: 'utf8',
      });
      expect(lint.trim()).to.equal('');
    } finally {
      await manager.stop();
    }
  });
});
