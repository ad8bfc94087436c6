/**
 * Routes end to end (issue 8): 5,000 RouteConfigs over 1,000 Services with 20,000 endpoints (one
 * EndpointSlice of 20 per Service), created 32 at a time against the local control plane, with
 * the whole operator in this process and 10 simulated gateways (real agents over mTLS, also in
 * this process). Reports the time from the first object to every agent holding the full table
 * (the routes.yaml version with every RouteConfig and every endpoint), the pushes on the way,
 * this process's RSS and CPU, how long the RouteConfigs' status takes to settle, and then, at
 * rest, one endpoint change (an EndpointSlice update flipping one endpoint's readiness) → the
 * last of the 10 agents applying the new routes version, repeated.
 */
import { RouteConfigResource, statusOf, type RouteConfig } from '../src/api/v1alpha1/index.js';
import type { Cluster } from '../src/envtest/cluster.js';
import { ResourceType, type Resource } from '../src/generated/gateway/worker/v1/resources.js';
import { Informer } from '../src/runtime/informer/informer.js';
import type { KubeClient } from '../src/runtime/kube/client.js';
import { CoreTypes, type KubeObject } from '../src/runtime/kube/resource.js';
import { silentLogger } from '../src/runtime/logger.js';
import { findCondition } from '../src/runtime/status/conditions.js';
import { inParallel } from '../test/support/widgets.js';
import { loadAverage, startInProcessOperator, untilIdle } from './operator-in-process.js';
import { now, type AgentUpdate } from './agent-updates.js';
import { fmt, median, percentile, rssMiB } from './stats.js';

const ROUTES = ResourceType.RESOURCE_TYPE_ROUTES;
const SERVICES = 1_000;
const ENDPOINTS_PER_SERVICE = 20;
const ROUTE_CONFIGS = 5_000;
/** Routes per RouteConfig, each to its own Service: '/' and '/api'. */
const ROUTES_PER_CONFIG = 2;
const GATEWAYS = 10;
const IN_FLIGHT = 32;
const TIMEOUT_MS = 20 * 60_000;
const STATUS_POLL_MS = 5_000;

/** ROUTES_PUSH_CHANGES overrides the number of endpoint changes (default 60). */
function changes(): number {
  const env = process.env.ROUTES_PUSH_CHANGES;
  if (env === undefined) return 60;
  const n = Number(env);
  if (!(Number.isInteger(n) && n >= 1))
    throw new Error(`ROUTES_PUSH_CHANGES=${env}: must be a whole number of at least 1`);
  return n;
}

const gc = (): void => (globalThis as { gc?: () => void }).gc?.();
const serviceName = (s: number) => `svc-${s}`;

type Slice = KubeObject & { endpoints: { addresses: string[]; conditions: { ready: boolean } }[] };

function service(namespace: string, s: number): KubeObject {
  return {
    metadata: { namespace, name: serviceName(s) },
    spec: { ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
  };
}

function slice(namespace: string, s: number): Slice {
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

function routeConfig(namespace: string, i: number): RouteConfig {
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

/** Endpoints the table ships: every route of every RouteConfig, every backend's endpoints. */
function endpointsIn(resources: readonly Resource[]): number {
  let total = 0;
  for (const r of resources) {
    const payload = JSON.parse(r.payload.toString('utf8')) as {
      routes?: { backends?: { endpoints?: unknown[] }[] }[];
    };
    for (const route of payload.routes ?? [])
      for (const backend of route.backends ?? []) total += backend.endpoints?.length ?? 0;
  }
  return total;
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

interface Change {
  readonly returned: number;
  readonly watched: number;
  readonly firstReceived: number;
  readonly lastReceived: number;
  readonly lastApplied: number;
}

export async function routesPushBenchmark(cluster: Cluster): Promise<string[]> {
  const h = await startInProcessOperator(cluster, 'bench-routes', { gateways: GATEWAYS });
  try {
    const { client, namespace, updates } = h;
    // Gateway 0's last routes update, to check that the version every agent holds is the full table.
    let latest: { version: string; resources: readonly Resource[] } | undefined;
    const routesUpdates = new Array<number>(GATEWAYS).fill(0);
    updates.onUpdate((update, resources) => {
      if (update.type !== ROUTES) return;
      routesUpdates[update.gateway] = (routesUpdates[update.gateway] ?? 0) + 1;
      if (update.gateway === 0) latest = { version: update.version, resources };
    });
    const expected = ROUTE_CONFIGS * ROUTES_PER_CONFIG * ENDPOINTS_PER_SERVICE;
    const checked = new Map<string, boolean>();
    const full = (version: string): boolean => {
      if (latest?.version !== version || latest.resources.length !== ROUTE_CONFIGS) return false;
      let ok = checked.get(version);
      if (ok === undefined) checked.set(version, (ok = endpointsIn(latest.resources) === expected));
      return ok;
    };

    gc();
    const rssBefore = rssMiB();
    let rssPeak = rssBefore;
    const sampler = setInterval(() => {
      rssPeak = Math.max(rssPeak, rssMiB());
    }, 250);
    const loadBefore = loadAverage();
    const cpuBefore = process.cpuUsage();
    const start = now();
    const indices = (n: number) => Array.from({ length: n }, (_, i) => i);
    await inParallel(indices(SERVICES), IN_FLIGHT, (s) =>
      client.create(CoreTypes.service, service(namespace, s)),
    );
    await inParallel(indices(SERVICES), IN_FLIGHT, (s) =>
      client.create(CoreTypes.endpointSlice, slice(namespace, s)),
    );
    await inParallel(indices(ROUTE_CONFIGS), IN_FLIGHT, (i) =>
      client.create(RouteConfigResource, routeConfig(namespace, i)),
    );
    const createdMs = now() - start;
    let table: AgentUpdate[] = [];
    await updates.until(
      'every agent holds the full routes table',
      () => {
        const last = updates.last(ROUTES);
        const version = last[0]?.version;
        if (version === undefined || !last.every((u) => u?.version === version) || !full(version))
          return false;
        table = last as AgentUpdate[];
        return true;
      },
      TIMEOUT_MS,
    );
    const fullMs = Math.max(...table.map((u) => u.appliedAt)) - start;
    const cpuToFull = process.cpuUsage(cpuBefore);
    const rssAtFull = rssMiB();
    const tableBytes = (latest?.resources ?? []).reduce((sum, r) => sum + r.payload.byteLength, 0);
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
    const cpuChanges = process.cpuUsage();
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
      const done = await updates.allMovedFrom(ROUTES, before);
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
    const cpuPerChange = process.cpuUsage(cpuChanges);
    await slices.stop();

    const s = (n: number): string => `${fmt(n / 1000, 1)} s`;
    const ms = (n: number): string => `${fmt(n, 1)} ms`;
    const p50p99 = (f: (c: Change) => number): string => {
      const values = results.map(f);
      return `${ms(median(values))} / ${ms(percentile(values, 99))}`;
    };
    const cpuS = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;
    return [
      `${fmt(ROUTE_CONFIGS)} RouteConfigs (${ROUTES_PER_CONFIG} routes each, ${fmt(ROUTE_CONFIGS * ROUTES_PER_CONFIG)} routes), ${fmt(SERVICES)} Services, ${fmt(SERVICES * ENDPOINTS_PER_SERVICE)} endpoints (one EndpointSlice of ${ENDPOINTS_PER_SERVICE} per Service), created ${IN_FLIGHT} at a time (Services, then slices, then RouteConfigs); ${GATEWAYS} simulated gateways. Load average before: ${loadBefore}; after the load: ${loadAfterLoad}; after the changes: ${loadAverage()}.`,
      '',
      '| Measure | Value |',
      '|---|---|',
      `| All ${fmt(SERVICES * 2 + ROUTE_CONFIGS)} objects created (API answers) | ${s(createdMs)} |`,
      `| First object → every agent holds the full table | ${s(fullMs)} |`,
      `| Routes versions each agent applied on the way (min–max) | ${Math.min(...pushes)}–${Math.max(...pushes)} |`,
      `| Full table: resources, endpoint entries, payload bytes | ${fmt(ROUTE_CONFIGS)}, ${fmt(expected)}, ${fmt(tableBytes / 1024 / 1024, 1)} MiB |`,
      `| First object → every RouteConfig Ready with ${GATEWAYS}/${GATEWAYS} (polled every ${STATUS_POLL_MS / 1000} s) | ${settled ? s(settledMs) : `not within ${s(TIMEOUT_MS)}`} |`,
      `| CPU time of this process, first object → full table | ${s(cpuS(cpuToFull))} |`,
      `| RSS of this process (operator + ${GATEWAYS} agents): before / at full table / peak / at rest after GC | ${fmt(rssBefore)} / ${fmt(rssAtFull)} / ${fmt(rssPeak)} / ${fmt(rssRest)} MiB |`,
      '',
      `${results.length} endpoint changes at rest, one at a time (each flips one endpoint's readiness in a different Service's EndpointSlice; ${ROUTES_PER_CONFIG * (ROUTE_CONFIGS / SERVICES)} RouteConfigs use each Service):`,
      '',
      '| Measure | median / p99 |',
      '|---|---|',
      `| Update returned → last of ${GATEWAYS} agents applied the new routes version | ${p50p99((c) => c.lastApplied - c.returned)} |`,
      `| Update sent → last agent applied | ${p50p99((c) => c.lastApplied)} |`,
      `| … API update (sent → returned) | ${p50p99((c) => c.returned)} |`,
      `| … update sent → watch event here | ${p50p99((c) => c.watched)} |`,
      `| … watch → first agent has the new table (recompile, debounce, send) | ${p50p99((c) => c.firstReceived - c.watched)} |`,
      `| … first → last agent has it | ${p50p99((c) => c.lastReceived - c.firstReceived)} |`,
      `| … last agent has it → last applied | ${p50p99((c) => c.lastApplied - c.lastReceived)} |`,
      `| CPU time of this process per change (operator + agents, incl. settling) | ${ms(cpuS(cpuPerChange) / results.length)} |`,
    ];
  } finally {
    await h.stop();
  }
}
