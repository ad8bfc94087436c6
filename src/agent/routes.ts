/**
 * ROUTES payloads → routes.yaml. A payload is a compiled RouteConfig, `{ hostnames, routes }`,
 * kept as it is: the agent checks the shape it relies on and leaves the rest to the gateway.
 */
import { stringify } from 'yaml';
import { PayloadProblem, array, type JsonObject } from './json-checks.js';

export interface NamedRoutes {
  readonly resource: string;
  readonly config: JsonObject;
}

/** `name` is reserved: routes.yaml puts the resource name there. */
export function parseRoutes(payload: unknown): JsonObject {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new PayloadProblem('payload: must be an object with hostnames and routes');
  }
  const config = payload as JsonObject;
  if ('name' in config) throw new PayloadProblem('name: reserved for the resource name, must not be set');
  array(config.hostnames, 'hostnames').forEach((host, i) => {
    if (typeof host !== 'string') throw new PayloadProblem(`hostnames[${i}]: must be a string`);
  });
  array(config.routes, 'routes').forEach((route, i) => {
    if (typeof route !== 'object' || route === null || Array.isArray(route)) {
      throw new PayloadProblem(`routes[${i}]: must be an object`);
    }
  });
  return config;
}

/** `version` is the applied content hash, so the file on disk says which update it holds. */
export function renderRoutesYaml(version: string, configs: readonly NamedRoutes[]): string {
  const sorted = [...configs].sort((a, b) =>
    a.resource < b.resource ? -1 : a.resource > b.resource ? 1 : 0,
  );
  const model = {
    version,
    route_configs: sorted.map(({ resource, config }) => ({ name: resource, ...config })),
  };
  return (
    '# Written by gateway-worker agent; replaced on the next update, do not edit.\n' +
    stringify(model, { defaultStringType: 'QUOTE_DOUBLE', defaultKeyType: 'PLAIN', lineWidth: 0 })
  );
}
