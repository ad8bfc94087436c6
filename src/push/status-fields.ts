/**
 * What every pushed kind shows about its gateways: `status.gateways` ({selected, synced, failed,
 * summary} — the "3/3" of `kubectl get`) and the `Synced` condition, with each refusing
 * gateway's message. Pure, so each kind's controller merges it into the status it writes.
 */
import { setCondition, type Condition } from '../runtime/status/conditions.js';
import type { PushStatus } from './push-status.js';

export interface GatewaysStatus {
  selected: number;
  synced: number;
  failed: number;
  summary: string;
}

/** How many refusals a condition message lists before it summarises the rest. */
const LISTED_FAILURES = 5;

export function gatewaysStatus(push: PushStatus): GatewaysStatus {
  return { selected: push.selected, synced: push.synced, failed: push.failed, summary: push.summary };
}

export function syncedCondition(
  conditions: readonly Condition[] | undefined,
  push: PushStatus,
  observedGeneration: number | undefined,
  now: Date,
): Condition[] {
  if (push.failed > 0) {
    const listed = push.failures.slice(0, LISTED_FAILURES).map((f) => `${f.gateway}: ${f.message}`);
    const more = push.failures.length - listed.length;
    return setCondition(
      conditions,
      {
        type: 'Synced',
        status: 'False',
        reason: 'Rejected',
        message: `${push.failed} of ${push.selected} gateways rejected the current revision and keep serving their last good one: ${listed.join('; ')}${more > 0 ? `; and ${more} more` : ''}`,
        observedGeneration,
      },
      now,
    );
  }
  if (push.selected === 0) {
    return setCondition(
      conditions,
      {
        type: 'Synced',
        status: 'False',
        reason: 'NoGateways',
        message: 'No gateway pod matches the gateway selector; nothing to push to yet.',
        observedGeneration,
      },
      now,
    );
  }
  const done = push.synced === push.selected;
  return setCondition(
    conditions,
    {
      type: 'Synced',
      status: done ? 'True' : 'False',
      reason: done ? 'Synced' : 'Pending',
      message: done
        ? `All ${push.selected} selected gateways applied the current revision.`
        : `${push.synced} of ${push.selected} gateways applied the current revision; waiting for the rest.`,
      observedGeneration,
    },
    now,
  );
}
