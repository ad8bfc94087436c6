/**
 * `notify.prune`: deletes deliveries from the outbox once they are old — sent ones after
 * NOTIFY_SENT_RETENTION_DAYS, dead letters after NOTIFY_DEAD_RETENTION_DAYS — and resolved or
 * one-off alerts unchanged for NOTIFY_SENT_RETENTION_DAYS (long after their resolved message
 * went out), so the tables stay small. Dead letters are kept longer: they are what someone looks into after an outage
 * (`gateway-worker notify dead-letters`). A channel's counts in its status are kept apart
 * (notify_channel_stats) and are not changed by pruning.
 */
import { systemClock, type Clock } from '../runtime/clock.js';
import type { Database } from '../storage/database.js';
import { DEFAULT_RETRY, type JobKind } from '../storage/jobs/job-kind.js';
import { NotifyRepository } from './notify-repository.js';

export const NOTIFY_PRUNE_JOB_KIND = 'notify.prune';

const DAY_MS = 86_400_000;

export interface NotifyPruneOptions {
  readonly store: { readonly database: Database | undefined; readonly status: string };
  readonly schema: string;
  readonly sentRetentionDays: number;
  readonly deadRetentionDays: number;
  readonly clock?: Clock;
}

export function notifyPruneJobKind(options: NotifyPruneOptions): JobKind {
  const clock = options.clock ?? systemClock;
  return {
    name: NOTIFY_PRUNE_JOB_KIND,
    description: `deletes notification deliveries and resolved alerts older than ${options.sentRetentionDays} days and dead letters older than ${options.deadRetentionDays} days`,
    timeoutMs: 5 * 60_000,
    retry: DEFAULT_RETRY,
    async handler({ logger }) {
      const db = options.store.database;
      if (!db) throw new Error(`the job store is not available: ${options.store.status}`);
      const now = clock.now();
      const sentBefore = new Date(now - options.sentRetentionDays * DAY_MS);
      const deadBefore = new Date(now - options.deadRetentionDays * DAY_MS);
      const repository = new NotifyRepository(db, options.schema);
      const deliveries = await repository.pruneDeliveries(sentBefore, deadBefore);
      const alerts = await repository.pruneAlerts(sentBefore);
      logger.info('notification deliveries and alerts pruned', {
        deliveries,
        alerts,
        sentBefore: sentBefore.toISOString(),
        deadBefore: deadBefore.toISOString(),
      });
    },
  };
}
