/**
 * Ingress objects (networking.k8s.io/v1) → RouteConfigs: one per host of each Ingress (a
 * RouteConfig's routes serve all its host names, an Ingress's rules each have their own), one route
 * per path, the Service backend kept, the gateway's annotations applied to every route. Anything
 * without a RouteConfig equivalent is reported in a note; nothing is dropped silently.
 */
import { HOSTNAME, matches } from '../../../api/v1alpha1/checks/names.js';
import { canonicalPath, pathProblem } from '../match.js';
import { annotationSettings, type RouteSettings } from './annotations.js';
import {
  Notes,
  isRecord,
  manifest,
  routeName,
  type ImportNote,
  type ImportResult,
  type RouteConfigManifest,
  type RouteInput,
} from './convert.js';

export interface IngressOptions {
  /** Namespace of the RouteConfigs; default: the Ingress's own. */
  readonly namespace?: string;
  /** Host names for rules without a host (and a default backend alone); such rules are skipped otherwise. */
  readonly hostnames?: readonly string[];
}

const MAX_ROUTES = 64;

interface IngressPath {
  readonly path: string;
  readonly type: 'Prefix' | 'Exact';
  readonly backend: unknown;
  readonly where: string;
}

/** Documents as parsed from YAML; `List` objects are opened, other kinds reported and skipped. */
export function importIngresses(documents: readonly unknown[], options: IngressOptions = {}): ImportResult {
  const found: ImportNote[] = [];
  const manifests: RouteConfigManifest[] = [];
  const ingresses = documents.flatMap((doc) =>
    isRecord(doc) && doc.kind === 'List' && Array.isArray(doc.items) ? (doc.items as unknown[]) : [doc],
  );
  for (const [i, doc] of ingresses.entries()) {
    if (doc === null || doc === undefined) continue;
    const kind = isRecord(doc) ? doc.kind : undefined;
    if (kind !== 'Ingress') {
      found.push({ source: `document ${i + 1}`, message: `kind ${String(kind)} is not an Ingress; skipped` });
      continue;
    }
    manifests.push(...importIngress(doc as Record<string, unknown>, options, found));
  }
  return { manifests, notes: found };
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function importIngress(
  ingress: Record<string, unknown>,
  options: IngressOptions,
  found: ImportNote[],
): RouteConfigManifest[] {
  const metadata = isRecord(ingress.metadata) ? ingress.metadata : {};
  const name = text(metadata.name) ?? 'ingress';
  const ownNamespace = text(metadata.namespace);
  const id = ownNamespace ? `${ownNamespace}/${name}` : name;
  const notes = new Notes(found, `Ingress ${id}`);
  if (ingress.apiVersion !== 'networking.k8s.io/v1') {
    notes.add(
      'apiVersion',
      `${String(ingress.apiVersion)} is not supported (networking.k8s.io/v1 only); skipped`,
    );
    return [];
  }
  const spec = isRecord(ingress.spec) ? ingress.spec : {};
  const settings = annotationSettings(isRecord(metadata.annotations) ? metadata.annotations : {}, notes);
  for (const [t, tls] of (Array.isArray(spec.tls) ? spec.tls : []).entries()) {
    const secret = isRecord(tls) ? text(tls.secretName) : undefined;
    notes.add(
      `spec.tls[${t}]`,
      `TLS comes from a gateway-worker Certificate: create one${secret ? ` (secretName ${secret})` : ''} ` +
        'for these hosts and set spec.tls.certificateRef; not imported',
    );
  }

  const groups = new Map<string, IngressPath[]>();
  const rules = Array.isArray(spec.rules) ? spec.rules : [];
  for (const [r, rule] of rules.entries()) {
    if (!isRecord(rule)) continue;
    const host = text(rule.host) ?? '';
    const http = isRecord(rule.http) ? rule.http : {};
    const paths = Array.isArray(http.paths) ? http.paths : [];
    const group = groups.get(host) ?? [];
    for (const [p, raw] of paths.entries()) {
      const where = `spec.rules[${r}].http.paths[${p}]`;
      if (!isRecord(raw)) continue;
      const type = raw.pathType === 'Exact' ? 'Exact' : 'Prefix';
      if (raw.pathType === 'ImplementationSpecific' || raw.pathType === undefined) {
        notes.add(
          `${where}.pathType`,
          `${raw.pathType === undefined ? 'unset' : 'ImplementationSpecific'} is imported as Prefix`,
        );
      }
      group.push({ path: text(raw.path) ?? '/', type, backend: raw.backend, where });
    }
    groups.set(host, group);
  }
  if (spec.defaultBackend !== undefined) {
    if (groups.size === 0) groups.set('', []);
    for (const group of groups.values()) {
      group.push({ path: '/', type: 'Prefix', backend: spec.defaultBackend, where: 'spec.defaultBackend' });
    }
  }

  const namespace = options.namespace ?? ownNamespace;
  const named = groups.size > 1;
  const result: RouteConfigManifest[] = [];
  for (const [host, paths] of groups) {
    const hostnames = host ? [host] : [...(options.hostnames ?? [])];
    const label = host || 'rules without a host';
    if (hostnames.length === 0) {
      notes.add(label, 'a RouteConfig needs host names: pass --hostname to import these; skipped');
      continue;
    }
    const bad = hostnames.filter((h) => !matches(HOSTNAME, h));
    if (bad.length > 0) {
      notes.add(label, `${bad.join(', ')} is not a host name RouteConfig accepts; skipped`);
      continue;
    }
    const routes = routesOf(paths, settings, notes);
    if (routes.length === 0) {
      notes.add(label, 'no path could be imported; no RouteConfig');
      continue;
    }
    const rcName = named
      ? `${name}-${host ? host.replace(/^\*/, 'wildcard').replace(/\./g, '-') : 'default'}`
      : name;
    result.push(manifest(rcName.slice(0, 253), namespace, `Ingress ${id}`, { hostnames, routes }));
  }
  return result;
}

function routesOf(paths: readonly IngressPath[], settings: RouteSettings, notes: Notes): RouteInput[] {
  const taken = new Set<string>();
  const matched = new Set<string>();
  const routes: RouteInput[] = [];
  for (const { path, type, backend, where } of paths) {
    const problem = pathProblem(path);
    if (problem) {
      notes.add(`${where}.path`, `${problem}; skipped`);
      continue;
    }
    const key = `${type} ${canonicalPath(type, path)}`;
    if (matched.has(key)) {
      notes.add(where, `${key} is already routed by an earlier path (the first one is kept); skipped`);
      continue;
    }
    const service = serviceBackend(
      backend,
      notes,
      where === 'spec.defaultBackend' ? where : `${where}.backend`,
    );
    if (!service) continue;
    if (routes.length === MAX_ROUTES) {
      notes.add(where, `a RouteConfig holds at most ${MAX_ROUTES} routes; skipped`);
      continue;
    }
    matched.add(key);
    routes.push({
      name: routeName(path, taken),
      match: { path: { type, value: path } },
      backends: [{ service }],
      ...structuredClone(settings),
    });
  }
  return routes;
}

function serviceBackend(
  backend: unknown,
  notes: Notes,
  where: string,
): { readonly name: string; readonly port: number } | undefined {
  const service = isRecord(backend) && isRecord(backend.service) ? backend.service : undefined;
  if (!service) {
    notes.add(where, 'only Service backends can be imported (resource backends cannot); skipped');
    return undefined;
  }
  const name = text(service.name);
  const port = isRecord(service.port) ? service.port : {};
  if (name === undefined) {
    notes.add(`${where}.service.name`, 'missing; skipped');
    return undefined;
  }
  if (typeof port.number === 'number') return { name, port: port.number };
  notes.add(
    `${where}.service.port`,
    `RouteConfig names a Service port by number${text(port.name) ? `, not by name (${String(port.name)})` : ''}; skipped`,
  );
  return undefined;
}
