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

const HEADER = '# Written by gateway-worker agent; replaced on the next update, do not edit.\n';
const OPTIONS = { defaultStringType: 'QUOTE_DOUBLE', defaultKeyType: 'PLAIN', lineWidth: 0 } as const;

/**
 * routes.yaml, whose `version` is the applied content hash, so the file on disk says which update
 * it holds. The yaml library needs about a millisecond per RouteConfig (6 s for 5,000) and an
 * endpoint change alters only a few, so each RouteConfig is rendered on its own and remembered
 * for as long as the caller hands in the same parsed object; the file is the same as rendering
 * the whole document at once.
 */
export class RoutesYamlRenderer {
  private fragments = new Map<string, { readonly config: JsonObject; readonly text: string }>();

  render(version: string, configs: readonly NamedRoutes[]): string {
    const sorted = [...configs].sort((a, b) =>
      a.resource < b.resource ? -1 : a.resource > b.resource ? 1 : 0,
    );
    const next = new Map<string, { config: JsonObject; text: string }>();
    const items = sorted.map((c) => {
      const known = this.fragments.get(c.resource);
      const text = known?.config === c.config ? known.text : item(c);
      next.set(c.resource, { config: c.config, text });
      return text;
    });
    this.fragments = next;
    const head = HEADER + stringify({ version }, OPTIONS);
    return items.length === 0 ? `${head}route_configs: []\n` : `${head}route_configs:\n${items.join('')}`;
  }
}

/** One entry of `route_configs`, indented as it sits in the whole document. */
function item({ resource, config }: NamedRoutes): string {
  return stringify([{ name: resource, ...config }], OPTIONS)
    .split('\n')
    .map((line) => (line === '' ? line : `  ${line}`))
    .join('\n');
}
