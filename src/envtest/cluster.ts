/**
 * The cluster tests, the demo and the benchmarks run against: a fresh local control plane, or,
 * with USE_EXISTING_CLUSTER=true (the envtest convention), the current kubeconfig's cluster.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig, VersionApi } from '@kubernetes/client-node';
import { installCrds, readCrds } from './crds.js';
import { LocalControlPlane, type ControlPlaneOptions } from './control-plane.js';

export interface Cluster {
  /** Admin credentials (system:masters on a local control plane). */
  readonly kubeConfig: KubeConfig;
  readonly kubeconfigPath: string;
  /** The local control plane, or undefined when running against an existing cluster. */
  readonly local: LocalControlPlane | undefined;
  serverVersion(): Promise<string>;
  stop(): Promise<void>;
}

export interface ClusterOptions extends ControlPlaneOptions {
  /** CRD files or folders to install and wait for. */
  readonly crdPaths?: readonly string[];
}

export function usesExistingCluster(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.USE_EXISTING_CLUSTER === 'true';
}

export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  let local: LocalControlPlane | undefined;
  let kubeConfig: KubeConfig;
  let kubeconfigPath: string;
  if (usesExistingCluster()) {
    kubeConfig = new KubeConfig();
    kubeConfig.loadFromDefault();
    kubeconfigPath = process.env.KUBECONFIG ?? join(homedir(), '.kube', 'config');
  } else {
    local = await LocalControlPlane.start(options);
    kubeConfig = local.adminKubeConfig();
    kubeconfigPath = local.kubeconfigPath;
  }
  try {
    if (options.crdPaths?.length) await installCrds(kubeConfig, readCrds(options.crdPaths));
  } catch (error) {
    await local?.stop();
    throw error;
  }
  return {
    kubeConfig,
    kubeconfigPath,
    local,
    async serverVersion() {
      const info = await kubeConfig.makeApiClient(VersionApi).getCode();
      return info.gitVersion;
    },
    async stop() {
      await local?.stop();
    },
  };
}
