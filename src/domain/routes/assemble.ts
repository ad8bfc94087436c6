/**
 * The routes a RouteConfig keeps after conflicts → its payload, with references resolved. A
 * missing Service leaves that backend without endpoints (its share of requests fails, as Gateway
 * API prescribes for an invalid backend) and the route still ships. A missing WafRuleSet or
 * Certificate holds the route: it keeps its match but sends nowhere (503), because serving it
 * without its WAF or its certificate would fail open, and dropping it would let its requests fall
 * through to a less specific route.
 */
import { certificateResourceName } from '../snapshot/snapshot.js';
import { compareStrings } from './match.js';
import type { PreparedConfig, PreparedRoute } from './prepare.js';
import { resolveService } from './resolve-service.js';
import type {
  CompileInput,
  PayloadBackend,
  PayloadReferences,
  PayloadRoute,
  ReferenceKind,
  RoutesPayload,
  UnresolvedReference,
} from './types.js';

export interface Assembled {
  readonly payload: RoutesPayload;
  readonly references: PayloadReferences;
  readonly unresolved: readonly UnresolvedReference[];
  readonly warnings: readonly string[];
}

type Resolver = Pick<CompileInput, 'services' | 'certificates' | 'wafRuleSets'>;

class Missing {
  private readonly byRef = new Map<
    string,
    { kind: ReferenceKind; name: string; reason: string; routes: string[] }
  >();

  add(kind: ReferenceKind, name: string, reason: string, route: string): void {
    const id = `${kind}\u0000${name}\u0000${reason}`;
    const entry = this.byRef.get(id) ?? { kind, name, reason, routes: [] };
    if (!entry.routes.includes(route)) entry.routes.push(route);
    this.byRef.set(id, entry);
  }

  list(): UnresolvedReference[] {
    return [...this.byRef.values()];
  }
}

/**
 * Everything {@link assemblePayload} reads, as values to compare with ===: the prepared routes
 * (memoised per spec), whether the Certificate is there, the WAF names, and each Service's
 * resolution (memoised per ServiceBackend object). Equal lists mean an equal payload.
 */
export function assemblyInputs(
  namespace: string,
  prepared: PreparedConfig,
  kept: readonly PreparedRoute[],
  input: Resolver,
): unknown[] {
  const inputs: unknown[] = [prepared, kept.length, ...kept];
  if (prepared.certificate !== undefined) {
    inputs.push(input.certificates.has(`${namespace}/${prepared.certificate}`));
  }
  for (const route of kept) {
    for (const ref of route.wafRuleSets) inputs.push(input.wafRuleSets.get(`${namespace}/${ref}`));
    for (const { service } of route.backends) {
      if (service) inputs.push(resolveService(input.services, namespace, service.name, service.port));
    }
  }
  return inputs;
}

export function assemblePayload(
  namespace: string,
  prepared: PreparedConfig,
  kept: readonly PreparedRoute[],
  input: Resolver,
): Assembled {
  const missing = new Missing();
  const warnings = new Set<string>();
  const wafNames = new Set<string>();

  let certificate: string | undefined;
  if (prepared.certificate !== undefined) {
    const key = `${namespace}/${prepared.certificate}`;
    if (input.certificates.has(key)) certificate = key;
    else for (const route of kept) missing.add('Certificate', key, 'not found or not ready', route.name);
  }
  const certificateHeld = prepared.certificate !== undefined && certificate === undefined;

  const routes = kept.map((route): PayloadRoute => {
    const waf: string[] = [];
    for (const ref of route.wafRuleSets) {
      const key = `${namespace}/${ref}`;
      const pushed = input.wafRuleSets.get(key);
      if (pushed === undefined) missing.add('WafRuleSet', key, 'not found', route.name);
      else waf.push(pushed);
    }
    const backends = route.backends.map((backend): PayloadBackend => {
      if (backend.service === undefined) return { url: backend.url ?? '', weight: backend.weight };
      const { name, port } = backend.service;
      const resolution = resolveService(input.services, namespace, name, port);
      if (!resolution.found) {
        missing.add('Service', `${namespace}/${name}`, resolution.reason, route.name);
        return { endpoints: [], weight: backend.weight };
      }
      if (resolution.note !== undefined) warnings.add(resolution.note);
      return { endpoints: resolution.endpoints, weight: backend.weight };
    });
    const held = certificateHeld || waf.length < route.wafRuleSets.length;
    for (const pushed of held ? [] : waf) wafNames.add(pushed);
    return {
      name: route.name,
      match: route.match,
      backends: held ? [] : backends,
      ...route.settings,
      ...(waf.length > 0 && !held ? { waf_rule_sets: waf } : {}),
    };
  });

  return {
    payload: {
      hostnames: prepared.hostnames,
      // The gateway finds the certificate under the name it was pushed as: certs/<name>.crt.
      ...(certificate !== undefined && prepared.certificate !== undefined
        ? { tls: { certificate: certificateResourceName(namespace, prepared.certificate) } }
        : {}),
      routes,
    },
    references: {
      certificates: certificate !== undefined ? [certificate] : [],
      wafRuleSets: [...wafNames].sort(compareStrings),
    },
    unresolved: missing.list(),
    warnings: [...warnings],
  };
}
