/**
 * A ThreatPolicy scenario as the correlation engine runs it: plain data, compiled once from the
 * spec (durations in milliseconds, lists as sets), so matching an event is a handful of set
 * lookups. The shape is CrowdSec's leaky bucket: a filter, a grouping key, a bucket that leaks
 * one event per `leakMs` and overflows past `capacity`, and what an overflow decides.
 */
import { formatV4, formatV6, parseCidr, scanV4 } from './cidrs.js';

export type LogType = 'security';
export type GroupBy = 'ip' | 'range' | 'asn' | 'header';
export type DecisionType = 'ban' | 'rate_limit' | 'log';
export type DecisionScope = 'ip' | 'range';
export type PolicyMode = 'Enforce' | 'DryRun';

/** What the engine correlates: a security event reduced to the fields scenarios read. */
export interface CorrelationEvent {
  readonly timeMs: number;
  readonly gatewayId: string;
  readonly logType: LogType;
  readonly clientIp: string;
  readonly threatType: string;
  readonly ruleId: string;
  readonly action: string;
  readonly statusCode: number;
  /** Path without the query string. */
  readonly path: string;
  readonly host: string;
  readonly route: string;
  readonly asn: string;
  /** Lowercase header names; empty when the source did not carry headers. */
  readonly headers?: Readonly<Record<string, string>>;
}

export interface ScenarioFilter {
  readonly logTypes?: ReadonlySet<string>;
  readonly threatTypes?: ReadonlySet<string>;
  readonly ruleIds?: ReadonlySet<string>;
  readonly actions?: ReadonlySet<string>;
  readonly statusCodes?: ReadonlySet<number>;
  /** An event matches when its path starts with one of them. */
  readonly pathPrefixes?: readonly string[];
  readonly hosts?: ReadonlySet<string>;
}

export interface ScenarioResponse {
  readonly type: DecisionType;
  readonly durationMs: number;
  /** Each repeat offence doubles the duration, up to this; undefined: no escalation. */
  readonly maxDurationMs: number | undefined;
  /** How long after a decision expires a new one on the same value still counts as a repeat. */
  readonly escalationWindowMs: number;
  readonly scope: DecisionScope;
}

export interface Scenario {
  /** `namespace/policy/scenario`: unique across policies. */
  readonly id: string;
  readonly filter: ScenarioFilter;
  readonly groupBy: GroupBy;
  /** Header name (lowercase) when groupBy is header. */
  readonly header: string | undefined;
  readonly capacity: number;
  readonly leakMs: number;
  readonly distinct: 'path' | 'host' | 'ruleId' | 'route' | undefined;
  readonly response: ScenarioResponse;
  readonly mode: PolicyMode;
}

export function matchesFilter(filter: ScenarioFilter, event: CorrelationEvent): boolean {
  if (filter.logTypes && !filter.logTypes.has(event.logType)) return false;
  if (filter.threatTypes && !filter.threatTypes.has(event.threatType)) return false;
  if (filter.ruleIds && !filter.ruleIds.has(event.ruleId)) return false;
  if (filter.actions && !filter.actions.has(event.action)) return false;
  if (filter.statusCodes && !filter.statusCodes.has(event.statusCode)) return false;
  if (filter.hosts && !filter.hosts.has(event.host)) return false;
  if (filter.pathPrefixes && !filter.pathPrefixes.some((p) => event.path.startsWith(p))) return false;
  return true;
}

/** The bucket an event falls in, or undefined when it has nothing to group by. */
export function groupKey(scenario: Scenario, event: CorrelationEvent): string | undefined {
  switch (scenario.groupBy) {
    case 'ip':
      return event.clientIp || undefined;
    case 'range':
      return rangeOf(event.clientIp);
    case 'asn':
      return event.asn || undefined;
    case 'header':
      return (scenario.header && event.headers?.[scenario.header]) || undefined;
  }
}

/** The IPv4 /24 or IPv6 /64 holding an address, as a CIDR; undefined for anything else. */
export function rangeOf(address: string): string | undefined {
  const v4 = scanV4(address, 0, address.length);
  if (v4?.family === 4)
    return v4.prefix === 32 ? `${formatV4((v4.network & 0xffffff00) >>> 0)}/24` : undefined;
  const cidr = parseCidr(address);
  if (cidr?.family !== 6 || cidr.prefix !== 128) return undefined;
  return `${formatV6(cidr.network & ~((1n << 64n) - 1n))}/64`;
}

/**
 * What a decision of this scenario covers: the bucket's own range, the tipping event's address,
 * or that address's /24 (/64). Undefined when the event carries no usable address.
 */
export function decisionValue(scenario: Scenario, key: string, event: CorrelationEvent): string | undefined {
  if (scenario.response.scope === 'range')
    return scenario.groupBy === 'range' ? key : rangeOf(event.clientIp);
  const address = parseCidr(event.clientIp);
  return address && (address.prefix === 32 || address.prefix === 128) ? event.clientIp : undefined;
}

/**
 * The duration of a decision for an offender already decided `priorOffences` times: doubled
 * each time, never beyond the maximum (and never below the base).
 */
export function escalatedDuration(response: ScenarioResponse, priorOffences: number): number {
  if (response.maxDurationMs === undefined || priorOffences <= 0) return response.durationMs;
  const max = Math.max(response.maxDurationMs, response.durationMs);
  // 2^31 and beyond overflows any sane maximum: cap the exponent instead of computing it.
  const factor = 2 ** Math.min(priorOffences, 31);
  return Math.min(response.durationMs * factor, max);
}
