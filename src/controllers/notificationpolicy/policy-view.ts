/**
 * A NotificationPolicy as the dispatcher reads it: durations in milliseconds, channels as
 * namespace/name keys, matchers checked. Pure; a policy whose matchers do not compile gives the
 * problem instead (the API server cannot check a regular expression compiles).
 */
import { durationMillis } from '../../api/v1alpha1/checks/duration.js';
import type { NotificationPolicy } from '../../api/v1alpha1/index.js';
import { matcherProblem } from '../../domain/notify/matchers.js';
import type { PolicyView } from '../../domain/notify/policy.js';

export type PolicyViewResult =
  { readonly ok: true; readonly view: PolicyView } | { readonly ok: false; readonly problem: string };

export function policyView(policy: NotificationPolicy): PolicyViewResult {
  const namespace = policy.metadata.namespace ?? '';
  const { spec } = policy;
  const matchers = spec.matchers ?? [];
  for (const [i, matcher] of matchers.entries()) {
    const problem = matcherProblem(matcher);
    if (problem) return { ok: false, problem: `spec.matchers[${i}].value: ${problem}` };
  }
  return {
    ok: true,
    view: {
      key: `${namespace}/${policy.metadata.name ?? ''}`,
      namespace,
      eventTypes: spec.eventTypes ?? [],
      severities: spec.severities ?? [],
      matchers,
      groupBy: spec.groupBy,
      timing: {
        groupWaitMs: durationMillis(spec.groupWait),
        groupIntervalMs: durationMillis(spec.groupInterval),
        repeatIntervalMs: durationMillis(spec.repeatInterval),
      },
      sendResolved: spec.sendResolved,
      channels: spec.channels.map((c) => `${namespace}/${c.name}`),
    },
  };
}
