/**
 * An invalid RouteConfig edit after an operator restart: the gateways keep the last valid
 * version (the same payload version), the status says why, and the stored versions are owned,
 * immutable and bounded. Real API server, the operator in this process, simulated gateways.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { parse } from 'yaml';
import {
  RouteConfigResource,
  WafRuleSetResource,
  type RouteConfig,
  type RouteConfigSpec,
  type WafRuleSet,
  statusOf,
} from '../../src/api/v1alpha1/index.js';
import { ROUTE_CONFIG_LABEL } from '../../src/controllers/routeconfig/revisions.js';
import { ResourceType } from '../../src/generated/gateway/worker/v1/resources.js';
import { CoreTypes, type ConfigMap, type KubeObject } from '../../src/runtime/kube/resource.js';
import { findCondition } from '../../src/runtime/status/conditions.js';
import { startOperatorHarness, type OperatorHarness } from '../support/operator-harness.js';
import { eventually } from '../support/widgets.js';

const ROUTES = ResourceType.RESOURCE_TYPE_ROUTES;
const WAF = ResourceType.RESOURCE_TYPE_WAF_RULES;

interface RoutesFile {
  route_configs: { name: string; routes: { name: string; backends: { url?: string }[] }[] }[];
}

const GOOD = {
  hostnames: ['shop.example.com'],
  routes: [
    {
      name: 'api',
      match: { path: { type: 'Prefix', value: '/api' } },
      backends: [{ service: { name: 'api', port: 80 } }],
      wafRuleSetRefs: [{ name: 'edge' }],
    },
    {
      name: 'docs',
      match: { path: { type: 'Prefix', value: '/docs' } },
      backends: [{ url: 'https://docs.example.net' }],
    },
  ],
};

/** `api` now goes elsewhere and `docs` is gone, both valid; `items` has a regex the gateway cannot compile. */
const INVALID = {
  hostnames: ['shop.example.com'],
  routes: [
    {
      name: 'api',
      match: { path: { type: 'Prefix', value: '/api' } },
      backends: [{ url: 'https://elsewhere.example.net' }],
    },
    {
      name: 'items',
      match: { path: { type: 'RegularExpression', value: '^/items/(open' } },
      backends: [{ url: 'https://items.example.net' }],
    },
  ],
};

describe('RouteConfig after an operator restart (real API server, operator, simulated gateways)', function () {
  this.timeout(180_000);
  let h: OperatorHarness;

  before(async () => {
    h = await startOperatorHarness('routes-restart', { gateways: 2 });
  });
  after(async () => {
    await h.stop();
  });

  const get = () => h.client.get<RouteConfig>(RouteConfigResource, h.namespace, 'shop');
  const condition = async (type: string) => findCondition(statusOf(await get())?.conditions, type);
  const resourceName = () => `${h.namespace}/shop`;
  /** Per gateway, the version of the shop RouteConfig it applied last. */
  const versions = () =>
    h.gateways.simulated.gateways.map(
      (g) => g.agent.state.appliedResources(ROUTES).find((r) => r.name === resourceName())?.version,
    );
  const routesOn = (dir: string) =>
    (parse(readFileSync(join(dir, 'routes.yaml'), 'utf8')) as RoutesFile).route_configs
      .find((c) => c.name === resourceName())
      ?.routes.map((r) => r.name);
  /**
   * From now on, per gateway, every routes and WAF update it accepts: the version of the shop
   * RouteConfig in it, and how many rule sets. A gateway emptied even briefly shows.
   */
  const recordUpdates = (): { routes: (string | undefined)[]; ruleSets: number[] }[] =>
    h.gateways.simulated.gateways.map((g) => {
      const seen = { routes: [] as (string | undefined)[], ruleSets: [] as number[] };
      const state = g.agent.state;
      const apply = state.apply.bind(state);
      state.apply = async (type, version, resources, delta) => {
        const result = await apply(type, version, resources, delta);
        if (result.kind !== 'ack') return result;
        if (type === ROUTES)
          seen.routes.push(state.appliedResources(ROUTES).find((r) => r.name === resourceName())?.version);
        if (type === WAF) seen.ruleSets.push(state.appliedResources(WAF).length);
        return result;
      };
      return seen;
    });
  const revisions = async () =>
    (
      await h.client.list<ConfigMap>(CoreTypes.configMap, h.namespace, {
        labelSelector: `${ROUTE_CONFIG_LABEL}=shop`,
      })
    ).items;
  const edit = (spec: object) =>
    h.client.mergePatch(RouteConfigResource, h.namespace, 'shop', { spec: spec as Partial<RouteConfigSpec> });
  /** Every gateway applied whatever is published for the current generation. */
  const settled = () =>
    eventually(
      async () => {
        const rc = await get();
        const synced = findCondition(statusOf(rc)?.conditions, 'Synced');
        return synced?.status === 'True' && synced.observedGeneration === rc.metadata.generation;
      },
      30_000,
      'Synced=True for the current generation',
    );

  it('stores the valid version as an owned, immutable revision and serves it', async () => {
    await h.client.create(WafRuleSetResource, {
      apiVersion: 'gateway.awesomeapi.com.br/v1alpha1',
      kind: 'WafRuleSet',
      metadata: { namespace: h.namespace, name: 'edge' },
      spec: {
        rules: [
          {
            id: 'traversal',
            conditions: [{ field: 'uri', operator: 'regex', value: '\\.\\./' }],
            action: { type: 'block', message: 'traversal' },
          },
        ],
      },
    } as unknown as WafRuleSet);
    await h.client.create(CoreTypes.service, {
      metadata: { namespace: h.namespace, name: 'api' },
      spec: { ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
    });
    await h.client.create<KubeObject>(CoreTypes.endpointSlice, {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: {
        namespace: h.namespace,
        name: 'api-abcde',
        labels: { 'kubernetes.io/service-name': 'api' },
      },
      addressType: 'IPv4',
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
      endpoints: [{ addresses: ['10.0.0.1'], conditions: { ready: true } }],
    });
    await h.client.create(RouteConfigResource, {
      apiVersion: 'gateway.awesomeapi.com.br/v1alpha1',
      kind: 'RouteConfig',
      metadata: { namespace: h.namespace, name: 'shop' },
      spec: GOOD,
    } as unknown as RouteConfig);
    await eventually(async () => (await condition('Ready'))?.status === 'True', 30_000, 'Ready=True');
    await eventually(async () => (await revisions()).length === 1, 30_000, 'one revision stored');
    const [revision] = await revisions();
    const rc = await get();
    expect(revision?.immutable).to.equal(true);
    expect(revision?.metadata.ownerReferences).to.deep.include({
      apiVersion: 'gateway.awesomeapi.com.br/v1alpha1',
      kind: 'RouteConfig',
      name: 'shop',
      uid: rc.metadata.uid,
      controller: true,
      blockOwnerDeletion: true,
    });
    expect(JSON.parse(revision?.data?.['spec.json'] ?? '{}')).to.deep.equal(rc.spec);
    for (const g of h.gateways.simulated.gateways) expect(routesOn(g.dir)).to.deep.equal(['docs', 'api']);
  });

  it('keeps serving the previous version when an edit is invalid, and says why', async () => {
    const before = versions();
    expect(new Set(before).size, 'one version everywhere').to.equal(1);
    expect(before[0]).to.be.a('string');
    await edit(INVALID);
    await eventually(
      async () => (await condition('Accepted'))?.observedGeneration === (await get()).metadata.generation,
      30_000,
      'the edit seen',
    );
    await settled();
    const accepted = await condition('Accepted');
    expect(accepted).to.include({ status: 'False', reason: 'Invalid' });
    expect(accepted?.message).to.match(/spec\.routes\[1\]\.match\.path\.value: /);
    expect(accepted?.message).to.include(
      'The last valid version of this RouteConfig (revision 1, stored from generation 1) stays in service.',
    );
    expect((await condition('Ready'))?.status).to.equal('False');
    expect(versions(), 'the previous payload version on every gateway').to.deep.equal(before);
    for (const g of h.gateways.simulated.gateways) expect(routesOn(g.dir)).to.deep.equal(['docs', 'api']);
    expect(await revisions(), 'an invalid spec is not stored').to.have.length(1);
  });

  it('still serves it after an operator restart, which the invalid spec meets first', async () => {
    const before = versions();
    const applied = recordUpdates();
    await h.restartOperator();
    // The new operator's connections send every gateway its complete state once.
    await eventually(
      () => applied.every((g) => g.routes.length > 0 && g.ruleSets.length > 0),
      30_000,
      'routes and WAF updates from the new operator on every gateway',
    );
    for (const [i, { routes, ruleSets }] of applied.entries()) {
      expect(
        routes,
        `gateway ${i}: the version of ${resourceName()} in each update since the restart`,
      ).to.deep.equal(routes.map(() => before[i]));
      expect(ruleSets, `gateway ${i}: rule sets in each WAF update since the restart`).to.deep.equal(
        ruleSets.map(() => 1),
      );
    }
    expect(versions()).to.deep.equal(before);
    for (const g of h.gateways.simulated.gateways) expect(routesOn(g.dir)).to.deep.equal(['docs', 'api']);
    expect((await condition('Accepted'))?.message).to.include(
      '(revision 1, stored from generation 1) stays in service.',
    );
  });

  it('serves an invalid edit made while no operator runs as it served the last valid version', async () => {
    await edit(GOOD);
    await settled();
    const before = versions();
    const applied = recordUpdates();
    await h.restartOperator(async () => {
      await edit(INVALID);
    });
    await eventually(
      () => applied.every((g) => g.routes.length > 0),
      30_000,
      'a routes update from the new operator on every gateway',
    );
    await settled();
    for (const [i, { routes, ruleSets }] of applied.entries()) {
      expect(routes, `gateway ${i}`).to.deep.equal(routes.map(() => before[i]));
      expect(ruleSets, `gateway ${i}`).to.deep.equal(ruleSets.map(() => 1));
    }
    for (const g of h.gateways.simulated.gateways) expect(routesOn(g.dir)).to.deep.equal(['docs', 'api']);
    expect((await condition('Accepted'))?.reason).to.equal('Invalid');
  });

  it('serves a valid edit again, and keeps the revision in service and revisionHistoryLimit others', async () => {
    const next = (path: string) => ({
      ...GOOD,
      routes: [GOOD.routes[0], { ...GOOD.routes[1], match: { path: { type: 'Prefix', value: path } } }],
    });
    await edit(next('/guides'));
    await settled();
    expect(versions()[0]).to.not.equal(undefined);
    await eventually(async () => (await revisions()).length === 2, 30_000, 'a second revision');
    await edit(next('/manuals'));
    await settled();
    await eventually(
      async () => (await revisions()).length === 2,
      30_000,
      'the oldest revision pruned (limit 1)',
    );
    await eventually(
      async () =>
        (await revisions())
          .map((cm) => cm.metadata.annotations?.['gateway.awesomeapi.com.br/revision'])
          .sort()
          .join() === '2,3',
      30_000,
      'revisions 2 and 3 kept',
    );
    expect((await condition('Accepted'))?.status).to.equal('True');
  });
});
