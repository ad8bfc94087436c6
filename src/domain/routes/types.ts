/**
 * The route compiler's plain data: what the controller gathers (RouteConfigs, Services with their
 * EndpointSlices, which Certificates and WafRuleSets are available) and what it gets back per
 * RouteConfig (conditions, problems, the canonical payload and what that payload references).
 */
import type { RouteConfigSpec } from '../../api/v1alpha1/index.js';

/** One RouteConfig as the compiler needs it. */
export interface RouteSource {
  readonly namespace: string;
  readonly name: string;
  readonly uid?: string;
  /** RFC 3339, from metadata.creationTimestamp: the oldest claim on a match wins. */
  readonly creationTimestamp: string;
  readonly generation: number;
  /** As stored by the API server (defaults filled in). Pass the cached object: it keys a memo. */
  readonly spec: RouteConfigSpec;
}

/** A port of a Service; `name` is '' for the single unnamed port. */
export interface ServicePortData {
  readonly name: string;
  readonly port: number;
}

/** An endpoint of an EndpointSlice, conditions already defaulted the way the API documents them. */
export interface EndpointData {
  /** The first address is the one used: the API says the others are fungible. */
  readonly addresses: readonly string[];
  readonly ready: boolean;
  readonly serving: boolean;
  readonly terminating: boolean;
}

/** A port of an EndpointSlice; its name is the name of the Service port it serves. */
export interface EndpointPortData {
  readonly name: string;
  readonly port: number;
}

export interface EndpointSliceData {
  readonly name: string;
  readonly ports: readonly EndpointPortData[];
  readonly endpoints: readonly EndpointData[];
}

/** A Service and its EndpointSlices, as the controller gathers them (see kubernetes-backends.ts). */
export interface ServiceBackend {
  readonly namespace: string;
  readonly name: string;
  readonly ports: readonly ServicePortData[];
  /** Set for type ExternalName: the backend is that DNS name at the requested port. */
  readonly externalName?: string;
  readonly slices: readonly EndpointSliceData[];
}

/** Keyed by 'namespace/name' of the Service. */
export type ServiceBackends = ReadonlyMap<string, ServiceBackend>;

export interface CompileInput {
  readonly routeConfigs: readonly RouteSource[];
  readonly services: ServiceBackends;
  /** 'namespace/name' of the Certificates that are ready and published to the gateways. */
  readonly certificates: ReadonlySet<string>;
  /** 'namespace/name' of each existing WafRuleSet → the name its rules are pushed under. */
  readonly wafRuleSets: ReadonlyMap<string, string>;
}

/** A problem with the spec, located like the API server locates one. */
export interface RouteProblem {
  /** e.g. spec.routes[2].match.path.value */
  readonly path: string;
  /** What is wrong and what is allowed. */
  readonly message: string;
}

export type ConditionStatus = 'True' | 'False';

export interface ConditionResult {
  readonly status: ConditionStatus;
  /** CamelCase: Accepted, Invalid, Conflicted; ResolvedRefs, RefNotFound. */
  readonly reason: string;
  readonly message: string;
}

/** A route of this RouteConfig that lost a match to an older RouteConfig. */
export interface RouteConflict {
  readonly route: string;
  /** The match as a user reads it: `Prefix /api on shop.example.com`. */
  readonly match: string;
  /** 'namespace/name' of the RouteConfig that keeps the match. */
  readonly winner: string;
  readonly winnerRoute: string;
}

export type ReferenceKind = 'Service' | 'Certificate' | 'WafRuleSet';

/** A reference that could not be resolved, and the routes it affects. */
export interface UnresolvedReference {
  readonly kind: ReferenceKind;
  /** 'namespace/name' of the missing object. */
  readonly name: string;
  /** Why: 'not found', 'has no port 8080 (it has 80, 443)', 'not found or not ready'. */
  readonly reason: string;
  readonly routes: readonly string[];
}

/** What a payload needs on the gateway before it may be applied (make-before-break). */
export interface PayloadReferences {
  /** 'namespace/name' of the Certificates, as in CompileInput.certificates. */
  readonly certificates: readonly string[];
  /** The pushed resource names of the WafRuleSets, as in CompileInput.wafRuleSets' values. */
  readonly wafRuleSets: readonly string[];
}

export interface RouteConfigResult {
  /** 'namespace/name' of the RouteConfig. */
  readonly key: string;
  /** The name the payload is pushed under ({@link routeResourceName}). */
  readonly resourceName: string;
  readonly generation: number;
  readonly accepted: ConditionResult;
  readonly resolvedRefs: ConditionResult;
  readonly problems: readonly RouteProblem[];
  readonly conflicts: readonly RouteConflict[];
  readonly unresolved: readonly UnresolvedReference[];
  /** Facts worth telling the user that are not errors, e.g. a Service without ready endpoints. */
  readonly warnings: readonly string[];
  /** Routes in the payload (held routes included: they keep their match and answer 503). */
  readonly routesShipped: number;
  readonly routesTotal: number;
  /**
   * False when the spec has problems. The payload then holds only the valid routes; the
   * controller should keep serving the last good payload instead (bad input never loses data).
   */
  readonly valid: boolean;
  /** Canonical JSON of {@link RoutesPayload}. */
  readonly payload: Uint8Array;
  /** Content hash of the payload: the version the push layer puts on it. */
  readonly hash: string;
  readonly references: PayloadReferences;
}

/** Keyed by 'namespace/name' of the RouteConfig. */
export type CompileResult = ReadonlyMap<string, RouteConfigResult>;

// The payload: what one RouteConfig becomes on the gateway, in the gateway's snake_case style.

export interface PayloadEndpoint {
  readonly address: string;
  readonly port: number;
}

export type PayloadBackend =
  | { readonly endpoints: readonly PayloadEndpoint[]; readonly weight: number }
  | { readonly url: string; readonly weight: number };

export interface PayloadMatch {
  readonly path: { readonly type: 'exact' | 'prefix' | 'regex'; readonly value: string };
  readonly methods?: readonly string[];
  readonly headers?: readonly {
    readonly name: string;
    readonly type: 'exact' | 'regex';
    readonly value: string;
  }[];
}

export interface PayloadRoute {
  readonly name: string;
  readonly match: PayloadMatch;
  readonly backends: readonly PayloadBackend[];
  readonly load_balancer: string;
  readonly timeout: string;
  readonly retries: number;
  readonly circuit_breaker?: {
    readonly failure_threshold: number;
    readonly timeout: string;
    readonly half_open_max_calls: number;
  };
  readonly health_check?: {
    readonly path: string;
    readonly interval: string;
    readonly timeout: string;
    readonly healthy_threshold: number;
    readonly unhealthy_threshold: number;
    readonly expected_status: number;
  };
  readonly rate_limit?: { readonly requests_per_minute: number; readonly burst?: number };
  readonly waf_rule_sets?: readonly string[];
}

export interface RoutesPayload {
  readonly hostnames: readonly string[];
  readonly tls?: { readonly certificate: string };
  readonly routes: readonly PayloadRoute[];
}
