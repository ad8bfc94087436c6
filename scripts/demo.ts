/**
 * `npm run demo`: a local control plane with the CRDs installed and the operator running
 * against it, until Ctrl-C, which stops everything and leaves nothing behind.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, findAsset } from '../src/envtest/assets.js';
import { startCluster } from '../src/envtest/cluster.js';
import { LocalPostgres } from '../src/envtest/postgres.js';
import { KubeClient } from '../src/runtime/kube/client.js';
import { startGatewayPods, type GatewayPods } from '../test/support/gateway-pods.js';
import { Pebble } from '../test/support/pebble.js';
import { databaseDemoEnv, runDatabaseDemo } from './demo-database.js';
import { applyDemoResources, showGatewayFiles } from './demo-resources.js';
import { startTelemetryDemo, type TelemetryDemo } from './demo-telemetry.js';
import { runThreatsDemo } from './demo-threats.js';

const crds = join(REPO_ROOT, 'crds');
console.log('demo: starting a local control plane (etcd + kube-apiserver) ...');
const cluster = await startCluster({ crdPaths: existsSync(crds) ? [crds] : [] });
console.log(`demo: kube-apiserver ${await cluster.serverVersion()} is up`);

// The job store: a local PostgreSQL (or USE_EXISTING_DATABASE_URL), as in production.
let postgres: LocalPostgres | undefined;
const databaseUrl = process.env.USE_EXISTING_DATABASE_URL ?? (postgres = await LocalPostgres.start()).url;
console.log(`demo: PostgreSQL for the job queue on ${databaseUrl}`);

const operator = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'gateway-worker.js'), 'operator'], {
  env: {
    ...process.env,
    DATABASE_URL: databaseUrl,
    ...databaseDemoEnv(),
    KUBECONFIG: cluster.kubeconfigPath,
    LEADER_ELECTION: 'false',
    POD_NAMESPACE: 'default',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  },
  stdio: ['ignore', 'inherit', 'inherit'],
  // Its own process group: a Ctrl-C reaches the demo only, which stops the operator with one
  // SIGTERM (a second signal makes the operator exit at once, skipping its graceful stop).
  detached: true,
});
process.on('exit', () => {
  if (operator.exitCode === null && operator.signalCode === null) operator.kill('SIGKILL');
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
        DATABASE_URL=${databaseUrl} npx gateway-worker jobs list

      Ctrl-C stops the operator, PostgreSQL and the control plane.
`);

// Three simulated gateway pods that the operator discovers and pushes to over mTLS.
const client = new KubeClient(cluster.kubeConfig);
let gateways: GatewayPods | undefined;
let pebble: Pebble | undefined;
try {
  // A local ACME server; every name resolves to the first gateway, which answers HTTP-01.
  pebble = await Pebble.start({ defaultIPv4: '127.0.0.2' });
  console.log(`demo: a local ACME server (Pebble) serves ${pebble.directoryUrl}`);
  gateways = await startGatewayPods(client, 'default', 3, 9443, pebble.httpPort);
  console.log(
    `demo: 3 simulated gateways (reference agents) listen on ${gateways.simulated.gateways.map((g) => g.address).join(', ')};`,
  );
  console.log(`      their files are under ${gateways.dirRoot}`);
} catch (error) {
  console.error(
    `demo: could not start the simulated gateways: ${error instanceof Error ? error.message : String(error)}`,
  );
}
// What a user would apply: the example WafRuleSet, and routes to a Service with two endpoints.
if (gateways) {
  try {
    await applyDemoResources(client, kubectl, cluster.kubeconfigPath, pebble);
  } catch (error) {
    console.error(
      `demo: applying the examples failed: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

// Gateway telemetry: generated traffic shipped by agents, then analytics and the audit trail.
let telemetry: TelemetryDemo | undefined;
if (gateways) {
  telemetry = await startTelemetryDemo({ client, namespace: 'default', grpcPort: 8080, databaseUrl });
}
// Incident response: an attack in a shipped log → a ban on every gateway → its expiry.
const attackLog = telemetry?.accessLogs[0];
if (gateways && attackLog) {
  await runThreatsDemo({
    kubectl,
    kubeconfig: cluster.kubeconfigPath,
    databaseUrl,
    accessLog: attackLog,
    gatewayDirs: gateways.simulated.gateways.map((g) => g.dir),
  }).catch((error: unknown) =>
    console.error(
      `demo: the incident-response step failed: ${error instanceof Error ? error.message : String(error)}`,
    ),
  );
}
// The gateway's database: its migrations, one retention run and one backup.
await runDatabaseDemo({ kubectl, kubeconfig: cluster.kubeconfigPath, serverUrl: databaseUrl }).catch(
  (error: unknown) =>
    console.error(
      `demo: the database step failed: ${error instanceof Error ? error.message : String(error)}`,
    ),
);

let lastReport = '';
const reporter = setInterval(() => {
  if (!gateways) return;
  const lines = gateways.simulated.gateways.map((g) => {
    const versions = Object.entries(g.appliedVersions())
      .map(([type, version]) => `${type.replace('RESOURCE_TYPE_', '').toLowerCase()}=${version.slice(0, 8)}`)
      .join(' ');
    return `        ${g.name} (${g.address}) ACKed: ${versions || 'nothing yet'}`;
  });
  const report = lines.join('\n');
  if (report === lastReport) return;
  lastReport = report;
  console.log(`demo: what the gateways applied (content-hash versions per type):\n${report}`);
  showGatewayFiles(gateways.simulated.gateways[0]?.dir, kubectl, cluster.kubeconfigPath);
}, 1000);

let stopping = false;
async function stop(signal: NodeJS.Signals): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log(`\ndemo: ${signal}: stopping the operator, the gateways and the control plane ...`);
  clearInterval(reporter);
  if (operator.exitCode === null) {
    operator.kill('SIGTERM');
    await new Promise((resolve) => operator.once('exit', resolve));
  }
  await telemetry?.stop();
  await gateways?.stop();
  await pebble?.stop();
  client.close();
  await cluster.stop();
  await postgres?.stop();
  console.log('demo: stopped, nothing left running');
  process.exit(0);
}
process.on('SIGINT', (s) => void stop(s));
process.on('SIGTERM', (s) => void stop(s));
operator.on('exit', (code) => {
  if (stopping) return;
  console.error(`demo: the operator exited with code ${code}; stopping`);
  void Promise.all([cluster.stop(), postgres?.stop()]).then(() => process.exit(1));
});
