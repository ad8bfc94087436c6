import { expect } from 'chai';
import type { PayloadRoute, RoutesPayload } from '../routes/types.js';
import { RouteMatcher, normaliseHost } from './route-matcher.js';

function route(
  name: string,
  type: 'exact' | 'prefix' | 'regex',
  value: string,
  extra: Partial<PayloadRoute> = {},
): PayloadRoute {
  return {
    name,
    match: { path: { type, value } },
    backends: [],
    load_balancer: 'round_robin',
    timeout: '30s',
    retries: 0,
    ...extra,
  };
}

const shop: RoutesPayload = {
  hostnames: ['shop.example.com'],
  routes: [
    route('items', 'regex', '^/items/[0-9]+$'),
    route('api', 'prefix', '/api', { waf_rule_sets: ['shop.strict'] }),
    route('api-post', 'prefix', '/api', {
      match: { path: { type: 'prefix', value: '/api' }, methods: ['POST'] },
    }),
    route('canary', 'prefix', '/', {
      match: {
        path: { type: 'prefix', value: '/' },
        headers: [{ name: 'x-env', type: 'exact', value: 'canary' }],
      },
    }),
    route('web', 'prefix', '/'),
    route('health', 'exact', '/healthz'),
  ],
};
const wildcard: RoutesPayload = { hostnames: ['*.example.com'], routes: [route('catch', 'prefix', '/')] };

describe('matching logged requests to routes', () => {
  const matcher = new RouteMatcher([
    { key: 'shop/storefront', payload: shop },
    { key: 'edge/wild', payload: wildcard },
  ]);
  after(() => matcher.dispose());

  const cases: [string, string, string, string | undefined][] = [
    ['an exact path before prefixes', 'GET', '/healthz', 'shop/storefront/health'],
    ['a regex before prefixes', 'GET', '/items/42', 'shop/storefront/items'],
    ['the longer prefix, by whole segments', 'GET', '/api/v1', 'shop/storefront/api'],
    ['a method match before a route without one', 'POST', '/api/v1', 'shop/storefront/api-post'],
    ['not a prefix inside a segment', 'GET', '/apix', 'shop/storefront/web'],
    ['a route without header conditions before one with them', 'GET', '/about', 'shop/storefront/web'],
  ];
  for (const [what, method, path, expected] of cases) {
    it(`${what}: ${method} ${path} → ${String(expected)}`, () => {
      expect(matcher.match('shop.example.com', method, path)?.route).to.equal(expected);
    });
  }

  it('carries the route’s WAF rule sets', () => {
    expect(matcher.match('shop.example.com', 'GET', '/api')?.wafRuleSets).to.deep.equal(['shop.strict']);
  });

  it('a wildcard covers exactly one label; ports and case do not matter', () => {
    expect(matcher.match('Other.Example.com:8443', 'GET', '/')?.route).to.equal('edge/wild/catch');
    expect(matcher.match('a.b.example.com', 'GET', '/')).to.equal(undefined);
    expect(matcher.match('unknown.test', 'GET', '/')).to.equal(undefined);
  });

  it('normalises host names', () => {
    expect(normaliseHost('API.Example.com.:443')).to.equal('api.example.com');
  });
});
