/**
 * Decisions as data: how a new decision merges with what is stored for the same (scope, value)
 * — one row per value, never a duplicate; the longer expiry and the stronger type win; a repeat
 * offence doubles the duration — and which decisions are in force at a given moment, as the
 * range list pushed to the gateways. No I/O: the service (src/threats/decision-service.ts)
 * reads and writes storage around these.
 */
import { CidrCollector } from './aggregate.js';
import { formatV4, formatV6, parseCidr } from './cidrs.js';
import { EMPTY_RANGES, type RangeSet } from './ip-ranges.js';
import { escalatedDuration, type DecisionScope, type ScenarioResponse } from './scenario.js';

export type StoredDecisionType = 'ban' | 'rate_limit';

export interface Decision {
  readonly scope: DecisionScope;
  /** An address (scope ip) or a CIDR (scope range), in canonical text. */
  readonly value: string;
  readonly type: StoredDecisionType;
  /** `scenario` for a ThreatPolicy's decision, `manual` for the CLI's. */
  readonly origin: 'scenario' | 'manual';
  /** `namespace/policy/scenario`, or `manual`. */
  readonly scenario: string;
  readonly reason: string;
  /** How many decisions this value has had in a row (each within the escalation window of the last). */
  readonly offences: number;
  readonly createdAtMs: number;
  readonly updatedAtMs: number;
  readonly untilMs: number;
}

export interface DecisionRequest {
  readonly scope: DecisionScope;
  readonly value: string;
  readonly type: StoredDecisionType;
  readonly origin: Decision['origin'];
  readonly scenario: string;
  readonly reason: string;
  /** Base duration and escalation; a manual decision has a fixed duration and no escalation. */
  readonly response: Pick<ScenarioResponse, 'durationMs' | 'maxDurationMs' | 'escalationWindowMs'>;
}

export function isActive(decision: Decision, nowMs: number): boolean {
  return decision.untilMs > nowMs;
}

/**
 * The decision to store for `request`, given what is stored for the same value. A value still
 * decided, or decided within the escalation window, is a repeat offence: its duration doubles
 * (up to the maximum) and the expiry only ever moves later while it is in force.
 */
export function mergeDecision(
  existing: Decision | undefined,
  request: DecisionRequest,
  nowMs: number,
): Decision {
  const active = existing !== undefined && isActive(existing, nowMs);
  const repeat =
    existing !== undefined && (active || existing.untilMs + request.response.escalationWindowMs >= nowMs);
  const offences = repeat ? existing.offences + 1 : 1;
  const durationMs = escalatedDuration(
    { ...request.response, type: 'ban', scope: request.scope },
    offences - 1,
  );
  const until = nowMs + durationMs;
  return {
    scope: request.scope,
    value: request.value,
    type: active && existing.type === 'ban' ? 'ban' : request.type,
    origin: request.origin,
    scenario: request.scenario,
    reason: request.reason,
    offences,
    createdAtMs: active ? existing.createdAtMs : nowMs,
    updatedAtMs: nowMs,
    untilMs: active ? Math.max(existing.untilMs, until) : until,
  };
}

/** The canonical (scope, value) of an address or CIDR typed by a user, or why it is not one. */
export function normalizeValue(text: string): { scope: DecisionScope; value: string } | { problem: string } {
  const trimmed = text.trim();
  const cidr = parseCidr(trimmed);
  if (!cidr)
    return {
      problem: `"${text}" is not an IPv4 or IPv6 address or CIDR (e.g. 203.0.113.7 or 203.0.113.0/24)`,
    };
  const address = cidr.family === 4 ? formatV4(cidr.network) : formatV6(cidr.network);
  if (cidr.prefix === (cidr.family === 4 ? 32 : 128)) return { scope: 'ip', value: address };
  const host = parseCidr(trimmed.slice(0, trimmed.indexOf('/')));
  if (host && host.network !== cidr.network)
    return { problem: `"${text}" has host bits set: write its network, ${address}/${cidr.prefix}` };
  return { scope: 'range', value: `${address}/${cidr.prefix}` };
}

/** The bans in force at `nowMs`, as the range list pushed to the gateways. */
export function activeBans(decisions: Iterable<Decision>, nowMs: number): RangeSet {
  const collector = new CidrCollector();
  let any = false;
  for (const d of decisions) {
    if (d.type !== 'ban' || !isActive(d, nowMs)) continue;
    const cidr = parseCidr(d.value);
    if (!cidr) continue;
    // A broad manual range is refused when it is added; one that slipped in is skipped, not fatal.
    if (collector.add(cidr) === undefined) any = true;
  }
  return any ? collector.ranges() : EMPTY_RANGES;
}

/** When the next decision in force expires, if any: the moment to publish again. */
export function nextExpiry(decisions: Iterable<Decision>, nowMs: number): number | undefined {
  let next: number | undefined;
  for (const d of decisions)
    if (isActive(d, nowMs) && (next === undefined || d.untilMs < next)) next = d.untilMs;
  return next;
}
