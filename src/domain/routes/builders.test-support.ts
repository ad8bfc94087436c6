/**
 * Builders for the route compiler's tests, in cert-manager's style:
 * `routeConfig('shop/web', withHostnames('a.example.com'), withRoutes(route('api', prefix('/api'))))`.
 * Specs come with the API server's defaults filled in, as the controller would pass them.
 */
import type { Route, RouteConfigSpec } from '../../api/v1alpha1/index.js';
import { compileRoutes } from './compile.js';
import type {
  CompileInput,
  EndpointData,
  EndpointSliceData,
  PayloadRoute,
  RouteConfigResult,
  RouteSource,
  RoutesPayload,
  ServiceBackend,
} from './types.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type Modifier<T> = (value: T) => void;
export type SourceModifier = Modifier<Mutable<RouteSource>>;
export type RouteModifier = Modifier<Route>;

export const T0 = '2024-01-01T00:00:00Z';

export function route(name: string, ...modifiers: RouteModifier[]): Route {
  const value: Route = {
    name,
    match: { path: { type: 'Prefix', value: '/' } },
    backends: [{ service: { name: 'web', port: 80 }, weight: 1 }],
    timeout: '30s',
    retries: 0,
    loadBalancer: 'round_robin',
  };
  for (const modify of modifiers) modify(value);
  return value;
}

export const prefix =
  (value: string): RouteModifier =>
  (r) => {
    r.match.path = { type: 'Prefix', value };
  };
export const exact =
  (value: string): RouteModifier =>
  (r) => {
    r.match.path = { type: 'Exact', value };
  };
export const regex =
  (value: string): RouteModifier =>
  (r) => {
    r.match.path = { type: 'RegularExpression', value };
  };
export const methods =
  (...list: NonNullable<Route['match']['methods']>): RouteModifier =>
  (r) => {
    r.match.methods = list;
  };
export const header =
  (name: string, value: string, type: 'Exact' | 'RegularExpression' = 'Exact'): RouteModifier =>
  (r) => {
    r.match.headers = [...(r.match.headers ?? []), { name, value, type }];
  };
/** Replaces the backends with these. */
export const toServices =
  (...services: [name: string, port: number, weight?: number][]): RouteModifier =>
  (r) => {
    r.backends = services.map(([name, port, weight = 1]) => ({ service: { name, port }, weight }));
  };
export const alsoToUrl =
  (url: string, weight = 1): RouteModifier =>
  (r) => {
    r.backends = [...r.backends, { url, weight }];
  };
export const withWaf =
  (...names: string[]): RouteModifier =>
  (r) => {
    r.wafRuleSetRefs = names.map((name) => ({ name }));
  };
export const set =
  (fields: Partial<Route>): RouteModifier =>
  (r) => {
    Object.assign(r, fields);
  };

export function routeConfig(key: string, ...modifiers: SourceModifier[]): RouteSource {
  const [namespace = '', name = ''] = key.split('/');
  const spec: RouteConfigSpec = {
    hostnames: ['shop.example.com'],
    routes: [route('web')],
    revisionHistoryLimit: 1,
  };
  const value: Mutable<RouteSource> = { namespace, name, creationTimestamp: T0, generation: 1, spec };
  for (const modify of modifiers) modify(value);
  return value;
}

export const withHostnames =
  (...hostnames: string[]): SourceModifier =>
  (s) => {
    s.spec.hostnames = hostnames;
  };
export const withRoutes =
  (...routes: Route[]): SourceModifier =>
  (s) => {
    s.spec.routes = routes;
  };
export const withTls =
  (certificate: string): SourceModifier =>
  (s) => {
    s.spec.tls = { certificateRef: { name: certificate } };
  };
export const createdAt =
  (creationTimestamp: string): SourceModifier =>
  (s) => {
    s.creationTimestamp = creationTimestamp;
  };

/** An endpoint: `ready('10.0.0.1')`, or with other conditions. */
export function ready(address: string): EndpointData {
  return { addresses: [address], ready: true, serving: true, terminating: false };
}
export function notReady(address: string): EndpointData {
  return { addresses: [address], ready: false, serving: false, terminating: false };
}
export function terminating(address: string): EndpointData {
  return { addresses: [address], ready: false, serving: true, terminating: true };
}

export function slice(name: string, port: number, ...endpoints: EndpointData[]): EndpointSliceData {
  return { name, ports: [{ name: '', port }], endpoints };
}

/** A Service with one unnamed port and the given slices. */
export function service(key: string, port: number, ...slices: EndpointSliceData[]): ServiceBackend {
  const [namespace = '', name = ''] = key.split('/');
  return { namespace, name, ports: [{ name: '', port }], slices };
}

export function world(
  routeConfigs: RouteSource[],
  options: { services?: ServiceBackend[]; certificates?: string[]; wafRuleSets?: string[] } = {},
): CompileInput {
  return {
    routeConfigs,
    services: new Map((options.services ?? []).map((s) => [`${s.namespace}/${s.name}`, s])),
    certificates: new Set(options.certificates ?? []),
    wafRuleSets: new Map((options.wafRuleSets ?? []).map((key) => [key, key])),
  };
}

export const T1 = '2024-02-01T00:00:00Z';
export const T2 = '2024-03-01T00:00:00Z';
export const web = service('shop/web', 80, slice('web-1', 8080, ready('10.0.0.1')));
export const api = service('shop/api', 80, slice('api-1', 9090, ready('10.0.1.1')));

export function compile(input: CompileInput): Map<string, RouteConfigResult> {
  return new Map(compileRoutes(input));
}

export function resultOf(results: ReadonlyMap<string, RouteConfigResult>, key: string): RouteConfigResult {
  const result = results.get(key);
  if (!result) throw new Error(`no result for ${key}`);
  return result;
}

export function payloadOf(result: RouteConfigResult): RoutesPayload {
  return JSON.parse(new TextDecoder().decode(result.payload)) as RoutesPayload;
}

export function routeNamed(result: RouteConfigResult, name: string): PayloadRoute {
  const found = payloadOf(result).routes.find((r) => r.name === name);
  if (!found) throw new Error(`route ${name} is not in the payload of ${result.key}`);
  return found;
}

/** Names of the routes in a result's payload, in payload order. */
export const shipped = (result: RouteConfigResult): string[] => payloadOf(result).routes.map((r) => r.name);
