import { expect } from 'chai';
import {
  compile,
  createdAt,
  exact,
  methods,
  prefix,
  resultOf,
  route,
  routeConfig,
  set,
  shipped,
  T1,
  T2,
  withHostnames,
  withRoutes,
  world,
} from './builders.test-support.js';
import type { CompileInput } from './types.js';

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
