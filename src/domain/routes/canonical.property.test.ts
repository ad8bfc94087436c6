/**
 * Property: the compiler's output depends on what the inputs say, never on the order they come
 * in — RouteConfigs, the routes inside each, Services, EndpointSlices, the endpoints inside each
 * slice, and how endpoints are spread over slices. Small pools of hostnames, paths and Services
 * make conflicts, duplicates and missing references common.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import type { Route, RouteConfigSpec } from '../../api/v1alpha1/index.js';
import { compileRoutes } from './compile.js';
import type {
  CompileInput,
  EndpointData,
  EndpointSliceData,
  RouteConfigResult,
  RouteSource,
  ServiceBackend,
} from './types.js';

const HOSTS = ['a.example.com', 'b.example.com', '*.example.com'];
const PATHS: Route['match']['path'][] = [
  { type: 'Prefix', value: '/' },
  { type: 'Prefix', value: '/api' },
  { type: 'Prefix', value: '/api/' },
  { type: 'Exact', value: '/api' },
  { type: 'RegularExpression', value: '^/items/[0-9]+$' },
];
const NAMESPACES = ['a', 'b'];
const SERVICES = ['web', 'api', 'gone'];
const TIMES = ['2024-01-01T00:00:00Z', '2024-01-02T00:00:00Z'];

const routeArb = fc.record({
  path: fc.constantFrom(...PATHS),
  methods: fc.subarray(['GET', 'POST'] as const),
  backends: fc.array(
    fc.oneof(
      fc.record({ service: fc.constantFrom(...SERVICES), port: fc.constantFrom(80, 81), weight: fc.nat(3) }),
      fc.record({ url: fc.constant('https://ext.example.net'), weight: fc.nat(3) }),
    ),
    { minLength: 1, maxLength: 3 },
  ),
  waf: fc.subarray(['w1', 'w2']),
});

const configArb = fc.record({
  namespace: fc.constantFrom(...NAMESPACES),
  time: fc.constantFrom(...TIMES),
  hostnames: fc.subarray(HOSTS, { minLength: 1 }),
  tls: fc.option(fc.constantFrom('c1', 'c2'), { nil: undefined }),
  routes: fc.array(routeArb, { minLength: 1, maxLength: 4 }),
});

const endpointArb = fc.record({ ready: fc.boolean(), serving: fc.boolean(), terminating: fc.boolean() });

const worldArb = fc.record({
  configs: fc.array(configArb, { minLength: 1, maxLength: 6 }),
  endpoints: fc.array(fc.tuple(fc.constantFrom(...NAMESPACES), fc.constantFrom('web', 'api'), endpointArb), {
    maxLength: 12,
  }),
  slicesPerService: fc.integer({ min: 1, max: 3 }),
  certificates: fc.subarray(['a/c1', 'a/c2', 'b/c1']),
  waf: fc.subarray(['a/w1', 'b/w1', 'b/w2']),
});

type World = typeof worldArb extends fc.Arbitrary<infer W> ? W : never;

/** Fisher–Yates driven by a seed, so fast-check can shrink and replay it. */
function shuffle<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let state = seed >>> 0 || 1;
  for (let i = out.length - 1; i > 0; i -= 1) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

function build(world: World, seed: number | undefined): CompileInput {
  const order = <T>(items: readonly T[], salt: number): T[] =>
    seed === undefined ? [...items] : shuffle(items, seed + salt);

  const routeConfigs = world.configs.map((c, i): RouteSource => {
    const routes = c.routes.map((r, j): Route => ({
      name: `r${j}`,
      match: { path: r.path, ...(r.methods.length ? { methods: order(r.methods, j) } : {}) },
      backends: r.backends.map((b) =>
        'url' in b
          ? { url: b.url, weight: b.weight }
          : { service: { name: b.service, port: b.port }, weight: b.weight },
      ),
      timeout: '30s',
      retries: 0,
      loadBalancer: 'round_robin',
      ...(r.waf.length ? { wafRuleSetRefs: r.waf.map((name) => ({ name })) } : {}),
    }));
    const spec: RouteConfigSpec = {
      hostnames: order(c.hostnames, i),
      routes: order(routes, i + 100),
      revisionHistoryLimit: 1,
      ...(c.tls ? { tls: { certificateRef: { name: c.tls } } } : {}),
    };
    return { namespace: c.namespace, name: `rc${i}`, creationTimestamp: c.time, generation: 1, spec };
  });

  const services: ServiceBackend[] = [];
  for (const namespace of NAMESPACES) {
    for (const name of ['web', 'api']) {
      const endpoints = world.endpoints.flatMap(([ns, svc, conditions], k): EndpointData[] =>
        ns === namespace && svc === name ? [{ addresses: [`10.0.${k % 3}.${k}`], ...conditions }] : [],
      );
      // Spread the endpoints over the slices differently for each ordering.
      const count = world.slicesPerService;
      const spread = order(endpoints, 7);
      const slices: EndpointSliceData[] = Array.from({ length: count }, (_, s) => ({
        name: `${name}-${s}`,
        ports: [{ name: '', port: 8080 }],
        endpoints: spread.filter((_, k) => k % count === s),
      }));
      services.push({ namespace, name, ports: [{ name: '', port: 80 }], slices: order(slices, 9) });
    }
  }
  return {
    routeConfigs: order(routeConfigs, 3),
    services: new Map(order(services, 5).map((s) => [`${s.namespace}/${s.name}`, s])),
    certificates: new Set(order(world.certificates, 11)),
    wafRuleSets: new Map(order(world.waf, 13).map((key) => [key, `waf:${key}`])),
  };
}

/** Everything but what names a spec position (problem paths, and the Invalid message quoting them). */
function comparable(result: RouteConfigResult) {
  const { problems, accepted, payload, ...rest } = result;
  return {
    ...rest,
    payload: new TextDecoder().decode(payload),
    accepted: result.valid ? accepted : { status: accepted.status, reason: accepted.reason },
    problems: problems.map((p) => p.message).sort(),
  };
}

describe('route compiler: canonical output (property)', () => {
  it('gives byte-identical payloads and the same conditions for the same inputs in any order', () => {
    fc.assert(
      fc.property(worldArb, fc.integer(), (world, seed) => {
        const reference = compileRoutes(build(world, undefined));
        const shuffled = compileRoutes(build(world, seed));
        expect([...shuffled.keys()]).to.deep.equal([...reference.keys()]);
        for (const [key, result] of reference) {
          const other = shuffled.get(key);
          expect(other, key).to.not.equal(undefined);
          if (other) expect(comparable(other), key).to.deep.equal(comparable(result));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('changes the hash exactly when the payload changes', () => {
    fc.assert(
      fc.property(worldArb, worldArb, (one, two) => {
        const a = compileRoutes(build(one, undefined));
        const b = compileRoutes(build(two, undefined));
        for (const [key, ra] of a) {
          const rb = b.get(key);
          if (!rb) continue;
          const same = Buffer.from(ra.payload).equals(Buffer.from(rb.payload));
          expect(ra.hash === rb.hash).to.equal(same);
        }
      }),
      { numRuns: 100 },
    );
  });
});
