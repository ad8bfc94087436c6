/**
 * Every kind of background job and every schedule declared in code, registered here and only
 * here: later features (log rollups, partition archival, threat feeds, reports, notifications,
 * database backups and retention) add their kind — name, handler, timeout, retry policy — and
 * their schedule to this list.
 */
import type { Config } from '../config/index.js';
import { JobKinds } from '../storage/jobs/job-kind.js';
import { PRUNE_JOB_KIND, pruneJobKind } from '../storage/jobs/prune-job.js';
import type { Database } from '../storage/database.js';

/** The store as handlers see it: the database once connected, and why not otherwise. */
export interface JobStore {
  readonly database: Database | undefined;
  readonly status: string;
}

export function registerJobKinds(config: Config, store: JobStore): JobKinds {
  return new JobKinds()
    .register(pruneJobKind({ store, schema: config.databaseSchema, retentionDays: config.jobRetentionDays }))
    .schedule({ name: 'jobs-prune-hourly', cron: '17 * * * *', kind: PRUNE_JOB_KIND });
}
