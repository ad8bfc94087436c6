/**
 * The status a RouteConfig shows: Accepted and ResolvedRefs from the compiler, Synced and
 * Programmed from what the gateways answered, and Ready when all hold. Pure.
 */
import { statusOf, type RouteConfig, type RouteConfigStatus } from '../../api/v1alpha1/index.js';
import type { RouteConfigResult } from '../../domain/routes/index.js';
import type { PushStatus } from '../../push/push-status.js';
import { gatewaysStatus, syncedCondition } from '../../push/status-fields.js';
import { findCondition, setCondition } from '../../runtime/status/conditions.js';

export function routeConfigStatus(
  rc: RouteConfig,
  result: RouteConfigResult,
  push: PushStatus,
  lastGood: { readonly revision: number | undefined; readonly generation: number } | undefined,
  now: Date,
): RouteConfigStatus {
  const observedGeneration = rc.metadata.generation;
  const previous = statusOf(rc)?.conditions;
  let conditions = setCondition(
    previous,
    {
      type: 'Accepted',
      ...result.accepted,
      message: lastGood
        ? `${result.accepted.message} The last valid version of this RouteConfig (${
            lastGood.revision === undefined
              ? `generation ${lastGood.generation}`
              : `revision ${lastGood.revision}, stored from generation ${lastGood.generation}`
          }) stays in service.`
        : result.accepted.message,
      observedGeneration,
    },
    now,
  );
  conditions = setCondition(
    conditions,
    { type: 'ResolvedRefs', ...result.resolvedRefs, observedGeneration },
    now,
  );
  conditions = syncedCondition(conditions, push, observedGeneration, now);
  const synced = findCondition(conditions, 'Synced');
  if (synced) {
    // Gateway API's name for the same fact; Synced is what every pushed kind shows.
    conditions = setCondition(conditions, { ...synced, type: 'Programmed', observedGeneration }, now);
  }
  const failing = ['Accepted', 'ResolvedRefs', 'Programmed']
    .map((type) => findCondition(conditions, type))
    .find((c) => c?.status !== 'True');
  conditions = setCondition(
    conditions,
    failing
      ? {
          type: 'Ready',
          status: 'False',
          reason: failing.reason,
          message: failing.message,
          observedGeneration,
        }
      : {
          type: 'Ready',
          status: 'True',
          reason: 'Ready',
          message: `${result.routesShipped} of ${result.routesTotal} routes are served by ${push.summary} gateways.`,
          observedGeneration,
        },
    now,
  );
  return { conditions, gateways: gatewaysStatus(push) };
}
