import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { KubeClient, type WatchEvent } from '../../src/runtime/kube/client.js';
import { ApiError } from '../../src/runtime/kube/errors.js';
import type { KubeObject } from '../../src/runtime/kube/resource.js';
import { startCluster, usesExistingCluster } from '../../src/envtest/cluster.js';
import { freePort } from '../../src/envtest/ports.js';
import { sharedCluster, uniqueName } from '../support/shared-cluster.js';

const widgets = { group: 'test.gateway-worker.dev', version: 'v1', plural: 'widgets' };
interface Widget extends KubeObject {
  spec: { size: number; color?: string };
  status?: { phase?: string };
}

function statusCode(error: unknown): number | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? Number(error.code) : undefined;
}

describe('local control plane (real etcd + kube-apiserver)', function () {
  this.timeout(120_000);

  it('serves a CRD: create, get, list, watch and patch status through client-node', async () => {
    const cluster = await sharedCluster();
    const kc = cluster.kubeConfig;
    const core = kc.makeApiClient(CoreV1Api);
    const custom = kc.makeApiClient(CustomObjectsApi);
    const namespace = uniqueName('crud');
    await core.createNamespace({ body: { metadata: { name: namespace } } });

    // client-node 1.4's Watch delivered no events against this server (its node-fetch stream
    // stalls), so watches go through the runtime's own client, authenticated by the same KubeConfig.
    const seen: string[] = [];
    const client = new KubeClient(kc);
    const watchAbort = new AbortController();
    const path = `/apis/${widgets.group}/${widgets.version}/namespaces/${namespace}/${widgets.plural}`;
    // Watching from the list's resourceVersion replays every change after it, however late the
    // watch itself gets going, so the test sees ADDED and then MODIFIED without a race.
    let resourceVersion = '';
    while (!resourceVersion) {
      const listed = await client
        .request<{ metadata: { resourceVersion: string } }>('GET', path)
        .catch((error: unknown) => {
          if (error instanceof ApiError && error.code === 429) return undefined; // see below
          throw error;
        });
      if (listed) resourceVersion = listed.metadata.resourceVersion;
      else await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const onEvent = (event: WatchEvent): void => {
      const obj = event.object as Widget;
      seen.push(`${event.type}:${obj.metadata.name}:${obj.status?.phase ?? '-'}`);
    };
    // A new CRD's watch cache answers 429 "storage is (re)initializing" for a moment.
    const watching = (async () => {
      for (;;) {
        try {
          await client.watch(path, { resourceVersion }, onEvent, { signal: watchAbort.signal });
          return;
        } catch (error) {
          if (watchAbort.signal.aborted || !(error instanceof ApiError && error.code === 429)) return;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
    })();

    const body: Widget = {
      apiVersion: 'test.gateway-worker.dev/v1',
      kind: 'Widget',
      metadata: { name: 'w1', namespace },
      spec: { size: 3, color: 'blue' },
    };
    await custom.createNamespacedCustomObject({ ...widgets, namespace, body });
    const got = (await custom.getNamespacedCustomObject({ ...widgets, namespace, name: 'w1' })) as Widget;
    expect(got.spec).to.deep.equal({ size: 3, color: 'blue' });

    const list = (await custom.listNamespacedCustomObject({ ...widgets, namespace })) as { items: Widget[] };
    expect(list.items.map((w) => w.metadata.name)).to.deep.equal(['w1']);

    const patched = (await custom.patchNamespacedCustomObjectStatus(
      { ...widgets, namespace, name: 'w1', body: { status: { phase: 'Ready' } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    )) as Widget;
    expect(patched.status?.phase).to.equal('Ready');
    expect(patched.spec.size, 'status patch leaves spec alone').to.equal(3);

    const deadline = Date.now() + 10_000;
    while (!seen.includes('MODIFIED:w1:Ready') && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    watchAbort.abort();
    await watching;
    client.close();
    expect(seen).to.include.members(['ADDED:w1:-', 'MODIFIED:w1:Ready']);
  });

  it('rejects an object that breaks the CRD schema', async () => {
    const cluster = await sharedCluster();
    const custom = cluster.kubeConfig.makeApiClient(CustomObjectsApi);
    const body = {
      apiVersion: 'test.gateway-worker.dev/v1',
      kind: 'Widget',
      metadata: { name: 'bad' },
      spec: { size: -1 },
    };
    const error = await custom.createNamespacedCustomObject({ ...widgets, namespace: 'default', body }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(statusCode(error)).to.equal(422);
    expect(String((error as { body?: unknown }).body)).to.contain('spec.size');
  });

  // An existing cluster (USE_EXISTING_CLUSTER) has its own identities and processes.
  const localOnly = usesExistingCluster() ? () => undefined : it;

  localOnly('enforces RBAC: a ServiceAccount token and a certificate without rights get 403', async () => {
    const cluster = await sharedCluster();
    const local = cluster.local!;
    const core = cluster.kubeConfig.makeApiClient(CoreV1Api);
    const namespace = uniqueName('rbac');
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'nobody' } } });
    const tokenRequest = await core.createNamespacedServiceAccountToken({
      namespace,
      name: 'nobody',
      body: { spec: { audiences: [], expirationSeconds: 600 } },
    });
    const token = tokenRequest.status?.token ?? '';
    expect(token).to.match(/^ey/);

    const asServiceAccount = local.kubeConfigForToken('nobody', token).makeApiClient(CoreV1Api);
    const asUser = (await local.kubeConfigFor('alice', ['developers'])).makeApiClient(CoreV1Api);
    for (const client of [asServiceAccount, asUser]) {
      const error = await client.listNamespacedSecret({ namespace }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(statusCode(error)).to.equal(403);
    }
    const admin = await core.listNamespacedSecret({ namespace });
    expect(admin.items).to.be.an('array');
  });

  localOnly('stops every process and removes its folder on teardown', async () => {
    const cluster = await startCluster();
    const local = cluster.local!;
    const { etcd, apiServer } = local.pids;
    expect(existsSync(local.dir)).to.equal(true);
    await cluster.stop();
    expect(existsSync(local.dir)).to.equal(false);
    for (const pid of [etcd, apiServer]) {
      expect(() => process.kill(pid!, 0), `process ${pid} is gone`).to.throw();
    }
  });

  localOnly('starts on new ports when another process took a port it picked before binding it', async () => {
    // The race of a busy machine, made certain: every first pick of each start is a port
    // that a listener here already holds (etcd's client port, then kube-apiserver's).
    // kube-apiserver may reach etcd at the taken port before the clash is seen: close what it opens.
    const taken = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const takenPort = (taken.address() as AddressInfo).port;
    let picks = 0;
    const cluster = await startCluster({
      pickPort: async () => (++picks === 1 || picks === 6 ? takenPort : freePort()),
    }).finally(() => taken.close());
    try {
      expect(picks, 'ports picked: 3 per attempt').to.equal(9);
      expect(cluster.local!.apiServerPort).to.not.equal(takenPort);
      const namespaces = await cluster.kubeConfig.makeApiClient(CoreV1Api).listNamespace();
      expect(namespaces.items.map((n) => n.metadata?.name)).to.include('default');
    } finally {
      await cluster.stop();
    }
  });

  localOnly(
    'takes etcd and kube-apiserver down with a test process that is killed with SIGKILL',
    async () => {
      const script = fileURLToPath(new URL('../fixtures/scripts/start-and-wait.ts', import.meta.url));
      const child = spawn(process.execPath, ['--import', 'tsx', script], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const pids = await new Promise<{ etcd: number; apiServer: number }>((resolve, reject) => {
        child.stdout.once('data', (chunk: Buffer) =>
          resolve(JSON.parse(chunk.toString()) as { etcd: number; apiServer: number }),
        );
        child.once('exit', (code) => reject(new Error(`exited with ${code}`)));
      });
      child.kill('SIGKILL');
      const alive = (pid: number): boolean => {
        try {
          process.kill(pid, 0);
          return true;
        } catch {
          return false;
        }
      };
      const deadline = Date.now() + 10_000;
      while ((alive(pids.etcd) || alive(pids.apiServer)) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(alive(pids.etcd), 'etcd').to.equal(false);
      expect(alive(pids.apiServer), 'kube-apiserver').to.equal(false);
    },
  );
});
