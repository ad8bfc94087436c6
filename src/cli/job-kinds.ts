/**
 * Every kind of background job and every schedule declared in code, registered here and only
 * here: later features (log rollups, partition archival, threat feeds, reports, notifications,
 * database backups and retention) add their kind — name, handler, timeout, retry policy — and
 * their schedule to this list.
 */
import type { Config } from '../config/index.js';
import { dbopsJobKinds, type DbopsDeps } from '../dbops/jobs/index.js';
import { JobKinds } from '../storage/jobs/job-kind.js';
import { PRUNE_JOB_KIND, pruneJobKind } from '../storage/jobs/prune-job.js';
import type { Database } from '../storage/database.js';

/** The store as handlers see it: the database once connected, and why not otherwise. */
export interface JobStore {
  readonly database: Database | undefined;
  readonly status: string;
}

/**
 * `dbops` gives the database operations' jobs what they need (the operator passes it; the `jobs`
 * CLI does not, and only lists or enqueues them). Their schedules belong to their resources and
 * are declared by the database controllers, not here.
 */
export function registerJobKinds(
  config: Config,
  store: JobStore,
  dbops: () => DbopsDeps | undefined = () => undefined,
): JobKinds {
  const kinds = new JobKinds()
    .register(pruneJobKind({ store, schema: config.databaseSchema, retentionDays: config.jobRetentionDays }))
    .schedule({ name: 'jobs-prune-hourly', cron: '17 * * * *', kind: PRUNE_JOB_KIND });
  for (const kind of dbopsJobKinds(dbops)) kinds.register(kind);
  return kinds;
}
