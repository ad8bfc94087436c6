/**
 * Route compiler at scale, no cluster: 5,000 RouteConfigs over 2,000 Services with 20,000
 * endpoints in EndpointSlices of up to 100, the shape the controller reads from its caches.
 * Compile time (cold: every spec new; warm: the informer's unchanged objects), heap and RSS
 * growth, payload bytes, and the recompile after one endpoint changes (one slice object replaced,
 * the way an informer delivers it). Services are mapped from the raw objects on every run, as the
 * controller does.
 */
import type { RouteConfigSpec } from '../src/api/v1alpha1/index.js';
import {
  compileRoutes,
  serviceBackends,
  type CompileInput,
  type CompileResult,
  type EndpointSliceJson,
  type RouteSource,
  type ServiceJson,
} from '../src/domain/routes/index.js';
import { fmt, median, percentile, rssMiB } from './stats.js';

const ROUTE_CONFIGS = 5_000;
const SERVICES = 2_000;
const ENDPOINTS = 20_000;
const SLICE_SIZE = 100;
const NAMESPACES = 50;
const RUNS = 15;
const CHANGES = 30;

interface World {
  readonly sources: RouteSource[];
  readonly services: ServiceJson[];
  slices: EndpointSliceJson[];
  /** How each slice was made, so a change can remake it with one endpoint flipped. */
  readonly sliceArgs: [service: number, part: number, first: number, count: number][];
  readonly certificates: Set<string>;
  readonly wafRuleSets: Map<string, string>;
}

const namespaceOf = (i: number) => `team-${i % NAMESPACES}`;
const serviceOf = (i: number) => `svc-${Math.floor(i / NAMESPACES)}`;

function spec(i: number): RouteConfigSpec {
  const svc = (k: number) => ({ service: { name: serviceOf(k), port: 80 }, weight: 1 });
  const base = { timeout: '30s', retries: 0, loadBalancer: 'round_robin' as const };
  // Service s lives in namespace s % NAMESPACES, so these are in the RouteConfig's namespace, and
  // every Service is used by about five RouteConfigs.
  const own = i % SERVICES;
  const next = (i + NAMESPACES) % SERVICES;
  return {
    hostnames: [`app-${i}.example.com`, `www.app-${i}.example.com`],
    ...(i % 3 === 0 ? { tls: { certificateRef: { name: `cert-${i}` } } } : {}),
    routes: [
      { name: 'web', match: { path: { type: 'Prefix', value: '/' } }, backends: [svc(own)], ...base },
      {
        name: 'api',
        match: { path: { type: 'Prefix', value: '/api' }, methods: ['GET', 'POST'] },
        backends: [svc(next), { url: 'https://fallback.example.net', weight: 1 }],
        ...base,
        healthCheck: {
          path: '/health',
          interval: '10s',
          timeout: '2s',
          healthyThreshold: 2,
          unhealthyThreshold: 3,
          expectedStatus: 200,
        },
        ...(i % 4 === 0 ? { wafRuleSetRefs: [{ name: 'baseline' }] } : {}),
      },
      {
        name: 'items',
        match: { path: { type: 'RegularExpression', value: `^/items/[0-9]+/v${i % 10}$` } },
        backends: [svc(own)],
        ...base,
      },
    ],
    revisionHistoryLimit: 1,
  };
}

function slice(service: number, part: number, first: number, count: number, version = 0): EndpointSliceJson {
  return {
    metadata: {
      namespace: namespaceOf(service),
      name: `${serviceOf(service)}-${part}`,
      labels: { 'kubernetes.io/service-name': serviceOf(service) },
    },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 8080 }],
    endpoints: Array.from({ length: count }, (_, k) => {
      const n = first + k;
      return {
        addresses: [`10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`],
        // Every change flips one endpoint's readiness back and forth.
        conditions: { ready: k !== 0 || version % 2 === 0 },
      };
    }),
  };
}

function world(): World {
  const perService = ENDPOINTS / SERVICES;
  const services: ServiceJson[] = [];
  const slices: EndpointSliceJson[] = [];
  const sliceArgs: World['sliceArgs'] = [];
  for (let s = 0; s < SERVICES; s++) {
    services.push({
      metadata: { namespace: namespaceOf(s), name: serviceOf(s) },
      spec: { ports: [{ name: 'http', port: 80 }] },
    });
    for (let part = 0; part * SLICE_SIZE < perService; part++) {
      const count = Math.min(SLICE_SIZE, perService - part * SLICE_SIZE);
      sliceArgs.push([s, part, s * perService + part * SLICE_SIZE, count]);
      slices.push(slice(s, part, s * perService + part * SLICE_SIZE, count));
    }
  }
  const sources = Array.from({ length: ROUTE_CONFIGS }, (_, i): RouteSource => ({
    namespace: namespaceOf(i),
    name: `rc-${i}`,
    creationTimestamp: new Date(Date.UTC(2024, 0, 1) + i * 1000).toISOString(),
    generation: 1,
    spec: spec(i),
  }));
  const certificates = new Set(
    sources.filter((_, i) => i % 3 === 0).map((s, k) => `${s.namespace}/cert-${k * 3}`),
  );
  const wafRuleSets = new Map(
    Array.from({ length: NAMESPACES }, (_, n) => [`team-${n}/baseline`, `team-${n}/baseline`] as const),
  );
  return { sources, services, slices, sliceArgs, certificates, wafRuleSets };
}

function input(w: World, sources = w.sources): CompileInput {
  return {
    routeConfigs: sources,
    services: serviceBackends(w.services, w.slices),
    certificates: w.certificates,
    wafRuleSets: w.wafRuleSets,
  };
}

const cpu: Record<'cold' | 'warm' | 'change', number[]> = { cold: [], warm: [], change: [] };

/** Wall time; the CPU time goes to `into`, which a machine shared with other work inflates less. */
function timedSync<T>(into: number[], fn: () => T): [T, number] {
  const [start, startCpu] = [performance.now(), process.cpuUsage()];
  const result = fn();
  const used = process.cpuUsage(startCpu);
  into.push((used.user + used.system) / 1000);
  return [result, performance.now() - start];
}

const gc = (): void => (globalThis as { gc?: () => void }).gc?.();
const heapMiB = (): number => process.memoryUsage().heapUsed / 1024 / 1024;
const ms = (samples: number[]) => `${fmt(median(samples), 1)} / ${fmt(percentile(samples, 99), 1)}`;

export function routesBenchmark(): Promise<string[]> {
  const w = world();
  gc();
  const [heapBefore, rssBefore] = [heapMiB(), rssMiB()];

  // Cold: every spec is a new object, so nothing is memoised (an operator start, or every
  // RouteConfig edited at once).
  const cold: number[] = [];
  let results: CompileResult = new Map();
  for (let run = 0; run < RUNS; run++) {
    const fresh = w.sources.map((s) => ({ ...s, spec: structuredClone(s.spec) }));
    [results, cold[run]] = timedSync(cpu.cold, () => compileRoutes(input(w, fresh)));
  }
  // Warm: the informer's unchanged objects, e.g. a resync or one Certificate turning ready.
  compileRoutes(input(w)); // the first run with the informer's objects fills the memo
  const warm: number[] = [];
  for (let run = 0; run < RUNS; run++)
    [results, warm[run]] = timedSync(cpu.warm, () => compileRoutes(input(w)));
  gc();
  const [heapAfter, rssAfter] = [heapMiB(), rssMiB()];

  // One endpoint changes: its slice is replaced by a new object, the rest stay as they were.
  const change: number[] = [];
  let changedPayloads = 0;
  const versions = new Map<number, number>();
  for (let c = 1; c <= CHANGES; c++) {
    const target = (c * 7919) % w.slices.length;
    const [service = 0, part = 0, first = 0, count = 0] = w.sliceArgs[target] ?? [];
    const version = (versions.get(target) ?? 0) + 1;
    versions.set(target, version);
    w.slices = w.slices.map((x, i) => (i === target ? slice(service, part, first, count, version) : x));
    const before = results;
    const [next, elapsed] = timedSync(cpu.change, () => compileRoutes(input(w)));
    change.push(elapsed);
    changedPayloads += [...next].filter(([key, r]) => before.get(key)?.hash !== r.hash).length;
    results = next;
  }

  let bytes = 0;
  let routes = 0;
  for (const r of results.values()) {
    bytes += r.payload.byteLength;
    routes += r.routesShipped;
  }
  return Promise.resolve([
    `${fmt(ROUTE_CONFIGS)} RouteConfigs (${fmt(routes)} routes), ${fmt(SERVICES)} Services, ` +
      `${fmt(ENDPOINTS)} endpoints in ${fmt(w.slices.length)} EndpointSlices; ${RUNS} runs each, ${CHANGES} endpoint changes.`,
    '',
    '| Measure | Wall time, median / p99 | CPU time, median / p99 |',
    '| --- | --- | --- |',
    `| Compile, cold (every spec new) | ${ms(cold)} ms | ${ms(cpu.cold)} ms |`,
    `| Compile, warm (unchanged objects) | ${ms(warm)} ms | ${ms(cpu.warm)} ms |`,
    `| Recompile after one endpoint change | ${ms(change)} ms | ${ms(cpu.change)} ms |`,
    '',
    '| Measure | Value |',
    '| --- | --- |',
    `| Payloads changed per endpoint change (mean) | ${fmt(changedPayloads / CHANGES, 1)} |`,
    `| Payload bytes, all RouteConfigs | ${fmt(bytes / 1024 / 1024, 1)} MiB (${fmt(bytes / ROUTE_CONFIGS)} B each) |`,
    `| Heap growth holding inputs, memo and results | ${fmt(heapAfter - heapBefore, 1)} MiB |`,
    `| RSS growth | ${fmt(rssAfter - rssBefore, 1)} MiB |`,
  ]);
}
