import { expect } from 'chai';
import {
  T0,
  T1,
  api,
  compile,
  createdAt,
  payloadOf,
  prefix,
  regex,
  resultOf,
  route,
  routeConfig,
  service,
  shipped,
  slice,
  ready,
  toServices,
  web,
  withRoutes,
  world,
} from '../../domain/routes/builders.test-support.js';
import type { RouteConfigResult } from '../../domain/routes/index.js';
import { planServing, type LastGood, type RouteConfigPlan } from './serving.js';

const GOOD = [route('web', toServices(['web', 80])), route('docs', prefix('/docs'), toServices(['api', 80]))];
/** A valid route changed, another broken: the compiler leaves the broken one out and says why. */
const BROKEN = [
  route('web', prefix('/new'), toServices(['web', 80])),
  route('items', regex('^/items/(open')),
];

function planOf(plans: ReadonlyMap<string, RouteConfigPlan>, key: string): RouteConfigPlan {
  const plan = plans.get(key);
  if (!plan) throw new Error(`no plan for ${key}`);
  return plan;
}

const routesIn = (payload: Uint8Array | undefined): string[] =>
  payload
    ? payloadOf({ payload } as RouteConfigResult).routes.map((r) => `${r.name} ${r.match.path.value}`)
    : [];

function lastGood(spec: LastGood['spec'], extra: Partial<LastGood> = {}): LastGood {
  return { spec, revision: 1, generation: 1, ...extra };
}

describe('what a RouteConfig serves', () => {
  it('serves a valid spec as it is, to be stored as a revision', () => {
    const input = world([routeConfig('shop/a', withRoutes(...GOOD))], { services: [web, api] });
    const plan = planOf(planServing(input, compile(input), new Map()), 'shop/a');
    expect(plan.current).to.equal(true);
    expect(plan.lastGood).to.equal(undefined);
    expect(plan.served?.version).to.equal(resultOf(compile(input), 'shop/a').hash);
  });

  it('keeps the last valid version of an invalid spec in service, byte for byte when nothing else moved', () => {
    const before = world([routeConfig('shop/a', withRoutes(...GOOD))], { services: [web, api] });
    const good = resultOf(compile(before), 'shop/a');
    const after = world([routeConfig('shop/a', withRoutes(...BROKEN))], { services: [web, api] });
    const current = compile(after);
    expect(resultOf(current, 'shop/a').valid).to.equal(false);
    const spec = before.routeConfigs[0]!.spec;
    const plan = planOf(planServing(after, current, new Map([['shop/a', lastGood(spec)]])), 'shop/a');
    expect(plan.served?.version).to.equal(good.hash);
    expect(routesIn(plan.served?.payload)).to.deep.equal(['docs /docs', 'web /']);
    expect(plan.current).to.equal(false);
    expect(plan.lastGood?.revision).to.equal(1);
    expect(plan.result.accepted).to.include({ status: 'False', reason: 'Invalid' });
    expect(plan.result.accepted.message).to.match(/spec\.routes\[1\]\.match\.path\.value/);
  });

  it("compiles the last valid version with today's endpoints", () => {
    const before = world([routeConfig('shop/a', withRoutes(...GOOD))], { services: [web, api] });
    const moved = service('shop/web', 80, slice('web-1', 8080, ready('10.0.0.9')));
    const after = world([routeConfig('shop/a', withRoutes(...BROKEN))], { services: [moved, api] });
    const spec = before.routeConfigs[0]!.spec;
    const plan = planOf(planServing(after, compile(after), new Map([['shop/a', lastGood(spec)]])), 'shop/a');
    const served = payloadOf({ payload: plan.served?.payload } as RouteConfigResult);
    const web0 = served.routes.find((r) => r.name === 'web')?.backends[0];
    expect(web0 && 'endpoints' in web0 ? web0.endpoints : []).to.deep.equal([
      { address: '10.0.0.9', port: 8080 },
    ]);
  });

  it('serves the stored payload as it was when the stored spec no longer compiles', () => {
    const input = world([routeConfig('shop/a', withRoutes(...BROKEN))], { services: [web, api] });
    const stale = routeConfig('shop/a', withRoutes(route('old', regex('^/(x')))).spec;
    const payload = { bytes: new TextEncoder().encode('{"hostnames":[],"routes":[]}'), version: 'v-stored' };
    const plan = planOf(
      planServing(input, compile(input), new Map([['shop/a', lastGood(stale, { payload })]])),
      'shop/a',
    );
    expect(plan.served).to.include({ version: 'v-stored', payload: payload.bytes });
    expect(plan.lastGood).to.not.equal(undefined);
  });

  it('ships the valid part of a spec that never had a valid version, and nothing when no part is valid', () => {
    const input = world(
      [
        routeConfig('shop/a', withRoutes(...BROKEN)),
        routeConfig('shop/b', withRoutes(route('items', regex('^/items/(open')))),
      ],
      { services: [web, api] },
    );
    const plans = planServing(input, compile(input), new Map());
    expect(routesIn(planOf(plans, 'shop/a').served?.payload)).to.deep.equal(['web /new']);
    expect(planOf(plans, 'shop/a').current).to.equal(false);
    expect(planOf(plans, 'shop/b').served).to.equal(undefined);
  });

  it('decides conflicts over what is served: a match claimed only by an invalid edit stays with its holder', () => {
    const older = routeConfig('shop/old', createdAt(T0), withRoutes(route('docs', prefix('/docs'))));
    const edited = routeConfig(
      'shop/old',
      createdAt(T0),
      withRoutes(route('shop', prefix('/shop')), route('items', regex('^/items/(open'))),
    );
    const newer = routeConfig('shop/new', createdAt(T1), withRoutes(route('shop', prefix('/shop'))));
    const input = world([edited, newer], { services: [web] });
    const current = compile(input);
    expect(resultOf(current, 'shop/new').accepted.reason, 'the edit alone would take /shop').to.equal(
      'Conflicted',
    );
    const plans = planServing(input, current, new Map([['shop/old', lastGood(older.spec)]]));
    expect(planOf(plans, 'shop/new').result.accepted.status).to.equal('True');
    expect(shipped(planOf(plans, 'shop/new').result)).to.deep.equal(['shop']);
    expect(routesIn(planOf(plans, 'shop/old').served?.payload)).to.deep.equal(['docs /docs']);
  });
});
