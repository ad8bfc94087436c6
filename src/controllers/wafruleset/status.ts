/**
 * The status a WafRuleSet shows, from what the reconcile found: whether the latest spec compiled
 * and passed its tests, which revision is in service, whether gateways refused a revision and
 * the controller fell back, and how many gateways applied it. Pure.
 */
import { statusOf, type WafRuleSet, type WafRuleSetStatus } from '../../api/v1alpha1/index.js';
import { gatewaysStatus, syncedCondition } from '../../push/status-fields.js';
import type { PushStatus } from '../../push/push-status.js';
import { findCondition, setCondition, type Condition } from '../../runtime/status/conditions.js';
import type { Revision } from './revisions.js';

export interface WafProblemView {
  readonly rule?: string;
  readonly path: string;
  readonly message: string;
}

export interface Outcome {
  /** Why the latest spec cannot be served; empty when it compiled and passed its tests. */
  readonly problems: readonly WafProblemView[];
  readonly testsFailed: boolean;
  /** The revision of the latest spec, when it compiled and passed its tests. */
  readonly candidate: Revision | undefined;
  /** The revision published to the gateways. */
  readonly served: Revision | undefined;
  readonly push: PushStatus;
}

/** How many problems a condition message quotes; all are in status.errors. */
const QUOTED = 3;

export function wafRuleSetStatus(rs: WafRuleSet, outcome: Outcome, now: Date): WafRuleSetStatus {
  const generation = rs.metadata.generation;
  const previous = statusOf(rs)?.conditions;
  let conditions = setCondition(previous, compiledCondition(outcome, generation), now);
  conditions = setCondition(conditions, degradedCondition(outcome, generation), now);
  conditions = syncedCondition(conditions, outcome.push, generation, now);
  conditions = setCondition(conditions, readyCondition(conditions, outcome, generation), now);
  const { served } = outcome;
  return {
    conditions,
    ...(served ? { revision: served.revision, hash: served.hash, ruleCount: served.ruleCount } : {}),
    errors: outcome.problems.slice(0, 256).map((p) => ({ ...p })),
    gateways: gatewaysStatus(outcome.push),
  };
}

function inService(served: Revision | undefined): string {
  return served ? `revision ${served.revision} stays in service` : 'nothing is in service yet';
}

function compiledCondition(outcome: Outcome, observedGeneration: number | undefined) {
  const { problems, candidate, served } = outcome;
  if (problems.length > 0) {
    const quoted = problems.slice(0, QUOTED).map((p) => `${p.path}: ${p.message}`);
    const more = problems.length > QUOTED ? `; and ${problems.length - QUOTED} more in status.errors` : '';
    return {
      type: 'Compiled',
      status: 'False' as const,
      reason: outcome.testsFailed ? 'TestsFailed' : 'CompileFailed',
      message: `${outcome.testsFailed ? 'Tests failed' : 'The rules do not compile'}, so ${inService(served)}: ${quoted.join('; ')}${more}`,
      observedGeneration,
    };
  }
  return {
    type: 'Compiled',
    status: 'True' as const,
    reason: 'Compiled',
    message: candidate
      ? `Revision ${candidate.revision} compiled: ${candidate.ruleCount} rules, every test passed.`
      : 'Compiled.',
    observedGeneration,
  };
}

function degradedCondition(outcome: Outcome, observedGeneration: number | undefined) {
  const { candidate, served } = outcome;
  if (candidate?.rejected !== undefined) {
    const fellBack = served && served.hash !== candidate.hash;
    return {
      type: 'Degraded',
      status: 'True' as const,
      reason: fellBack ? 'RolledBack' : 'Rejected',
      message: fellBack
        ? `Gateways rejected revision ${candidate.revision}, so revision ${served.revision} is served again: ${candidate.rejected}`
        : `Gateways rejected revision ${candidate.revision} and keep their last good rules; no earlier revision was ever applied everywhere to roll back to: ${candidate.rejected}`,
      observedGeneration,
    };
  }
  return {
    type: 'Degraded',
    status: 'False' as const,
    reason: 'AsExpected',
    message: 'No gateway rejected the current revision.',
    observedGeneration,
  };
}

function readyCondition(
  conditions: readonly Condition[],
  outcome: Outcome,
  observedGeneration: number | undefined,
) {
  for (const type of ['Compiled', 'Degraded', 'Synced']) {
    const c = findCondition(conditions, type);
    const bad = type === 'Degraded' ? c?.status === 'True' : c?.status !== 'True';
    if (c && bad) {
      return {
        type: 'Ready',
        status: 'False' as const,
        reason: c.reason,
        message: c.message,
        observedGeneration,
      };
    }
  }
  const served = outcome.served;
  return {
    type: 'Ready',
    status: 'True' as const,
    reason: 'Ready',
    message: served
      ? `Revision ${served.revision} (${served.ruleCount} rules) is applied by ${outcome.push.summary} gateways.`
      : 'Ready.',
    observedGeneration,
  };
}
