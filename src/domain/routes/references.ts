/**
 * What a RouteConfig refers to, read from its spec alone: the controller indexes RouteConfigs by
 * these keys so a Service, EndpointSlice, Certificate or WafRuleSet event requeues only the
 * RouteConfigs that use it.
 */
import type { RouteConfigSpec } from '../../api/v1alpha1/index.js';
import { compareStrings } from './match.js';
import { objectKey } from './names.js';

export interface SpecReferences {
  /** 'namespace/name' of each Service, Certificate and WafRuleSet, sorted, without repeats. */
  readonly services: readonly string[];
  readonly certificates: readonly string[];
  readonly wafRuleSets: readonly string[];
}

export function specReferences(namespace: string, spec: RouteConfigSpec): SpecReferences {
  const services = new Set<string>();
  const wafRuleSets = new Set<string>();
  // Read defensively: a spec that failed validation still has to be indexed.
  for (const route of spec.routes as readonly Partial<RouteConfigSpec['routes'][number]>[]) {
    for (const backend of route.backends ?? []) {
      if (backend.service?.name) services.add(objectKey(namespace, backend.service.name));
    }
    for (const ref of route.wafRuleSetRefs ?? []) wafRuleSets.add(objectKey(namespace, ref.name));
  }
  const certificate = spec.tls?.certificateRef.name;
  const sorted = (set: Set<string>) => [...set].sort(compareStrings);
  return {
    services: sorted(services),
    certificates: certificate ? [objectKey(namespace, certificate)] : [],
    wafRuleSets: sorted(wafRuleSets),
  };
}
