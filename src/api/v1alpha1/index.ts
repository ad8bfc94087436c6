/**
 * gateway.awesomeapi.com.br/v1alpha1: the schemas of our kinds (the single source of truth),
 * the TypeScript types derived from them, and where each kind lives in the API.
 */
import { certificateKind } from './certificate.js';
import { routeConfigKind } from './routeconfig.js';
import { threatAllowlistKind } from './threatallowlist.js';
import { threatFeedKind } from './threatfeed.js';
import { threatPolicyKind } from './threatpolicy.js';
import { wafRuleSetKind } from './wafruleset.js';
import type { KindDefinition } from './schema/kind.js';

export {
  certificateKind,
  routeConfigKind,
  threatAllowlistKind,
  threatFeedKind,
  threatPolicyKind,
  wafRuleSetKind,
};
export { keySize, type Certificate, type CertificateSpec, type CertificateStatus } from './certificate.js';
export type { WafRuleSet, WafRuleSetSpec, WafRuleSetStatus, WafRule, WafCondition } from './wafruleset.js';
export type { RouteConfig, RouteConfigSpec, RouteConfigStatus, Route, Backend } from './routeconfig.js';
export type { ThreatFeed, ThreatFeedSpec, ThreatFeedStatus } from './threatfeed.js';
export type { ThreatAllowlist, ThreatAllowlistSpec, ThreatAllowlistStatus } from './threatallowlist.js';
export { ALLOWLIST_CONFIGMAP_LABEL } from './threatallowlist.js';
export type {
  ThreatPolicy,
  ThreatPolicySpec,
  ThreatPolicyStatus,
  ThreatScenarioSpec,
} from './threatpolicy.js';
export {
  API_VERSION,
  CATEGORY,
  GROUP,
  VERSION,
  type KindDefinition,
  type InputOfKind,
} from './schema/kind.js';
export { crdFileName, crdFor, type CustomResourceDefinition } from './crd.js';

/** Every kind of this version, in the order CRDs are generated and documented. */
export const KINDS: readonly KindDefinition[] = [
  certificateKind,
  wafRuleSetKind,
  routeConfigKind,
  threatFeedKind,
  threatAllowlistKind,
  threatPolicyKind,
];

/** For KubeClient and informers: `client.get<Certificate>(CertificateResource, ns, name)`. */
export const CertificateResource = certificateKind.resource;
export const WafRuleSetResource = wafRuleSetKind.resource;
export const RouteConfigResource = routeConfigKind.resource;
export const ThreatFeedResource = threatFeedKind.resource;
export const ThreatAllowlistResource = threatAllowlistKind.resource;
export const ThreatPolicyResource = threatPolicyKind.resource;

export function kindNamed(kind: string): KindDefinition | undefined {
  return KINDS.find((k) => k.kind === kind);
}

/**
 * The status of an object as read from the API: absent until the operator first writes it,
 * whatever the derived type (which describes a complete object) says.
 */
export function statusOf<T extends { status: unknown }>(obj: T): T['status'] | undefined {
  return (obj as Partial<T>).status;
}
