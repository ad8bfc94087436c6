/**
 * Finds the upstream binaries of the local control plane, in the controller-runtime order:
 * KUBEBUILDER_ASSETS, then TEST_ASSET_* per binary, then the cache that
 * scripts/build-test-assets.sh fills from the Go module proxy.
 */
import { accessSync, constants, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Each binary, the asset set that builds it and the module whose pinned version names the cache folder. */
const BINARIES = {
  'kube-apiserver': { set: 'kube', module: 'k8s.io/kubernetes', env: 'TEST_ASSET_KUBE_APISERVER' },
  kubectl: { set: 'kube', module: 'k8s.io/kubernetes', env: 'TEST_ASSET_KUBECTL' },
  etcd: { set: 'etcd', module: 'go.etcd.io/etcd/server/v3', env: 'TEST_ASSET_ETCD' },
  pebble: { set: 'pebble', module: 'github.com/letsencrypt/pebble/v2', env: 'TEST_ASSET_PEBBLE' },
  'pebble-challtestsrv': {
    set: 'pebble',
    module: 'github.com/letsencrypt/pebble/v2',
    env: 'TEST_ASSET_PEBBLE_CHALLTESTSRV',
  },
  helm: { set: 'helm', module: 'helm.sh/helm/v3', env: 'TEST_ASSET_HELM' },
  grpcurl: { set: 'grpcurl', module: 'github.com/fullstorydev/grpcurl', env: 'TEST_ASSET_GRPCURL' },
  'grpc-health-probe': {
    set: 'grpc-health-probe',
    module: 'github.com/grpc-ecosystem/grpc-health-probe',
    env: 'TEST_ASSET_GRPC_HEALTH_PROBE',
  },
  promtool: { set: 'promtool', module: 'github.com/prometheus/prometheus', env: 'TEST_ASSET_PROMTOOL' },
  versitygw: { set: 'versitygw', module: 'github.com/versity/versitygw', env: 'TEST_ASSET_VERSITYGW' },
  mailpit: { set: 'mailpit', module: 'github.com/axllent/mailpit', env: 'TEST_ASSET_MAILPIT' },
} as const;

export type AssetName = keyof typeof BINARIES;

/** KUBEBUILDER_ASSETS only ever holds the binaries of setup-envtest. */
const KUBEBUILDER_BINARIES: readonly AssetName[] = ['kube-apiserver', 'etcd', 'kubectl'];

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.GATEWAY_WORKER_CACHE ?? join(homedir(), '.cache', 'gateway-worker');
}

/** The version pinned for `module` in test/assets/<set>/go.mod. */
export function pinnedVersion(set: string, module: string): string {
  const goMod = readFileSync(join(REPO_ROOT, 'test', 'assets', set, 'go.mod'), 'utf8');
  for (const line of goMod.split('\n')) {
    const words = line.trim().split(/\s+/);
    const [first, second, third] = words;
    if (first === 'require' && second === module && third) return third;
    if (first === module && second) return second;
  }
  throw new Error(`test/assets/${set}/go.mod does not require ${module}`);
}

export function findAsset(name: AssetName, env: NodeJS.ProcessEnv = process.env): string {
  const spec = BINARIES[name];
  const tried: string[] = [];
  const dir = env.KUBEBUILDER_ASSETS;
  if (dir && KUBEBUILDER_BINARIES.includes(name)) {
    const path = join(dir, name);
    if (isExecutable(path)) return path;
    tried.push(`${path} (KUBEBUILDER_ASSETS)`);
  }
  const explicit = env[spec.env];
  if (explicit) {
    if (isExecutable(explicit)) return explicit;
    tried.push(`${explicit} (${spec.env})`);
  }
  const cached = join(cacheDir(env), `${spec.set}-${pinnedVersion(spec.set, spec.module)}`, name);
  if (isExecutable(cached)) return cached;
  tried.push(`${cached} (cache)`);
  throw new Error(
    `${name} not found; looked at ${tried.join(', ')}. ` +
      `Run "npm run assets" to build the pinned binaries with Go, or set KUBEBUILDER_ASSETS ` +
      `(a folder with kube-apiserver, etcd and kubectl) or ${spec.env}.`,
  );
}
