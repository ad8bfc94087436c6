import { expect } from 'chai';
import {
  alsoToUrl,
  createdAt,
  exact,
  methods,
  notReady,
  prefix,
  ready,
  regex,
  route,
  routeConfig,
  service,
  set,
  slice,
  terminating,
  toServices,
  withHostnames,
  withRoutes,
  withTls,
  withWaf,
  world,
} from './builders.test-support.js';
import { compileRoutes } from './compile.js';
import { routeResourceName } from './names.js';
import type { CompileInput, PayloadRoute, RouteConfigResult, RoutesPayload } from './types.js';

const T1 = '2024-02-01T00:00:00Z';
const T2 = '2024-03-01T00:00:00Z';
const web = service('shop/web', 80, slice('web-1', 8080, ready('10.0.0.1')));
const api = service('shop/api', 80, slice('api-1', 9090, ready('10.0.1.1')));

function compile(input: CompileInput): Map<string, RouteConfigResult> {
  return new Map(compileRoutes(input));
}

function resultOf(results: Map<string, RouteConfigResult>, key: string): RouteConfigResult {
  const result = results.get(key);
  if (!result) throw new Error(`no result for ${key}`);
  return result;
}

function payloadOf(result: RouteConfigResult): RoutesPayload {
  return JSON.parse(new TextDecoder().decode(result.payload)) as RoutesPayload;
}

function routeNamed(result: RouteConfigResult, name: string): PayloadRoute {
  const found = payloadOf(result).routes.find((r) => r.name === name);
  if (!found) throw new Error(`route ${name} is not in the payload of ${result.key}`);
  return found;
}

const shipped = (result: RouteConfigResult) => payloadOf(result).routes.map((r) => r.name);

describe('route compiler: conflicts across RouteConfigs', () => {
  interface ConflictCase {
    readonly name: string;
    readonly input: CompileInput;
    /** RouteConfig → the routes it ships. */
    readonly ships: Record<string, string[]>;
    /** The loser, and what its Accepted message must name. */
    readonly loser?: { readonly key: string; readonly names: RegExp };
  }
  const cases: ConflictCase[] = [
    {
      name: 'the older RouteConfig keeps a match claimed twice; the newer one loses that route only',
      input: world([
        routeConfig('shop/old'),
        routeConfig('shop/new', createdAt(T1), withRoutes(route('web'), route('api', prefix('/api')))),
      ]),
      ships: { 'shop/old': ['web'], 'shop/new': ['api'] },
      loser: {
        key: 'shop/new',
        names: /route web \(Prefix \/ on shop\.example\.com\).*RouteConfig shop\/old/,
      },
    },
    {
      name: 'with equal creation times the namespace/name that sorts first wins',
      input: world([routeConfig('shop/b'), routeConfig('shop/a')]),
      ships: { 'shop/a': ['web'], 'shop/b': [] },
      loser: { key: 'shop/b', names: /RouteConfig shop\/a/ },
    },
    {
      name: 'input order does not decide: the older one wins even when listed last',
      input: world([routeConfig('shop/new', createdAt(T1)), routeConfig('zzz/old')]),
      ships: { 'zzz/old': ['web'], 'shop/new': [] },
      loser: { key: 'shop/new', names: /RouteConfig zzz\/old/ },
    },
    {
      name: 'the same match on different hostnames is no conflict',
      input: world([
        routeConfig('shop/a'),
        routeConfig('shop/b', createdAt(T1), withHostnames('b.example.com')),
      ]),
      ships: { 'shop/a': ['web'], 'shop/b': ['web'] },
    },
    {
      name: 'a wildcard hostname does not conflict with a name it covers (the exact name takes precedence)',
      input: world([
        routeConfig('shop/a', withHostnames('*.example.com')),
        routeConfig('shop/b', createdAt(T1)),
      ]),
      ships: { 'shop/a': ['web'], 'shop/b': ['web'] },
    },
    {
      name: 'Prefix /api and /api/ are the same match',
      input: world([
        routeConfig('shop/a', withRoutes(route('one', prefix('/api')))),
        routeConfig('shop/b', createdAt(T1), withRoutes(route('two', prefix('/api/')))),
      ]),
      ships: { 'shop/a': ['one'], 'shop/b': [] },
      loser: {
        key: 'shop/b',
        names: /route two \(Prefix \/api on shop\.example\.com\).*route one of RouteConfig shop\/a/,
      },
    },
    {
      name: 'Exact /api and Prefix /api are different matches',
      input: world([
        routeConfig('shop/a', withRoutes(route('one', prefix('/api')))),
        routeConfig('shop/b', createdAt(T1), withRoutes(route('two', exact('/api')))),
      ]),
      ships: { 'shop/a': ['one'], 'shop/b': ['two'] },
    },
    {
      name: 'routes that differ in their methods are told apart by precedence, not a conflict',
      input: world([
        routeConfig('shop/a', withRoutes(route('reads', methods('GET')))),
        routeConfig('shop/b', createdAt(T1), withRoutes(route('writes', methods('POST')))),
      ]),
      ships: { 'shop/a': ['reads'], 'shop/b': ['writes'] },
    },
    {
      name: 'methods are a set: GET,HEAD and HEAD,GET are the same match',
      input: world([
        routeConfig('shop/a', withRoutes(route('one', methods('GET', 'HEAD')))),
        routeConfig('shop/b', createdAt(T1), withRoutes(route('two', methods('HEAD', 'GET')))),
      ]),
      ships: { 'shop/a': ['one'], 'shop/b': [] },
      loser: { key: 'shop/b', names: /route two \(Prefix \/ GET,HEAD on shop\.example\.com\)/ },
    },
    {
      name: 'a route that conflicts on one of its hostnames loses as a whole, naming that hostname',
      input: world([
        routeConfig('shop/a'),
        routeConfig('shop/b', createdAt(T1), withHostnames('other.example.com', 'shop.example.com')),
      ]),
      ships: { 'shop/a': ['web'], 'shop/b': [] },
      loser: { key: 'shop/b', names: /\(Prefix \/ on shop\.example\.com\)/ },
    },
    {
      name: 'a losing route claims nothing, so a third RouteConfig may take its match on another hostname',
      input: world([
        routeConfig('shop/a'),
        routeConfig('shop/b', createdAt(T1), withHostnames('shop.example.com', 'other.example.com')),
        routeConfig('shop/c', createdAt(T2), withHostnames('other.example.com')),
      ]),
      ships: { 'shop/a': ['web'], 'shop/b': [], 'shop/c': ['web'] },
      loser: { key: 'shop/b', names: /RouteConfig shop\/a/ },
    },
    {
      name: 'an invalid route claims nothing',
      input: world([
        routeConfig('shop/a', withRoutes(route('web', set({ timeout: '0s' })))),
        routeConfig('shop/b', createdAt(T1)),
      ]),
      ships: { 'shop/a': [], 'shop/b': ['web'] },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const results = compile(c.input);
      for (const [key, routes] of Object.entries(c.ships)) {
        expect(shipped(resultOf(results, key)), key).to.deep.equal(routes);
      }
      for (const [key, result] of results) {
        if (key === c.loser?.key) {
          expect(result.accepted.status).to.equal('False');
          expect(result.accepted.reason).to.equal('Conflicted');
          expect(result.accepted.message).to.match(c.loser.names);
          expect(result.conflicts).to.not.be.empty;
        } else {
          expect(result.conflicts, key).to.deep.equal([]);
          if (result.valid) expect(result.accepted.status, key).to.equal('True');
        }
      }
    });
  }

  it('reports a conflict with the winner and its route for events', () => {
    const results = compile(
      world([routeConfig('shop/old'), routeConfig('shop/new', createdAt(T1), withRoutes(route('mine')))]),
    );
    expect(resultOf(results, 'shop/new').conflicts).to.deep.equal([
      { route: 'mine', match: 'Prefix / on shop.example.com', winner: 'shop/old', winnerRoute: 'web' },
    ]);
    expect(resultOf(results, 'shop/new').accepted.message).to.match(/0 of 1 route shipped$/);
  });
});

describe('route compiler: references', () => {
  it('a missing Service empties that backend only; the route and the rest of the table still ship', () => {
    const input = world(
      [
        routeConfig(
          'shop/a',
          withRoutes(
            route('web', toServices(['web', 80], ['gone', 80])),
            route('api', prefix('/api'), toServices(['api', 80])),
          ),
        ),
      ],
      { services: [web, api] },
    );
    const result = resultOf(compile(input), 'shop/a');
    expect(result.resolvedRefs).to.deep.include({ status: 'False', reason: 'RefNotFound' });
    expect(result.resolvedRefs.message).to.equal(
      'Service shop/gone not found: route web answers 503 for its share of requests',
    );
    expect(result.accepted.status).to.equal('True');
    expect(routeNamed(result, 'web').backends).to.deep.equal([
      { endpoints: [{ address: '10.0.0.1', port: 8080 }], weight: 1 },
      { endpoints: [], weight: 1 },
    ]);
    expect(routeNamed(result, 'api').backends).to.deep.equal([
      { endpoints: [{ address: '10.0.1.1', port: 9090 }], weight: 1 },
    ]);
  });

  it('a Service without the requested port is unresolved and the message lists its ports', () => {
    const input = world([routeConfig('shop/a', withRoutes(route('web', toServices(['web', 8080]))))], {
      services: [web],
    });
    const result = resultOf(compile(input), 'shop/a');
    expect(result.unresolved).to.deep.equal([
      { kind: 'Service', name: 'shop/web', reason: 'has no port 8080 (it has 80)', routes: ['web'] },
    ]);
  });

  it('each missing reference is named once, with every route that uses it', () => {
    const input = world([
      routeConfig('shop/a', withRoutes(route('one', prefix('/one')), route('two', prefix('/two')))),
    ]);
    const result = resultOf(compile(input), 'shop/a');
    expect(result.unresolved).to.deep.equal([
      { kind: 'Service', name: 'shop/web', reason: 'not found', routes: ['one', 'two'] },
    ]);
  });

  it('a missing WafRuleSet holds that route (kept match, no backends) and the others ship whole', () => {
    const input = world(
      [
        routeConfig(
          'shop/a',
          withRoutes(
            route('admin', prefix('/admin'), withWaf('strict', 'gone')),
            route('web', withWaf('strict')),
          ),
        ),
      ],
      { services: [web], wafRuleSets: ['shop/strict'] },
    );
    const result = resultOf(compile(input), 'shop/a');
    expect(routeNamed(result, 'admin').backends).to.deep.equal([]);
    expect(routeNamed(result, 'admin').waf_rule_sets).to.equal(undefined);
    expect(routeNamed(result, 'web').waf_rule_sets).to.deep.equal(['shop/strict']);
    expect(result.resolvedRefs.message).to.equal(
      'WafRuleSet shop/gone not found: route admin is held (answering 503) until it is there',
    );
    expect(result.references).to.deep.equal({ certificates: [], wafRuleSets: ['shop/strict'] });
    expect(result.routesShipped).to.equal(2);
  });

  it('a WafRuleSet is referenced by the name it is pushed under', () => {
    const input: CompileInput = {
      ...world([routeConfig('shop/a', withRoutes(route('web', withWaf('strict'))))], { services: [web] }),
      wafRuleSets: new Map([['shop/strict', 'waf-shop-strict']]),
    };
    const result = resultOf(compile(input), 'shop/a');
    expect(routeNamed(result, 'web').waf_rule_sets).to.deep.equal(['waf-shop-strict']);
    expect(result.references.wafRuleSets).to.deep.equal(['waf-shop-strict']);
  });

  it('a Certificate that is missing or not ready holds every route of the RouteConfig', () => {
    const input = world(
      [routeConfig('shop/a', withTls('shop-tls'), withRoutes(route('web'), route('api', prefix('/api'))))],
      {
        services: [web],
      },
    );
    const result = resultOf(compile(input), 'shop/a');
    const payload = payloadOf(result);
    expect(payload.tls).to.equal(undefined);
    expect(payload.routes.map((r) => r.backends)).to.deep.equal([[], []]);
    expect(result.unresolved).to.deep.equal([
      {
        kind: 'Certificate',
        name: 'shop/shop-tls',
        reason: 'not found or not ready',
        routes: ['api', 'web'],
      },
    ]);
    expect(result.references.certificates).to.deep.equal([]);
  });

  it('a ready Certificate is named in the payload and in its references, for make-before-break', () => {
    const input = world([routeConfig('shop/a', withTls('shop-tls'))], {
      services: [web],
      certificates: ['shop/shop-tls'],
    });
    const result = resultOf(compile(input), 'shop/a');
    expect(payloadOf(result).tls).to.deep.equal({ certificate: 'shop/shop-tls' });
    expect(result.references).to.deep.equal({ certificates: ['shop/shop-tls'], wafRuleSets: [] });
    expect(result.resolvedRefs).to.deep.equal({
      status: 'True',
      reason: 'ResolvedRefs',
      message: 'All references resolved',
    });
  });

  it('a Service without ready endpoints is resolved but empty, and the condition says so', () => {
    const input = world([routeConfig('shop/a')], {
      services: [service('shop/web', 80, slice('web-1', 8080, notReady('10.0.0.1')))],
    });
    const result = resultOf(compile(input), 'shop/a');
    expect(result.resolvedRefs.status).to.equal('True');
    expect(result.resolvedRefs.message).to.equal(
      'All references resolved; Service shop/web port 80 has no ready endpoints: requests for it get 503',
    );
    expect(routeNamed(result, 'web').backends).to.deep.equal([{ endpoints: [], weight: 1 }]);
  });

  it('uses terminating endpoints that still serve when none is ready, and says so', () => {
    const input = world([routeConfig('shop/a')], {
      services: [
        service('shop/web', 80, slice('web-1', 8080, terminating('10.0.0.2'), notReady('10.0.0.1'))),
      ],
    });
    const result = resultOf(compile(input), 'shop/a');
    expect(routeNamed(result, 'web').backends).to.deep.equal([
      { endpoints: [{ address: '10.0.0.2', port: 8080 }], weight: 1 },
    ]);
    expect(result.warnings).to.deep.equal([
      'Service shop/web port 80 has no ready endpoints; using 1 terminating but still serving',
    ]);
  });

  it('ignores terminating endpoints while some endpoint is ready', () => {
    const input = world([routeConfig('shop/a')], {
      services: [
        service(
          'shop/web',
          80,
          slice('a', 8080, terminating('10.0.0.2')),
          slice('b', 8080, ready('10.0.0.3')),
        ),
      ],
    });
    expect(routeNamed(resultOf(compile(input), 'shop/a'), 'web').backends).to.deep.equal([
      { endpoints: [{ address: '10.0.0.3', port: 8080 }], weight: 1 },
    ]);
  });

  it('merges slices: an endpoint listed in two slices appears once, endpoints sorted', () => {
    const input = world([routeConfig('shop/a')], {
      services: [
        service(
          'shop/web',
          80,
          slice('a', 8080, ready('10.0.0.9'), ready('10.0.0.1')),
          slice('b', 8080, ready('10.0.0.1'), ready('10.0.0.5')),
        ),
      ],
    });
    expect(routeNamed(resultOf(compile(input), 'shop/a'), 'web').backends).to.deep.equal([
      {
        endpoints: ['10.0.0.1', '10.0.0.5', '10.0.0.9'].map((address) => ({ address, port: 8080 })),
        weight: 1,
      },
    ]);
  });

  it('picks the slice port with the Service port name, as kube-proxy does', () => {
    const named = {
      namespace: 'shop',
      name: 'web',
      ports: [
        { name: 'http', port: 80 },
        { name: 'admin', port: 81 },
      ],
      slices: [
        {
          name: 'web-1',
          ports: [
            { name: 'admin', port: 9000 },
            { name: 'http', port: 8080 },
          ],
          endpoints: [ready('10.0.0.1')],
        },
      ],
    };
    const input = world([routeConfig('shop/a', withRoutes(route('web', toServices(['web', 81]))))], {
      services: [named],
    });
    expect(routeNamed(resultOf(compile(input), 'shop/a'), 'web').backends).to.deep.equal([
      { endpoints: [{ address: '10.0.0.1', port: 9000 }], weight: 1 },
    ]);
  });

  it('keeps a URL backend as it is, beside a Service backend', () => {
    const input = world(
      [routeConfig('shop/a', withRoutes(route('web', alsoToUrl('https://legacy.example.net/v1', 3))))],
      {
        services: [web],
      },
    );
    expect(routeNamed(resultOf(compile(input), 'shop/a'), 'web').backends).to.deep.equal([
      { endpoints: [{ address: '10.0.0.1', port: 8080 }], weight: 1 },
      { url: 'https://legacy.example.net/v1', weight: 3 },
    ]);
  });

  it('resolves an ExternalName Service to its DNS name at the requested port', () => {
    const external = {
      namespace: 'shop',
      name: 'web',
      ports: [{ name: '', port: 443 }],
      externalName: 'api.partner.net',
      slices: [],
    };
    const input = world([routeConfig('shop/a', withRoutes(route('web', toServices(['web', 443]))))], {
      services: [external],
    });
    expect(routeNamed(resultOf(compile(input), 'shop/a'), 'web').backends).to.deep.equal([
      { endpoints: [{ address: 'api.partner.net', port: 443 }], weight: 1 },
    ]);
  });
});

describe('route compiler: output', () => {
  it('names the pushed resource namespace/name and hashes the payload it returns', () => {
    const result = resultOf(compile(world([routeConfig('shop/a')], { services: [web] })), 'shop/a');
    expect(result.resourceName).to.equal(routeResourceName('shop', 'a'));
    expect(result.resourceName).to.equal('shop/a');
    expect(result.hash).to.match(/^[0-9a-f]{32}$/);
    const other = resultOf(
      compile(world([routeConfig('shop/a', withHostnames('x.example.com'))], { services: [web] })),
      'shop/a',
    );
    expect(other.hash).to.not.equal(result.hash);
  });

  it('orders routes most specific first: Exact, RegularExpression, then Prefix by length; methods before none', () => {
    const input = world([
      routeConfig(
        'shop/a',
        withRoutes(
          route('root'),
          route('api', prefix('/api')),
          route('api-v1', prefix('/api/v1')),
          route('api-get', prefix('/api'), methods('GET')),
          route('health', exact('/health')),
          route('ids', regex('^/items/[0-9]+$')),
        ),
      ),
    ]);
    expect(shipped(resultOf(compile(input), 'shop/a'))).to.deep.equal([
      'health',
      'ids',
      'api-v1',
      'api-get',
      'api',
      'root',
    ]);
  });

  it('writes payloads as compact JSON with hostnames sorted and settings in snake_case', () => {
    const input = world(
      [
        routeConfig(
          'shop/a',
          withHostnames('z.example.com', 'a.example.com'),
          withRoutes(
            route(
              'web',
              set({
                timeout: '1m',
                circuitBreaker: { failureThreshold: 5, timeout: '60s', halfOpenMaxCalls: 3 },
                healthCheck: {
                  path: '/healthz',
                  interval: '10s',
                  timeout: '1500ms',
                  healthyThreshold: 2,
                  unhealthyThreshold: 3,
                  expectedStatus: 204,
                },
                rateLimit: { requestsPerMinute: 600, burst: 50 },
              }),
            ),
          ),
        ),
      ],
      { services: [web] },
    );
    const text = new TextDecoder().decode(resultOf(compile(input), 'shop/a').payload);
    expect(text).to.equal(
      JSON.stringify({
        hostnames: ['a.example.com', 'z.example.com'],
        routes: [
          {
            name: 'web',
            match: { path: { type: 'prefix', value: '/' } },
            backends: [{ endpoints: [{ address: '10.0.0.1', port: 8080 }], weight: 1 }],
            load_balancer: 'round_robin',
            timeout: '60s',
            retries: 0,
            circuit_breaker: { failure_threshold: 5, timeout: '60s', half_open_max_calls: 3 },
            health_check: {
              path: '/healthz',
              interval: '10s',
              timeout: '1500ms',
              healthy_threshold: 2,
              unhealthy_threshold: 3,
              expected_status: 204,
            },
            rate_limit: { requests_per_minute: 600, burst: 50 },
          },
        ],
      }),
    );
  });

  it('returns results keyed namespace/name for every RouteConfig, sorted', () => {
    const results = compileRoutes(
      world([routeConfig('b/x'), routeConfig('a/y', withHostnames('y.example.com'))]),
    );
    expect([...results.keys()]).to.deep.equal(['a/y', 'b/x']);
  });

  it('refuses the same RouteConfig twice, a mistake of the caller', () => {
    expect(() => compileRoutes(world([routeConfig('a/x'), routeConfig('a/x')]))).to.throw(
      /a\/x is given twice/,
    );
  });

  it('an invalid spec is not valid, says why in Accepted, and its payload holds only the valid routes', () => {
    const input = world([routeConfig('shop/a', withRoutes(route('web'), route('bad', regex('(unclosed'))))], {
      services: [web],
    });
    const result = resultOf(compile(input), 'shop/a');
    expect(result.valid).to.equal(false);
    expect(result.accepted.status).to.equal('False');
    expect(result.accepted.reason).to.equal('Invalid');
    expect(result.accepted.message).to.match(
      /^1 problem: spec\.routes\[1\]\.match\.path\.value: invalid regex: .*\(1 of 2 routes would ship\)$/,
    );
    expect(shipped(result)).to.deep.equal(['web']);
  });
});
