import { expect } from 'chai';
import {
  alsoToUrl,
  api,
  compile,
  createdAt,
  exact,
  methods,
  payloadOf,
  prefix,
  ready,
  regex,
  resultOf,
  route,
  routeConfig,
  routeNamed,
  service,
  set,
  shipped,
  slice,
  T1,
  T2,
  toServices,
  web,
  withHostnames,
  withRoutes,
  withTls,
  withWaf,
  world,
} from './builders.test-support.js';
import { compileRoutes } from './compile.js';
import { routeResourceName } from './names.js';
import { specReferences } from './references.js';

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

describe('route compiler: recompiling (memoised per object)', () => {
  const shopA = routeConfig('shop/a');
  const shopB = routeConfig(
    'shop/b',
    withHostnames('b.example.com'),
    withRoutes(route('api', toServices(['api', 80]))),
  );

  it('returns the very same results for unchanged inputs, without rendering again', () => {
    const input = world([shopA, shopB], { services: [web, api] });
    const first = compileRoutes(input);
    const second = compileRoutes({ ...input, services: new Map(input.services) });
    for (const [key, result] of first) expect(second.get(key), key).to.equal(result);
  });

  it('re-renders only the RouteConfigs that use a Service whose endpoints changed', () => {
    const before = compileRoutes(world([shopA, shopB], { services: [web, api] }));
    const moved = service('shop/web', 80, slice('web-1', 8080, ready('10.0.0.2')));
    const after = compileRoutes(world([shopA, shopB], { services: [moved, api] }));
    expect(after.get('shop/b')).to.equal(before.get('shop/b'));
    expect(after.get('shop/a')?.hash).to.not.equal(before.get('shop/a')?.hash);
    expect(routeNamed(resultOf(new Map(after), 'shop/a'), 'web').backends).to.deep.equal([
      { endpoints: [{ address: '10.0.0.2', port: 8080 }], weight: 1 },
    ]);
  });

  it('re-renders a RouteConfig whose Certificate became ready', () => {
    const tls = routeConfig('shop/tls', withTls('cert'));
    const held = compileRoutes(world([tls], { services: [web] })).get('shop/tls');
    const served = compileRoutes(world([tls], { services: [web], certificates: ['shop/cert'] })).get(
      'shop/tls',
    );
    expect(held?.resolvedRefs.status).to.equal('False');
    expect(served?.resolvedRefs.status).to.equal('True');
    expect(served && payloadOf(served).tls).to.deep.equal({ certificate: 'shop_cert' });
  });

  it('re-renders a RouteConfig that loses a match to an older newcomer, though its own spec is unchanged', () => {
    const young = routeConfig('shop/young', createdAt(T2));
    expect(compileRoutes(world([young], { services: [web] })).get('shop/young')?.routesShipped).to.equal(1);
    const older = routeConfig('shop/older', createdAt(T1));
    const after = compileRoutes(world([young, older], { services: [web] })).get('shop/young');
    expect(after?.routesShipped).to.equal(0);
    expect(after?.accepted.reason).to.equal('Conflicted');
  });

  it('gives a new result when only the generation changed', () => {
    const one = compileRoutes(world([shopA], { services: [web] })).get('shop/a');
    const two = compileRoutes(world([{ ...shopA, generation: 2 }], { services: [web] })).get('shop/a');
    expect(two?.generation).to.equal(2);
    expect(two?.hash).to.equal(one?.hash);
  });
});

describe('route compiler: what a RouteConfig refers to', () => {
  it('lists each Service, Certificate and WafRuleSet once, sorted, in the RouteConfig namespace', () => {
    const source = routeConfig(
      'shop/a',
      withTls('cert'),
      withRoutes(
        route('one', toServices(['web', 80], ['api', 80]), withWaf('strict')),
        route(
          'two',
          prefix('/two'),
          toServices(['web', 81]),
          alsoToUrl('https://x.example.com'),
          withWaf('strict', 'base'),
        ),
      ),
    );
    expect(specReferences('shop', source.spec)).to.deep.equal({
      services: ['shop/api', 'shop/web'],
      certificates: ['shop/cert'],
      wafRuleSets: ['shop/base', 'shop/strict'],
    });
  });
});
