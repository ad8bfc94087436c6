/**
 * The audit of custom resource changes against a real kube-apiserver: who changed what (the field
 * manager from managedFields), a short summary of the change, status writes left out, deletes,
 * and changes made while no leader watched found at the next start.
 */
import { expect } from 'chai';
import { WafRuleSetResource } from '../../src/api/v1alpha1/index.js';
import { KubeClient } from '../../src/runtime/kube/client.js';
import { CoreTypes, type KubeObject } from '../../src/runtime/kube/resource.js';
import { silentLogger } from '../../src/runtime/logger.js';
import { AuditStore } from '../../src/telemetry/audit-store.js';
import { AuditWatcher, type AuditWatcherOptions } from '../../src/telemetry/audit-watcher.js';
import { eventually, migratedStore, type TestStore } from '../support/job-fixtures.js';
import { sharedCluster, uniqueName } from '../support/shared-cluster.js';

const base = `/apis/${WafRuleSetResource.group}/${WafRuleSetResource.version}`;

function ruleSet(namespace: string, name: string, mode: string): KubeObject {
  return {
    apiVersion: `${WafRuleSetResource.group}/${WafRuleSetResource.version}`,
    kind: 'WafRuleSet',
    metadata: { namespace, name },
    spec: {
      mode,
      rules: [
        {
          id: 'sqli',
          name: 'SQL injection',
          severity: 'high',
          conditions: [{ field: 'uri', operator: 'contains', value: 'union select' }],
          action: { type: 'block', message: 'blocked' },
        },
      ],
    },
  };
}

describe('audit of custom resource changes (real API server and PostgreSQL)', function () {
  this.timeout(120_000);
  let admin: KubeClient;
  let test: TestStore;
  let namespace: string;

  before(async () => {
    admin = new KubeClient((await sharedCluster()).kubeConfig);
    namespace = uniqueName('audit');
    await admin.create(CoreTypes.namespace, { metadata: { name: namespace } });
    test = await migratedStore('audit_resources');
  });
  after(async () => {
    admin.close();
    await test.db.close();
  });

  const watcher = (
    store: AuditWatcherOptions['store'] = { database: test.db, ready: () => Promise.resolve(test.db) },
  ) =>
    new AuditWatcher({
      client: admin,
      store,
      schema: test.schema,
      namespaces: [namespace],
      logger: silentLogger,
      resources: [WafRuleSetResource],
      retryMs: 100,
    });

  const as = <T>(
    manager: string,
    method: 'POST' | 'PATCH',
    path: string,
    body: unknown,
    contentType?: string,
  ) =>
    admin.request<T>(method, path, {
      body,
      query: { fieldManager: manager },
      ...(contentType ? { contentType } : {}),
    });

  it('records create, update, relabel and delete with the field manager that wrote each; not status writes', async () => {
    const audit = watcher();
    await audit.start();
    try {
      await audit.idle();
      const path = `${base}/namespaces/${namespace}/wafrulesets`;
      await as('alice', 'POST', path, ruleSet(namespace, 'strict', 'Block'));
      await as(
        'bob',
        'PATCH',
        `${path}/strict`,
        { spec: { mode: 'DetectOnly' } },
        'application/merge-patch+json',
      );
      await as(
        'gateway-worker',
        'PATCH',
        `${path}/strict/status`,
        { status: { observedGeneration: 2, conditions: [] } },
        'application/merge-patch+json',
      );
      await as(
        'carol',
        'PATCH',
        `${path}/strict`,
        { metadata: { labels: { team: 'edge' } } },
        'application/merge-patch+json',
      );
      await admin.delete(WafRuleSetResource, namespace, 'strict');
      const store = new AuditStore(test.db, test.schema);
      const entries = await eventually(async () => {
        await audit.idle();
        const found = await store.list({ namespace, ascending: true });
        return found.length >= 4 ? found : undefined;
      }, 'four audit entries');
      expect(entries.map((e) => [e.action, e.actor, e.kind, e.name, e.summary])).to.deep.equal([
        ['create', 'alice', 'WafRuleSet', 'strict', `WafRuleSet ${namespace}/strict created`],
        ['update', 'bob', 'WafRuleSet', 'strict', 'changed spec.mode'],
        ['update', 'carol', 'WafRuleSet', 'strict', 'changed metadata.labels.team'],
        ['delete', '', 'WafRuleSet', 'strict', `WafRuleSet ${namespace}/strict deleted`],
      ]);
      expect(entries.map((e) => e.generation)).to.deep.equal([1, 2, 2, 2]);
    } finally {
      await audit.stop();
    }
  });

  it('finds at start what changed while no leader watched', async () => {
    const path = `${base}/namespaces/${namespace}/wafrulesets`;
    await as('dave', 'POST', path, ruleSet(namespace, 'later', 'Block'));
    const audit = watcher();
    await audit.start();
    try {
      const store = new AuditStore(test.db, test.schema);
      const created = await eventually(async () => {
        await audit.idle();
        return (await store.list({ namespace, name: 'later' })).at(0);
      }, 'the create made while nobody watched');
      expect(created).to.deep.include({ action: 'create', actor: 'dave' });
    } finally {
      await audit.stop();
    }
    await admin.delete(WafRuleSetResource, namespace, 'later');
    const again = watcher();
    await again.start();
    try {
      const store = new AuditStore(test.db, test.schema);
      const deleted = await eventually(async () => {
        await again.idle();
        return (await store.list({ namespace, name: 'later', action: 'delete' })).at(0);
      }, 'the delete made while nobody watched');
      expect(deleted.summary).to.equal(`WafRuleSet ${namespace}/later deleted`);
      expect((await store.verify()).problems).to.deep.equal([]);
    } finally {
      await again.stop();
    }
  });

  it('retries a first pass the database failed, and a stop while it waits ends it cleanly', async () => {
    const path = `${base}/namespaces/${namespace}/wafrulesets`;
    await as('erin', 'POST', path, ruleSet(namespace, 'retried', 'Block'));
    let refusals = 1;
    const flaky = watcher({
      database: test.db,
      ready: () =>
        refusals-- > 0
          ? Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:5432'))
          : Promise.resolve(test.db),
    });
    await flaky.start();
    try {
      const store = new AuditStore(test.db, test.schema);
      const created = await eventually(async () => {
        await flaky.idle();
        return (await store.list({ namespace, name: 'retried' })).at(0);
      }, 'the create recorded after the database came back');
      expect(created).to.deep.include({ action: 'create', actor: 'erin' });
    } finally {
      await flaky.stop();
    }

    // A store that never becomes ready and rejects once stopped, as the real one does.
    let refuse: (error: Error) => void = () => undefined;
    const stuck = watcher({
      database: undefined,
      ready: () => new Promise((_resolve, reject) => (refuse = reject)),
    });
    await stuck.start();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const stopping = stuck.stop();
    refuse(new Error('the database store stopped'));
    await stopping;
  });
});
