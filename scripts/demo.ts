/**
 * `npm run demo`: a local control plane with the CRDs installed and the operator running
 * against it, until Ctrl-C, which stops everything and leaves nothing behind.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, findAsset } from '../src/envtest/assets.js';
import { startCluster } from '../src/envtest/cluster.js';

const crds = join(REPO_ROOT, 'crds');
console.log('demo: starting a local control plane (etcd + kube-apiserver) ...');
const cluster = await startCluster({ crdPaths: existsSync(crds) ? [crds] : [] });
console.log(`demo: kube-apiserver ${await cluster.serverVersion()} is up`);

const operator = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'gateway-worker.js'), 'operator'], {
  env: {
    ...process.env,
    KUBECONFIG: cluster.kubeconfigPath,
    LEADER_ELECTION: 'false',
    POD_NAMESPACE: 'default',
  },
  stdio: ['ignore', 'inherit', 'inherit'],
});

const kubectl = (() => {
  try {
    return findAsset('kubectl');
  } catch {
    return 'kubectl';
  }
})();
console.log(`
demo: the operator is running (health on http://127.0.0.1:8081/ready, metrics on /metrics).
      In another terminal:

        export KUBECONFIG=${cluster.kubeconfigPath}
        ${kubectl} get crds
        ${kubectl} get gateway-worker -A

      Ctrl-C stops the operator and the control plane.
`);

let stopping = false;
async function stop(signal: NodeJS.Signals): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log(`\ndemo: ${signal}: stopping the operator and the control plane ...`);
  if (operator.exitCode === null) {
    operator.kill('SIGTERM');
    await new Promise((resolve) => operator.once('exit', resolve));
  }
  await cluster.stop();
  console.log('demo: stopped, nothing left running');
  process.exit(0);
}
process.on('SIGINT', (s) => void stop(s));
process.on('SIGTERM', (s) => void stop(s));
operator.on('exit', (code) => {
  if (stopping) return;
  console.error(`demo: the operator exited with code ${code}; stopping`);
  void cluster.stop().then(() => process.exit(1));
});
