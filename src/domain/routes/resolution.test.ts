import { expect } from 'chai';
import {
  alsoToUrl,
  api,
  compile,
  notReady,
  payloadOf,
  prefix,
  ready,
  resultOf,
  route,
  routeConfig,
  routeNamed,
  service,
  slice,
  terminating,
  toServices,
  web,
  withRoutes,
  withTls,
  withWaf,
  world,
} from './builders.test-support.js';
import type { CompileInput } from './types.js';

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
    expect(payloadOf(result).tls).to.deep.equal({ certificate: 'shop_shop-tls' });
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
