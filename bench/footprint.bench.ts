/**
 * Footprint (issue 18): the memory of the operator and of one reference agent, each in its own
 * process started through the real CLI entry (bin/gateway-worker.js on the compiled dist/, as the
 * image runs them, NODE_ENV=production), so the resident set is theirs alone. In one run, on one
 * operator and one agent: both idle; 100 Certificates (HTTP-01 against Pebble, the agent answering
 * the challenges) with the peak during them; then 1,000 Services, their EndpointSlices and 5,000
 * RouteConfigs (the routes-push shapes) with the peak until the agent holds the full table, and
 * both at rest after. RSS comes from /proc (VmRSS, and VmHWM reset by clear_refs for each phase's
 * peak), the heap from a probe preloaded into each process (footprint-probe.mjs). The job store is
 * the benchmark's PostgreSQL (DATABASE_URL); a second, short run starts the operator idle with the
 * embedded store (the default without DATABASE_URL). FOOTPRINT_NODE_OPTIONS adds V8 flags to both
 * processes (e.g. --max-semi-space-size=2); FOOTPRINT_SNAPSHOT_DIR writes a heap snapshot of each
 * process at each phase there; FOOTPRINT_CLI runs a CLI already built (bin/, dist/, package.json)
 * instead of building src/.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CertificateResource,
  RouteConfigResource,
  statusOf,
  type Certificate,
  type RouteConfig,
} from '../src/api/v1alpha1/index.js';
import type { Cluster } from '../src/envtest/cluster.js';
import { freePort } from '../src/envtest/ports.js';
import { KubeClient } from '../src/runtime/kube/client.js';
import { isAlreadyExists } from '../src/runtime/kube/errors.js';
import { CoreTypes, type KubeObject, type ResourceType } from '../src/runtime/kube/resource.js';
import { findCondition } from '../src/runtime/status/conditions.js';
import { agentTlsFromOperator, createGatewayPods } from '../test/support/gateway-pods.js';
import { Pebble } from '../test/support/pebble.js';
import { sharedDatabaseUrl, uniqueSchema } from '../test/support/shared-postgres.js';
import { inParallel } from '../test/support/widgets.js';
import { certificate } from './certificates.bench.js';
import { buildCli, CliProcess, type Memory, type Peak } from './footprint-process.js';
import { loadAverage } from './operator-in-process.js';
import { ROUTE_CONFIGS, routeConfig, service, SERVICES, slice } from './routes-push.bench.js';
import { fmt } from './stats.js';

const CERTIFICATES = 100;
const IN_FLIGHT = 32;
/** Time given to a process after a phase before its "idle"/"at rest" sample. */
const SETTLE_MS = 10_000;
const CERTIFICATES_TIMEOUT_MS = 10 * 60_000;
const ROUTES_TIMEOUT_MS = 20 * 60_000;
const POLL_MS = 2_000;
/** The agent's address: Pebble resolves every name to it and validates HTTP-01 there. */
const AGENT_HOST = '127.0.0.2';

const nodeArgs = (): string[] => (process.env.FOOTPRINT_NODE_OPTIONS ?? '').split(/\s+/).filter(Boolean);

async function untilReady(port: number, what: CliProcess, timeoutMs = 180_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline && what.running) {
    const ok = await fetch(`http://127.0.0.1:${port}/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await sleep(200);
  }
  const status = what.running ? `not ready within ${timeoutMs / 1000} s` : 'exited';
  throw new Error(`${what.name}: ${status}; its output ends with:\n${what.logTail()}`);
}

async function create(client: KubeClient, type: ResourceType, obj: KubeObject): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await client.create(type, obj);
      return;
    } catch (error) {
      if (attempt > 1 && isAlreadyExists(error)) return;
      if ((error as Error).name !== 'AbortError' || attempt >= 5) throw error;
    }
  }
}

/** Polls `count` until it reaches `want`; false at the deadline. */
async function until(count: () => Promise<number>, want: number, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if ((await count()) >= want) return true;
    await sleep(POLL_MS);
  }
  return false;
}

function operatorEnv(cluster: Cluster, namespace: string, ports: Record<string, number>) {
  return {
    KUBECONFIG: cluster.kubeconfigPath,
    POD_NAMESPACE: namespace,
    WATCH_NAMESPACES: namespace,
    LEADER_ELECTION: 'false',
    LOG_LEVEL: 'warn',
    HTTP_PORT: String(ports.http),
    GRPC_PORT: String(ports.grpc),
    GATEWAY_AGENT_PORT: String(ports.agent),
  };
}

interface Rows {
  readonly idle: [Memory, Memory];
  readonly certificates: { ready: number; ms: number; operator: Peak; agent: Peak; after: [Memory, Memory] };
  readonly routes: { done: boolean; ms: number; operator: Peak; agent: Peak; rest: [Memory, Memory] };
  readonly embeddedIdle: Memory;
}

async function run(cluster: Cluster, root: string, dir: string): Promise<Rows> {
  const client = new KubeClient(cluster.kubeConfig);
  const namespace = `bench-footprint-${Date.now().toString(36)}`;
  await client.create(CoreTypes.namespace, { metadata: { name: namespace } });
  const pebble = await Pebble.start({
    defaultIPv4: AGENT_HOST,
    validitySeconds: 24 * 3600,
    env: { PEBBLE_WFE_NONCEREJECT: '0' },
  });
  const ports = { http: await freePort(), grpc: await freePort(), agent: await freePort() };
  const operator = CliProcess.start(
    root,
    'operator',
    dir,
    ['operator'],
    {
      ...operatorEnv(cluster, namespace, ports),
      DATABASE_URL: await sharedDatabaseUrl(),
      DATABASE_SCHEMA: uniqueSchema('footprint'),
    },
    nodeArgs(),
  );
  let agent: CliProcess | undefined;
  try {
    await untilReady(ports.http, operator);
    const tls = await agentTlsFromOperator(client, namespace);
    const files = { ca: join(dir, 'ca.crt'), cert: join(dir, 'tls.crt'), key: join(dir, 'tls.key') };
    writeFileSync(files.ca, tls.caPem);
    writeFileSync(files.cert, tls.certPem);
    writeFileSync(files.key, tls.keyPem, { mode: 0o600 });
    const agentDir = join(dir, 'gateway-0');
    agent = CliProcess.start(
      root,
      'agent',
      dir,
      [
        'agent',
        '--dir',
        agentDir,
        '--listen',
        `${AGENT_HOST}:${ports.agent}`,
        '--http-port',
        String(pebble.httpPort),
        '--tls-ca',
        files.ca,
        '--tls-cert',
        files.cert,
        '--tls-key',
        files.key,
        '--name',
        'gateway-0',
      ],
      { LOG_LEVEL: 'warn' },
      nodeArgs(),
    );
    await createGatewayPods(client, namespace, [{ name: 'gateway-0', host: AGENT_HOST }]);
    await sleep(SETTLE_MS);
    const both = async (phase: string): Promise<[Memory, Memory]> => {
      const a = agent as CliProcess;
      const memory: [Memory, Memory] = [await operator.memory(), await a.memory()];
      // After the figures: writing a snapshot grows the heap.
      await operator.snapshot(phase);
      await a.snapshot(phase);
      return memory;
    };
    const idle = await both('idle');

    // 100 Certificates, the agent answering HTTP-01 on Pebble's validation port.
    await operator.resetPeak();
    await agent.resetPeak();
    const certStart = performance.now();
    await Promise.all(
      Array.from({ length: CERTIFICATES }, (_, i) =>
        client.create(CertificateResource, certificate(namespace, i, pebble, pebble.directoryUrl)),
      ),
    );
    const readyCount = async (): Promise<number> =>
      (await client.list<Certificate>(CertificateResource, namespace)).items.filter(
        (c) =>
          findCondition(statusOf(c)?.conditions, 'Ready')?.status === 'True' &&
          statusOf(c)?.gateways?.summary === '1/1',
      ).length;
    await until(readyCount, CERTIFICATES, CERTIFICATES_TIMEOUT_MS);
    const certMs = performance.now() - certStart;
    const certificates = {
      ready: await readyCount(),
      ms: certMs,
      operator: await operator.peak(),
      agent: await agent.peak(),
      after: await (async () => {
        await sleep(SETTLE_MS);
        return both('after-certificates');
      })(),
    };

    // 1,000 Services, their slices and 5,000 RouteConfigs, until the agent holds them all.
    await operator.resetPeak();
    await agent.resetPeak();
    const routesStart = performance.now();
    const indices = (n: number) => Array.from({ length: n }, (_, i) => i);
    await inParallel(indices(SERVICES), IN_FLIGHT, (s) =>
      create(client, CoreTypes.service, service(namespace, s)),
    );
    await inParallel(indices(SERVICES), IN_FLIGHT, (s) =>
      create(client, CoreTypes.endpointSlice, slice(namespace, s)),
    );
    await inParallel(indices(ROUTE_CONFIGS), IN_FLIGHT, (i) =>
      create(client, RouteConfigResource, routeConfig(namespace, i)),
    );
    const settled = async (): Promise<number> =>
      (await client.list<RouteConfig>(RouteConfigResource, namespace)).items.filter(
        (rc) =>
          statusOf(rc)?.gateways?.summary === '1/1' &&
          findCondition(statusOf(rc)?.conditions, 'Ready')?.status === 'True',
      ).length;
    const done = await until(settled, ROUTE_CONFIGS, ROUTES_TIMEOUT_MS);
    const routes = {
      done,
      ms: performance.now() - routesStart,
      operator: await operator.peak(),
      agent: await agent.peak(),
      rest: await (async () => {
        await sleep(SETTLE_MS);
        return both('routes');
      })(),
    };
    await operator.stop();
    await agent.stop();

    // The embedded store: the operator idle without DATABASE_URL.
    const embeddedNamespace = `${namespace}-embedded`;
    await client.create(CoreTypes.namespace, { metadata: { name: embeddedNamespace } });
    const embeddedPorts = { http: await freePort(), grpc: await freePort(), agent: await freePort() };
    const embedded = CliProcess.start(
      root,
      'operator-embedded',
      dir,
      ['operator'],
      { ...operatorEnv(cluster, embeddedNamespace, embeddedPorts), EMBEDDED_DATA_DIR: join(dir, 'data') },
      nodeArgs(),
    );
    let embeddedIdle: Memory;
    try {
      await untilReady(embeddedPorts.http, embedded);
      await sleep(SETTLE_MS);
      embeddedIdle = await embedded.memory();
      await embedded.snapshot('embedded-idle');
    } finally {
      await embedded.stop();
    }
    return { idle, certificates, routes, embeddedIdle };
  } finally {
    await operator.stop();
    await agent?.stop();
    await pebble.stop();
    client.close();
  }
}

const mem = (m: Memory): string =>
  `${fmt(m.rss)} MiB (heap ${fmt(m.heapUsed)} used / ${fmt(m.heapTotal)} total, external ${fmt(m.external)})`;
const peak = (p: Peak): string =>
  `${fmt(p.rss)} MiB (heap peak ${fmt(p.heapUsed)} used / ${fmt(p.heapTotal)} total)`;

export async function footprintBenchmark(cluster: Cluster): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-footprint-'));
  try {
    // FOOTPRINT_CLI: a folder already built as buildCli() builds (to compare two builds).
    const root = process.env.FOOTPRINT_CLI ?? (await buildCli());
    const loadBefore = loadAverage();
    const r = await run(cluster, root, dir);
    const flags = nodeArgs().join(' ') || 'none';
    const c = r.certificates;
    const rt = r.routes;
    return [
      `One operator and one reference agent, each its own process through bin/gateway-worker.js on the compiled dist/ (NODE_ENV=production, node ${process.version}, extra node flags: ${flags}); job store on PostgreSQL (DATABASE_URL) unless stated. RSS from /proc (peaks: VmHWM, reset per phase); heap from a probe in each process (peaks sampled every 100 ms). Idle and at rest: ${SETTLE_MS / 1000} s after the phase.`,
      '',
      '| Measure | Operator | Agent |',
      '|---|---|---|',
      `| Idle (RSS) | ${mem(r.idle[0])} | ${mem(r.idle[1])} |`,
      `| Peak during ${CERTIFICATES} Certificates (HTTP-01, Pebble; ${c.ready} Ready on the gateway in ${fmt(c.ms / 1000, 1)} s) | ${peak(c.operator)} | ${peak(c.agent)} |`,
      `| After the certificates, at rest | ${mem(c.after[0])} | ${mem(c.after[1])} |`,
      `| Peak until ${fmt(ROUTE_CONFIGS)} RouteConfigs (${fmt(SERVICES)} Services, ${fmt(SERVICES * 20)} endpoints) are on the gateway (${rt.done ? `all Ready 1/1 in ${fmt(rt.ms / 1000, 1)} s` : 'not all within the timeout'}) | ${peak(rt.operator)} | ${peak(rt.agent)} |`,
      `| With the ${fmt(ROUTE_CONFIGS)} RouteConfigs, at rest | ${mem(rt.rest[0])} | ${mem(rt.rest[1])} |`,
      `| Idle with the embedded store (no DATABASE_URL) | ${mem(r.embeddedIdle)} | — |`,
      `| Load average (1/5/15 min) before / after | ${loadBefore} / ${loadAverage()} | |`,
    ];
  } finally {
    if (!process.env.FOOTPRINT_KEEP) rmSync(dir, { recursive: true, force: true });
  }
}
