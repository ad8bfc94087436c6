import { expect } from 'chai';
import type { Route } from '../../api/v1alpha1/index.js';
import {
  alsoToUrl,
  exact,
  header,
  methods,
  prefix,
  regex,
  route,
  routeConfig,
  set,
  toServices,
  withHostnames,
  withRoutes,
  withTls,
  withWaf,
  type RouteModifier,
  type SourceModifier,
} from './builders.test-support.js';
import { prepareRoutes } from './prepare.js';

function prepared(...modifiers: SourceModifier[]) {
  return prepareRoutes(routeConfig('shop/a', ...modifiers).spec);
}

/** A RouteConfig whose only route is changed by `modifiers`. */
function withRoute(...modifiers: RouteModifier[]): SourceModifier {
  return withRoutes(route('web', ...modifiers));
}

const healthCheck = (fields: Partial<NonNullable<Route['healthCheck']>>): RouteModifier =>
  set({
    healthCheck: {
      path: '/health',
      interval: '30s',
      timeout: '5s',
      healthyThreshold: 2,
      unhealthyThreshold: 3,
      expectedStatus: 200,
      ...fields,
    },
  });

describe('route compiler: validation beyond the CRD', () => {
  const cases: [name: string, modifier: SourceModifier, path: string, message: RegExp][] = [
    [
      'a hostname in upper case',
      withHostnames('Shop.example.com'),
      'spec.hostnames[0]',
      /"Shop\.example\.com" is not a hostname: use a lowercase DNS name such as app\.example\.com, or \*\.example\.com/,
    ],
    [
      'a hostname listed twice',
      withHostnames('a.example.com', 'a.example.com'),
      'spec.hostnames[1]',
      /listed more than once/,
    ],
    ['an IP address as a hostname', withHostnames('10.0.0.1'), 'spec.hostnames[0]', /is not a hostname/],
    [
      'a Prefix path without a leading slash',
      withRoute(prefix('api')),
      'spec.routes[0].match.path.value',
      /must start with '\/', got "api"/,
    ],
    [
      'a path with //',
      withRoute(prefix('/a//b')),
      'spec.routes[0].match.path.value',
      /must not contain '\/\/' \(allowed: letters, digits/,
    ],
    [
      'a path with a .. segment',
      withRoute(exact('/a/../admin')),
      'spec.routes[0].match.path.value',
      /must not contain a \. or \.\. segment/,
    ],
    [
      'a path ending in /.',
      withRoute(exact('/a/.')),
      'spec.routes[0].match.path.value',
      /\. or \.\. segment/,
    ],
    [
      'a path with an escaped slash',
      withRoute(prefix('/a%2Fb')),
      'spec.routes[0].match.path.value',
      /escaped slash \(%2F\)/,
    ],
    [
      'a path with a query',
      withRoute(exact('/a?b=1')),
      'spec.routes[0].match.path.value',
      /must not contain "\?".*use type RegularExpression/,
    ],
    [
      'a path with a space',
      withRoute(exact('/a b')),
      'spec.routes[0].match.path.value',
      /must not contain " "/,
    ],
    ['a bad %-escape', withRoute(exact('/a%zz')), 'spec.routes[0].match.path.value', /malformed %-escape/],
    [
      'a regex the gateway cannot compile',
      withRoute(regex('^/items/(unclosed')),
      'spec.routes[0].match.path.value',
      /^invalid regex: unclosed group \(at character 9\) \(patterns use the gateway's Rust regex syntax\)$/,
    ],
    [
      'a look-around the CRD heuristics would catch too',
      withRoute(regex('^/(?!admin)')),
      'spec.routes[0].match.path.value',
      /look-around/,
    ],
    [
      'a header regex the gateway cannot compile',
      withRoute(header('x-id', '[0-9', 'RegularExpression')),
      'spec.routes[0].match.headers[0].value',
      /invalid regex/,
    ],
    [
      'a header name that is not a token',
      withRoute(header('x id', 'a')),
      'spec.routes[0].match.headers[0].name',
      /must be an HTTP header name/,
    ],
    [
      'the same header twice, in different case',
      withRoute(header('X-Env', 'a'), header('x-env', 'b')),
      'spec.routes[0].match.headers[1].name',
      /header x-env is matched twice \(names are case-insensitive\)/,
    ],
    [
      'a method listed twice',
      withRoute(methods('GET', 'GET')),
      'spec.routes[0].match.methods[1]',
      /GET is listed twice/,
    ],
    [
      'a zero timeout',
      withRoute(set({ timeout: '0s' })),
      'spec.routes[0].timeout',
      /^must be between 1ms and 1h, got 0s$/,
    ],
    [
      'a timeout above an hour',
      withRoute(set({ timeout: '2h' })),
      'spec.routes[0].timeout',
      /between 1ms and 1h, got 2h/,
    ],
    [
      'a timeout finer than a millisecond',
      withRoute(set({ timeout: '1500us' })),
      'spec.routes[0].timeout',
      /whole number of milliseconds/,
    ],
    [
      'a timeout that is not a duration',
      withRoute(set({ timeout: 'soon' })),
      'spec.routes[0].timeout',
      /must be a duration such as 720h/,
    ],
    [
      'retries above 10',
      withRoute(set({ retries: 11 })),
      'spec.routes[0].retries',
      /whole number from 0 to 10, got 11/,
    ],
    [
      'an unknown load balancer',
      withRoute(set({ loadBalancer: 'weighted' as Route['loadBalancer'] })),
      'spec.routes[0].loadBalancer',
      /round_robin, least_connections, ip_hash, random/,
    ],
    [
      'every weight 0',
      withRoute(toServices(['web', 80, 0], ['api', 80, 0])),
      'spec.routes[0].backends',
      /at least one backend needs a weight above 0/,
    ],
    [
      'a weight above 1000',
      withRoute(toServices(['web', 80, 1001])),
      'spec.routes[0].backends[0].weight',
      /from 0 to 1000, got 1001/,
    ],
    [
      'a port out of range',
      withRoute(toServices(['web', 70000])),
      'spec.routes[0].backends[0].service.port',
      /from 1 to 65535/,
    ],
    [
      'an ftp URL',
      withRoute(alsoToUrl('ftp://files.example.com')),
      'spec.routes[0].backends[1].url',
      /http:\/\/ or https:\/\//,
    ],
    [
      'a backend with both service and url',
      withRoute(
        set({ backends: [{ service: { name: 'web', port: 80 }, url: 'https://x.example.com', weight: 1 }] }),
      ),
      'spec.routes[0].backends[0]',
      /set exactly one of service/,
    ],
    [
      'a health-check interval under a second',
      withRoute(healthCheck({ interval: '500ms', timeout: '100ms' })),
      'spec.routes[0].healthCheck.interval',
      /between 1s and 1h/,
    ],
    [
      'a health-check timeout as long as its interval',
      withRoute(healthCheck({ interval: '5s', timeout: '5s' })),
      'spec.routes[0].healthCheck.timeout',
      /must be shorter than interval \(5s\), got 5s/,
    ],
    [
      'an unhealthy threshold of 0',
      withRoute(healthCheck({ unhealthyThreshold: 0 })),
      'spec.routes[0].healthCheck.unhealthyThreshold',
      /from 1 to 100/,
    ],
    [
      'an expected status of 700',
      withRoute(healthCheck({ expectedStatus: 700 })),
      'spec.routes[0].healthCheck.expectedStatus',
      /from 100 to 599/,
    ],
    [
      'a health-check path without /',
      withRoute(healthCheck({ path: 'health' })),
      'spec.routes[0].healthCheck.path',
      /must start with '\/'/,
    ],
    [
      'a circuit that opens for less than a second',
      withRoute(set({ circuitBreaker: { failureThreshold: 5, timeout: '100ms', halfOpenMaxCalls: 3 } })),
      'spec.routes[0].circuitBreaker.timeout',
      /between 1s and 1h/,
    ],
    [
      'a rate limit of 0',
      withRoute(set({ rateLimit: { requestsPerMinute: 0 } })),
      'spec.routes[0].rateLimit.requestsPerMinute',
      /from 1 to 1000000, got 0/,
    ],
    [
      'a WafRuleSet named twice',
      withRoute(withWaf('a', 'a')),
      'spec.routes[0].wafRuleSetRefs[1].name',
      /listed twice/,
    ],
    [
      'a Certificate name in upper case',
      withTls('Bad'),
      'spec.tls.certificateRef.name',
      /lowercase RFC 1123 name/,
    ],
    [
      'two routes with one name',
      withRoutes(route('web'), route('web', prefix('/x'))),
      'spec.routes[1].name',
      /"web" is used more than once/,
    ],
    [
      'the same match in two routes, flagged on the name that sorts last',
      withRoutes(route('zeta', prefix('/api/')), route('alpha', prefix('/api'))),
      'spec.routes[0].match',
      /route "zeta" has the same match as route "alpha"; each match may appear once/,
    ],
  ];
  for (const [name, modifier, path, message] of cases) {
    it(`reports ${name} at ${path}`, () => {
      const { problems } = prepared(modifier);
      const found = problems.filter((p) => p.path === path);
      expect(found, JSON.stringify(problems)).to.have.length(1);
      expect(found[0]?.message).to.match(message);
    });
  }

  it('accepts the defaulted example spec without problems', () => {
    expect(prepared().problems).to.deep.equal([]);
  });

  it('leaves out a route with a problem and keeps the others', () => {
    const result = prepared(
      withRoutes(route('web'), route('bad', set({ timeout: '0s' })), route('api', prefix('/api'))),
    );
    expect(result.routes.map((r) => r.name)).to.deep.equal(['api', 'web']);
    expect(result.routesTotal).to.equal(3);
  });

  it('leaves out a bad hostname and keeps the good ones, sorted', () => {
    expect(prepared(withHostnames('b.example.com', 'Bad', 'a.example.com')).hostnames).to.deep.equal([
      'a.example.com',
      'b.example.com',
    ]);
  });

  it('reads a spec without the API server defaults as the defaults would fill it', () => {
    const bare = {
      hostnames: ['a.example.com'],
      routes: [{ name: 'web', backends: [{ url: 'https://x.example.com' }] }],
    };
    const result = prepareRoutes(bare as never);
    expect(result.problems).to.deep.equal([]);
    expect(result.routes[0]).to.deep.include({
      match: { path: { type: 'prefix', value: '/' } },
      backends: [{ url: 'https://x.example.com', weight: 1 }],
      settings: { load_balancer: 'round_robin', timeout: '30s', retries: 0 },
    });
  });

  it('canonicalises a match: prefix without trailing slash, header names in lower case and sorted, methods sorted', () => {
    const result = prepared(
      withRoute(prefix('/api/'), methods('POST', 'GET'), header('X-B', '1'), header('X-A', '2')),
    );
    expect(result.routes[0]?.match).to.deep.equal({
      path: { type: 'prefix', value: '/api' },
      methods: ['GET', 'POST'],
      headers: [
        { name: 'x-a', type: 'exact', value: '2' },
        { name: 'x-b', type: 'exact', value: '1' },
      ],
    });
  });

  it('writes durations one way: 1m and 60s alike become 60s, 1.5s becomes 1500ms', () => {
    expect(prepared(withRoute(set({ timeout: '1m' }))).routes[0]?.settings.timeout).to.equal('60s');
    expect(prepared(withRoute(set({ timeout: '1.5s' }))).routes[0]?.settings.timeout).to.equal('1500ms');
  });
});
