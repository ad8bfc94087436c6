/**
 * A ThreatPolicy's spec compiled into the scenarios the correlation engine runs: durations to
 * milliseconds, lists to sets, ids qualified by the policy so scenarios of different policies
 * never share buckets or decisions.
 */
import type { ThreatPolicySpec, ThreatScenarioSpec } from '../../api/v1alpha1/index.js';
import { durationMillis } from '../../api/v1alpha1/checks/duration.js';
import type { Scenario, ScenarioFilter } from './scenario.js';

export function scenarioId(policy: string, scenario: string): string {
  return `${policy}/${scenario}`;
}

/** `policy` is `namespace/name`. The spec has passed the schema (the API server or `validate`). */
export function compilePolicy(policy: string, spec: ThreatPolicySpec): Scenario[] {
  return spec.scenarios.map((s) => compileScenario(policy, spec.mode, s));
}

function compileScenario(policy: string, mode: ThreatPolicySpec['mode'], s: ThreatScenarioSpec): Scenario {
  const durationMs = durationMillis(s.response.duration);
  return {
    id: scenarioId(policy, s.name),
    filter: compileFilter(s.filter),
    groupBy: s.groupBy.key,
    header: s.groupBy.header?.toLowerCase(),
    capacity: s.bucket.capacity,
    leakMs: Math.max(1, durationMillis(s.bucket.leakSpeed)),
    distinct: s.distinct,
    response: {
      type: s.response.type,
      durationMs,
      maxDurationMs: s.response.escalation ? durationMillis(s.response.escalation.maxDuration) : undefined,
      escalationWindowMs: s.response.escalation ? durationMillis(s.response.escalation.window) : 0,
      scope: s.response.scope,
    },
    mode,
  };
}

function compileFilter(filter: ThreatScenarioSpec['filter']): ScenarioFilter {
  if (!filter) return {};
  const set = <T>(values: readonly T[] | undefined): ReadonlySet<T> | undefined =>
    values && values.length > 0 ? new Set(values) : undefined;
  return {
    logTypes: set(filter.logTypes),
    threatTypes: set(filter.threatTypes),
    ruleIds: set(filter.ruleIds),
    actions: set(filter.actions),
    statusCodes: set(filter.statusCodes),
    pathPrefixes: filter.pathPrefixes && filter.pathPrefixes.length > 0 ? filter.pathPrefixes : undefined,
    hosts: set(filter.hosts),
  };
}
