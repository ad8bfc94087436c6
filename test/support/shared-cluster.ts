/**
 * One control plane shared by every integration test file in a run (starting one costs
 * seconds); stopped by the root hook. Tests that restart or break the API server start their own.
 */
import { fileURLToPath } from 'node:url';
import { startCluster, type Cluster } from '../../src/envtest/cluster.js';

export const FIXTURE_CRDS = fileURLToPath(new URL('../fixtures/widgets-crd.yaml', import.meta.url));
/** The product's own CRDs: the operator's informers need them to sync. */
export const PRODUCT_CRDS = fileURLToPath(new URL('../../crds', import.meta.url));

let shared: Promise<Cluster> | undefined;

export function sharedCluster(): Promise<Cluster> {
  shared ??= (async () => {
    const cluster = await startCluster({ crdPaths: [FIXTURE_CRDS, PRODUCT_CRDS] });
    const where = cluster.local ? `local control plane ${cluster.local.server}` : 'existing cluster';
    console.log(`      [envtest] kube-apiserver ${await cluster.serverVersion()} (${where})`);
    return cluster;
  })();
  return shared;
}

export async function stopSharedCluster(): Promise<void> {
  if (!shared) return;
  const cluster = await shared.catch(() => undefined);
  shared = undefined;
  await cluster?.stop();
}

let counter = 0;
/** A namespace name no earlier test used: namespaces never finish deleting without a controller-manager. */
export function uniqueName(prefix: string): string {
  counter += 1;
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter}`.slice(0, 63);
}
