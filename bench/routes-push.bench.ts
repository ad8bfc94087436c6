/**
 * Routes end to end (issue 8): 5,000 RouteConfigs over 1,000 Services with 20,000 endpoints (one
 * EndpointSlice of 20 per Service), created 32 at a time against the local control plane, with
 * the whole operator in this process and 10 simulated gateways (real agents over mTLS). Reports
 * the time from the first object to every agent holding the full table (the routes.yaml version
 * with every RouteConfig and every endpoint), the pushes on the way, RSS and CPU, how long the
 * RouteConfigs' status takes to settle, and then, at rest, one endpoint change (an EndpointSlice
 * update flipping one endpoint's readiness) → the last of the 10 agents applying the new routes
 * version, repeated. It runs twice: agents in this process beside the operator (as the end-to-end
 * tests run them), and agents in child processes (one per core), where this process's figures are the
 * operator's own (both still share the machine's two cores).
 */
import { availableParallelism } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { RouteConfigResource, statusOf, type RouteConfig } from '../src/api/v1alpha1/index.js';
import type { Cluster } from '../src/envtest/cluster.js';
import { ResourceType } from '../src/generated/gateway/worker/v1/resources.js';
import { Informer } from '../src/runtime/informer/informer.js';
import type { KubeClient } from '../src/runtime/kube/client.js';
import { isAlreadyExists } from '../src/runtime/kube/errors.js';
import { CoreTypes, type KubeObject, type ResourceType as KubeType } from '../src/runtime/kube/resource.js';
import { silentLogger } from '../src/runtime/logger.js';
import { findCondition } from '../src/runtime/status/conditions.js';
import { inParallel } from '../test/support/widgets.js';
import { now, type AgentUpdate } from './agent-updates.js';
import { loadAverage, startInProcessOperator, untilIdle, type AgentsWhere } from './operator-in-process.js';
import { fmt, median, percentile, rssMiB } from './stats.js';

const ROUTES = ResourceType.RESOURCE_TYPE_ROUTES;
export const SERVICES = 1_000;
const ENDPOINTS_PER_SERVICE = 20;
export const ROUTE_CONFIGS = 5_000;
/** Routes per RouteConfig, each to its own Service: '/' and '/api'. */
const ROUTES_PER_CONFIG = 2;
const GATEWAYS = 10;
const IN_FLIGHT = 32;
const TIMEOUT_MS = 20 * 60_000;
const STATUS_POLL_MS = 5_000;

/** ROUTES_PUSH_CHANGES overrides the number of endpoint changes (default 50). */
function changes(): number {
  const env = process.env.ROUTES_PUSH_CHANGES;
  if (env === undefined) return 50;
  const n = Number(env);
  if (!(Number.isInteger(n) && n >= 1))
    throw new Error(`ROUTES_PUSH_CHANGES=${env}: must be a whole number of at least 1`);
  return n;
}

/**
 * ROUTES_PUSH_WHERE picks the agents' placement: in-process, child or both (the default; the child
 * first, as RSS only grows within a process).
 */
function placements(): AgentsWhere[] {
  const env = process.env.ROUTES_PUSH_WHERE ?? 'child,in-process';
  return env.split(',').map((w) => {
    if (w !== 'in-process' && w !== 'child')
      throw new Error(`ROUTES_PUSH_WHERE=${env}: in-process, child or both`);
    return w;
  });
}

const gc = (): void => (globalThis as { gc?: () => void }).gc?.();
const serviceName = (s: number) => `svc-${s}`;

export type Slice = KubeObject & { endpoints: { addresses: string[]; conditions: { ready: boolean } }[] };

export function service(namespace: string, s: number): KubeObject {
  return {
    metadata: { namespace, name: serviceName(s) },
    // Headless: the local control plane's service range (a /24) has no room for 1,000 cluster
    // IPs, and the routes are resolved through the EndpointSlices either way.
    spec: { clusterIP: 'None', ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
  };
}

export function slice(namespace: string, s: number): Slice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      namespace,
      name: `${serviceName(s)}-abcde`,
      labels: { 'kubernetes.io/service-name': serviceName(s) },
    },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    endpoints: Array.from({ length: ENDPOINTS_PER_SERVICE }, (_, k) => ({
      addresses: [`10.${s >> 8}.${s & 255}.${k + 1}`],
      conditions: { ready: true },
    })),
  };
}

export function routeConfig(namespace: string, i: number): RouteConfig {
  const to = (s: number) => [{ service: { name: serviceName(s % SERVICES), port: 80 } }];
  return {
    apiVersion: 'gateway.awesomeapi.com.br/v1alpha1',
    kind: 'RouteConfig',
    metadata: { namespace, name: `rc-${i}` },
    spec: {
      hostnames: [`app-${i}.example.com`],
      routes: [
        { name: 'web', match: { path: { type: 'Prefix', value: '/' } }, backends: to(i) },
        { name: 'api', match: { path: { type: 'Prefix', value: '/api' } }, backends: to(i + 1) },
      ],
    },
  } as unknown as RouteConfig;
}

/** Every RouteConfig Ready with every gateway synced, by listing (a watch here would cost the measured process). */
async function untilStatusSettled(
  client: KubeClient,
  namespace: string,
  timeoutMs: number,
): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const { items } = await client.list<RouteConfig>(RouteConfigResource, namespace);
    const settled = items.filter((rc) => {
      const status = statusOf(rc);
      return (
        status?.gateways?.summary === `${GATEWAYS}/${GATEWAYS}` &&
        findCondition(status.conditions, 'Ready')?.status === 'True'
      );
    }).length;
    if (settled === ROUTE_CONFIGS) return true;
    await new Promise((resolve) => setTimeout(resolve, STATUS_POLL_MS));
  }
  return false;
}

/**
 * Creates `obj`; a request that timed out (this process is busy: the operator and the agents
 * share its event loop) is sent again, and "already exists" then means the first one landed.
 */
async function create(client: KubeClient, type: KubeType, obj: KubeObject): Promise<void> {
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

interface Change {
  /** ms from the update being sent. */
  readonly returned: number;
  readonly watched: number;
  readonly firstReceived: number;
  readonly lastReceived: number;
  readonly lastApplied: number;
}

const sec = (n: number): string => `${fmt(n / 1000, 1)} s`;
const ms = (n: number): string => (n >= 10_000 ? sec(n) : `${fmt(n, 1)} ms`);

/** One run: the operator, the agents in `where`, the load, then the endpoint changes. */
async function run(cluster: Cluster, where: AgentsWhere): Promise<Map<string, string>> {
  const h = await startInProcessOperator(cluster, 'bench-routes', {
    gateways: GATEWAYS,
    agents: where,
    // As in the push benchmark: one child per core, the agents dealt round-robin.
    agentProcesses: availableParallelism(),
    countRouteEndpoints: true,
  });
  try {
    const { client, namespace, updates } = h;
    const routesUpdates = new Array<number>(GATEWAYS).fill(0);
    updates.onUpdate((update) => {
      if (update.type === ROUTES) routesUpdates[update.gateway] = (routesUpdates[update.gateway] ?? 0) + 1;
    });
    const expected = ROUTE_CONFIGS * ROUTES_PER_CONFIG * ENDPOINTS_PER_SERVICE;

    gc();
    const rssBefore = rssMiB();
    let rssPeak = rssBefore;
    const sampler = setInterval(() => {
      rssPeak = Math.max(rssPeak, rssMiB());
    }, 250);
    const loadBefore = loadAverage();
    const agentsBefore = await h.agents.usage();
    const cpuBefore = process.cpuUsage();
    const start = now();
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
    const createdMs = now() - start;
    let table: AgentUpdate[] = [];
    await updates.until(
      'every agent holds the full routes table',
      () => {
        const last = updates.last(ROUTES);
        const first = last[0];
        if (first?.resourceCount !== ROUTE_CONFIGS || first.routeEndpoints !== expected) return false;
        if (!last.every((u) => u?.version === first.version)) return false;
        table = last as AgentUpdate[];
        return true;
      },
      TIMEOUT_MS,
    );
    const fullMs = Math.max(...table.map((u) => u.appliedAt)) - start;
    const cpuToFull = process.cpuUsage(cpuBefore);
    const agentsAtFull = await h.agents.usage();
    const rssAtFull = rssMiB();
    const settled = await untilStatusSettled(client, namespace, TIMEOUT_MS);
    const settledMs = now() - start;
    clearInterval(sampler);
    rssPeak = Math.max(rssPeak, rssMiB());
    const pushes = [...routesUpdates];
    await untilIdle();
    gc();
    const rssRest = rssMiB();
    const loadAfterLoad = loadAverage();

    // At rest: one endpoint change at a time. A second watch of the slices here shows when the
    // operator's own informer hears of the change.
    const seen = new Map<string, number>();
    const slices = new Informer<Slice>({
      client,
      type: CoreTypes.endpointSlice,
      namespaces: [namespace],
      logger: silentLogger,
    });
    slices.addHandler({
      onUpdate: (_old, obj) => {
        const rv = obj.metadata.resourceVersion ?? '';
        if (!seen.has(rv)) seen.set(rv, now());
      },
    });
    slices.start();
    await slices.waitForSync();
    await untilIdle();
    const results: Change[] = [];
    const lag = monitorEventLoopDelay({ resolution: 10 });
    const agentsBeforeChanges = await h.agents.usage();
    const cpuChanges = process.cpuUsage();
    lag.enable();
    for (let c = 0; c < changes(); c++) {
      const s = (c * 7919) % SERVICES;
      const current = await client.get<Slice>(CoreTypes.endpointSlice, namespace, `${serviceName(s)}-abcde`);
      const [first, ...rest] = current.endpoints;
      if (!first) throw new Error('empty slice');
      const next = {
        ...current,
        endpoints: [{ ...first, conditions: { ready: !first.conditions.ready } }, ...rest],
      };
      const before = updates.last(ROUTES)[0]?.version;
      const sent = now();
      const written = await client.update<Slice>(CoreTypes.endpointSlice, next);
      const returned = now();
      const done = await updates.allMovedFrom(ROUTES, before, TIMEOUT_MS);
      const rv = written.metadata.resourceVersion ?? '';
      const received = done.map((u) => u.receivedAt);
      results.push({
        returned: returned - sent,
        watched: (seen.get(rv) ?? Number.NaN) - sent,
        firstReceived: Math.min(...received) - sent,
        lastReceived: Math.max(...received) - sent,
        lastApplied: Math.max(...done.map((u) => u.appliedAt)) - sent,
      });
      await untilIdle();
    }
    lag.disable();
    const cpuPerChange = process.cpuUsage(cpuChanges);
    const agentsAfterChanges = await h.agents.usage();
    await slices.stop();

    const p50p99 = (values: readonly number[]): string =>
      `${ms(median(values))} / ${ms(percentile(values, 99))}`;
    const of = (f: (c: Change) => number) => results.map(f);
    const cpuS = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;
    const agentsCpu = (a?: { cpuMicros: number }, b?: { cpuMicros: number }) =>
      a && b ? ` + ${sec((b.cpuMicros - a.cpuMicros) / 1000)} agents` : ' (operator + agents)';
    const agentsCpuPer = (a?: { cpuMicros: number }, b?: { cpuMicros: number }) =>
      a && b
        ? ` + ${ms((b.cpuMicros - a.cpuMicros) / 1000 / results.length)} agents`
        : ' (operator + agents)';
    const n = results.length;
    return new Map([
      [`All ${fmt(SERVICES * 2 + ROUTE_CONFIGS)} objects created (API answers)`, sec(createdMs)],
      ['First object → every agent holds the full table', sec(fullMs)],
      [
        'Routes versions each agent applied on the way (min–max)',
        `${Math.min(...pushes)}–${Math.max(...pushes)}`,
      ],
      [
        'Full table: resources, endpoint entries, payload',
        `${fmt(ROUTE_CONFIGS)}, ${fmt(expected)}, ${fmt((table[0]?.payloadBytes ?? 0) / 1024 / 1024, 1)} MiB`,
      ],
      [
        `First object → every RouteConfig Ready with ${GATEWAYS}/${GATEWAYS} (polled every ${STATUS_POLL_MS / 1000} s)`,
        settled ? sec(settledMs) : `not within ${sec(TIMEOUT_MS)}`,
      ],
      [
        'CPU time, first object → full table: operator process',
        `${sec(cpuS(cpuToFull))}${agentsCpu(agentsBefore, agentsAtFull)}`,
      ],
      [
        'RSS of the operator process: before / at full table / peak / at rest after GC',
        `${fmt(rssBefore)} / ${fmt(rssAtFull)} / ${fmt(rssPeak)} / ${fmt(rssRest)} MiB${where === 'in-process' ? ' (with the agents)' : ''}`,
      ],
      [
        "RSS of the agents' process at rest",
        agentsAfterChanges ? `${fmt(agentsAfterChanges.rssBytes / 1024 / 1024)} MiB` : '—',
      ],
      ['Load average (1/5/15 min) before / after the load', `${loadBefore} / ${loadAfterLoad}`],
      [`Endpoint changes at rest`, String(n)],
      [
        `Update returned → last of ${GATEWAYS} agents applied, median / p99`,
        p50p99(of((c) => c.lastApplied - c.returned)),
      ],
      ['Update sent → last agent applied, median / p99', p50p99(of((c) => c.lastApplied))],
      ['… API update (sent → returned)', p50p99(of((c) => c.returned))],
      ['… update sent → watch event here', p50p99(of((c) => c.watched))],
      [
        '… watch → first agent has the new table (recompile, debounce, encode, send)',
        p50p99(of((c) => c.firstReceived - c.watched)),
      ],
      ['… first → last agent has it', p50p99(of((c) => c.lastReceived - c.firstReceived))],
      ['… last agent has it → last applied', p50p99(of((c) => c.lastApplied - c.lastReceived))],
      [
        "Agents' CPU per agent per change (the reference agent's apply of the whole table)",
        agentsBeforeChanges && agentsAfterChanges
          ? ms((agentsAfterChanges.cpuMicros - agentsBeforeChanges.cpuMicros) / 1000 / n / GATEWAYS)
          : '— (not separable in one process)',
      ],
      [
        'CPU time per change: operator process',
        `${ms(cpuS(cpuPerChange) / n)}${agentsCpuPer(agentsBeforeChanges, agentsAfterChanges)}`,
      ],
      [
        'Event-loop delay of the operator process during the changes: p99 / max',
        `${fmt(lag.percentile(99) / 1e6)} / ${fmt(lag.max / 1e6)} ms`,
      ],
      ['Load average (1/5/15 min) after the changes', loadAverage()],
    ]);
  } finally {
    await h.stop();
  }
}

export async function routesPushBenchmark(cluster: Cluster): Promise<string[]> {
  const wheres = placements();
  const results: Map<string, string>[] = [];
  for (const where of wheres) results.push(await run(cluster, where));
  const title = (w: AgentsWhere) =>
    w === 'child' ? 'agents in child processes (one per core)' : "agents in the operator's process";
  return [
    `${fmt(ROUTE_CONFIGS)} RouteConfigs (${ROUTES_PER_CONFIG} routes each, ${fmt(ROUTE_CONFIGS * ROUTES_PER_CONFIG)} routes), ${fmt(SERVICES)} headless Services, ${fmt(SERVICES * ENDPOINTS_PER_SERVICE)} endpoints (one EndpointSlice of ${ENDPOINTS_PER_SERVICE} per Service), created ${IN_FLIGHT} at a time (Services, then slices, then RouteConfigs); ${GATEWAYS} simulated gateways; operator with QUEUE_WORKERS default. Each endpoint change flips one endpoint's readiness in a different Service's slice (${ROUTES_PER_CONFIG * (ROUTE_CONFIGS / SERVICES)} RouteConfigs use each Service) once the previous change is everywhere and the operator's process is idle.`,
    '',
    `| Measure | ${wheres.map(title).join(' | ')} |`,
    `|---|${wheres.map(() => '---|').join('')}`,
    ...[...(results[0]?.keys() ?? [])].map(
      (key) => `| ${key} | ${results.map((r) => r.get(key) ?? '').join(' | ')} |`,
    ),
  ];
}
