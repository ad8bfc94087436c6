/**
 * `npm run cluster:up` starts a local control plane that outlives the command, for manual work
 * with kubectl; `npm run cluster:down` stops it. State lives in the asset cache folder.
 */
import { existsSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { cacheDir, findAsset, REPO_ROOT } from '../src/envtest/assets.js';
import { LocalControlPlane } from '../src/envtest/control-plane.js';
import { installCrds, readCrds } from '../src/envtest/crds.js';

interface State {
  dir: string;
  kubeconfig: string;
  pids: number[];
}

const stateFile = join(cacheDir(), 'dev-cluster.json');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function readState(): State | undefined {
  if (!existsSync(stateFile)) return undefined;
  return JSON.parse(readFileSync(stateFile, 'utf8')) as State;
}

function printUsage(state: State): void {
  const kubectl = (() => {
    try {
      return findAsset('kubectl');
    } catch {
      return 'kubectl';
    }
  })();
  console.log(`\nexport KUBECONFIG=${state.kubeconfig}`);
  console.log(`alias kubectl=${kubectl}`);
  console.log('kubectl get gateway-worker -A   # our resources');
  console.log('npm run cluster:down            # stop it\n');
}

async function up(): Promise<void> {
  const existing = readState();
  if (existing?.pids.every(alive)) {
    console.log('a local control plane is already running');
    printUsage(existing);
    return;
  }
  const plane = await LocalControlPlane.start({ persistent: true });
  const crds = join(REPO_ROOT, 'crds');
  if (existsSync(crds)) await installCrds(plane.adminKubeConfig(), readCrds([crds]));
  const { etcd, apiServer } = plane.pids;
  const state: State = {
    dir: plane.dir,
    kubeconfig: plane.kubeconfigPath,
    pids: [apiServer, etcd].filter((p): p is number => p !== undefined),
  };
  plane.detach();
  mkdirSync(cacheDir(), { recursive: true });
  writeFileSync(stateFile, JSON.stringify(state, null, 2));
  console.log(`local control plane up at ${plane.server} (logs in ${plane.dir})`);
  printUsage(state);
}

async function down(): Promise<void> {
  const state = readState();
  if (!state) {
    console.log('no local control plane is running');
    return;
  }
  for (const pid of state.pids) if (alive(pid)) process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 10_000;
  while (state.pids.some(alive) && Date.now() < deadline) await sleep(100);
  for (const pid of state.pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
  rmSync(state.dir, { recursive: true, force: true });
  rmSync(stateFile, { force: true });
  console.log('local control plane stopped');
}

const command = process.argv[2];
if (command === 'up') await up();
else if (command === 'down') await down();
else {
  console.error('usage: tsx scripts/cluster.ts up|down');
  process.exitCode = 2;
}
