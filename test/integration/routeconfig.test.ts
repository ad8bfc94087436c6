import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { parse } from 'yaml';
import {
  RouteConfigResource,
  type RouteConfig,
  type RouteConfigSpec,
  statusOf,
} from '../../src/api/v1alpha1/index.js';
import { CoreTypes, type KubeObject } from '../../src/runtime/kube/resource.js';
import { findCondition } from '../../src/runtime/status/conditions.js';
import { startOperatorHarness, type OperatorHarness } from '../support/operator-harness.js';
import { eventually } from '../support/widgets.js';

interface RoutesFile {
  route_configs: {
    name: string;
    routes: { name: string; backends: { endpoints?: { address: string; port: number }[] }[] }[];
  }[];
}

function routesOn(dir: string): RoutesFile | undefined {
  try {
    return parse(readFileSync(join(dir, 'routes.yaml'), 'utf8')) as RoutesFile;
  } catch {
    return undefined;
  }
}

function slice(namespace: string, service: string, addresses: string[]): KubeObject {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { namespace, name: `${service}-abcde`, labels: { 'kubernetes.io/service-name': service } },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    endpoints: addresses.map((address) => ({ addresses: [address], conditions: { ready: true } })),
  };
}

function routeConfig(namespace: string, name: string, spec: Partial<RouteConfigSpec>): RouteConfig {
  return {
    apiVersion: 'gateway.awesomeapi.com.br/v1alpha1',
    kind: 'RouteConfig',
    metadata: { namespace, name },
    spec: { hostnames: ['shop.example.com'], routes: [], ...spec },
  } as unknown as RouteConfig;
}

describe('RouteConfig end to end (real API server, operator, simulated gateways)', function () {
  this.timeout(120_000);
  let h: OperatorHarness;

  before(async () => {
    h = await startOperatorHarness('routes', { gateways: 3 });
  });
  after(async () => {
    await h.stop();
  });

  const get = (name: string) => h.client.get<RouteConfig>(RouteConfigResource, h.namespace, name);
  const condition = async (name: string, type: string) =>
    findCondition(statusOf(await get(name))?.conditions, type);
  const endpointsEverywhere = (config: string, route: string, want: string[]) =>
    eventually(
      () =>
        h.gateways.simulated.gateways.every((g) => {
          const file = routesOn(g.dir);
          const rc = file?.route_configs.find((c) => c.name === `${h.namespace}/${config}`);
          const r = rc?.routes.find((x) => x.name === route);
          const got = (r?.backends[0]?.endpoints ?? []).map((e) => `${e.address}:${e.port}`).sort();
          return JSON.stringify(got) === JSON.stringify(want);
        }),
      30_000,
      `every gateway to route ${route} to ${want.join(', ')}`,
    );

  it('resolves a Service through its EndpointSlices and pushes the routes to every gateway', async () => {
    await h.client.create(CoreTypes.service, {
      metadata: { namespace: h.namespace, name: 'api' },
      spec: { ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
    });
    await h.client.create(CoreTypes.endpointSlice, slice(h.namespace, 'api', ['10.0.0.1', '10.0.0.2']));
    await h.client.create(
      RouteConfigResource,
      routeConfig(h.namespace, 'shop', {
        routes: [
          {
            name: 'api',
            match: { path: { type: 'Prefix', value: '/api' } },
            backends: [{ service: { name: 'api', port: 80 } }],
          },
        ],
      } as unknown as Partial<RouteConfigSpec>),
    );
    await endpointsEverywhere('shop', 'api', ['10.0.0.1:8080', '10.0.0.2:8080']);
    await eventually(async () => (await condition('shop', 'Ready'))?.status === 'True', 30_000, 'Ready=True');
    const rc = await get('shop');
    expect(statusOf(rc)?.gateways?.summary).to.equal('3/3');
    expect(findCondition(statusOf(rc)?.conditions, 'Programmed')?.status).to.equal('True');
  });

  it('re-pushes when the endpoints scale up and down', async () => {
    const name = 'api-abcde';
    const current = await h.client.get<KubeObject>(CoreTypes.endpointSlice, h.namespace, name);
    await h.client.update(CoreTypes.endpointSlice, {
      ...current,
      endpoints: ['10.0.0.1', '10.0.0.2', '10.0.0.3'].map((a) => ({
        addresses: [a],
        conditions: { ready: true },
      })),
    });
    await endpointsEverywhere('shop', 'api', ['10.0.0.1:8080', '10.0.0.2:8080', '10.0.0.3:8080']);
    const scaled = await h.client.get<KubeObject>(CoreTypes.endpointSlice, h.namespace, name);
    await h.client.update(CoreTypes.endpointSlice, {
      ...scaled,
      endpoints: [{ addresses: ['10.0.0.3'], conditions: { ready: true } }],
    });
    await endpointsEverywhere('shop', 'api', ['10.0.0.3:8080']);
  });

  it('reports a conflicting RouteConfig, and the older one keeps serving the match', async () => {
    await h.client.create(
      RouteConfigResource,
      routeConfig(h.namespace, 'shop-copy', {
        routes: [
          {
            name: 'api',
            match: { path: { type: 'Prefix', value: '/api' } },
            backends: [{ url: 'https://copy.example.net' }],
          },
          {
            name: 'docs',
            match: { path: { type: 'Prefix', value: '/docs' } },
            backends: [{ url: 'https://docs.example.net' }],
          },
        ],
      } as unknown as Partial<RouteConfigSpec>),
    );
    await eventually(
      async () => (await condition('shop-copy', 'Accepted'))?.reason === 'Conflicted',
      30_000,
      'Accepted=False Conflicted',
    );
    expect((await condition('shop-copy', 'Accepted'))?.message).to.include(`${h.namespace}/shop`);
    await eventually(
      () =>
        h.gateways.simulated.gateways.every((g) =>
          routesOn(g.dir)
            ?.route_configs.find((c) => c.name === `${h.namespace}/shop-copy`)
            ?.routes.some((r) => r.name === 'docs'),
        ),
      30_000,
      'the loser keeps its other routes',
    );
    await endpointsEverywhere('shop', 'api', ['10.0.0.3:8080']);
    expect((await condition('shop', 'Accepted'))?.status).to.equal('True');
  });

  it('marks only the route with a missing Service unresolved, and ships the rest', async () => {
    await h.client.create(
      RouteConfigResource,
      routeConfig(h.namespace, 'partial', {
        hostnames: ['partial.example.com'],
        routes: [
          { name: 'ok', backends: [{ url: 'https://ok.example.net' }] },
          {
            name: 'missing',
            match: { path: { type: 'Prefix', value: '/m' } },
            backends: [{ service: { name: 'nope', port: 80 } }],
          },
        ],
      } as unknown as Partial<RouteConfigSpec>),
    );
    await eventually(
      async () => (await condition('partial', 'ResolvedRefs'))?.status === 'False',
      30_000,
      'ResolvedRefs=False',
    );
    expect((await condition('partial', 'ResolvedRefs'))?.message).to.include('nope');
    await eventually(
      () =>
        h.gateways.simulated.gateways.every((g) =>
          routesOn(g.dir)
            ?.route_configs.find((c) => c.name === `${h.namespace}/partial`)
            ?.routes.some((r) => r.name === 'ok'),
        ),
      30_000,
      'the resolved route on every gateway',
    );
  });
});
