/** `jobs.prune`: deletes finished jobs older than JOB_RETENTION_DAYS, so the table stays small. */
import { systemClock, type Clock } from '../../runtime/clock.js';
import type { Database } from '../database.js';
import { DEFAULT_RETRY, type JobKind } from './job-kind.js';
import { JobRepository } from './job-repository.js';

export const PRUNE_JOB_KIND = 'jobs.prune';

export interface PruneJobOptions {
  readonly store: { readonly database: Database | undefined; readonly status: string };
  readonly schema: string;
  readonly retentionDays: number;
  readonly clock?: Clock;
}

export function pruneJobKind(options: PruneJobOptions): JobKind {
  const clock = options.clock ?? systemClock;
  return {
    name: PRUNE_JOB_KIND,
    description: `deletes succeeded, cancelled and dead jobs finished more than ${options.retentionDays} days ago`,
    timeoutMs: 5 * 60_000,
    retry: DEFAULT_RETRY,
    async handler({ logger }) {
      const db = options.store.database;
      if (!db) throw new Error(`the job store is not available: ${options.store.status}`);
      const before = new Date(clock.now() - options.retentionDays * 86_400_000);
      const deleted = await new JobRepository(db, options.schema).prune(before);
      logger.info('finished jobs pruned', { deleted, finishedBefore: before.toISOString() });
    },
  };
}
