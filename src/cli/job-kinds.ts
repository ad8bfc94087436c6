/**
 * Every kind of background job and every schedule declared in code, registered here and only
 * here: later features (log rollups, partition archival, threat feeds, reports, notifications,
 * database backups and retention) add their kind — name, handler, timeout, retry policy — and
 * their schedule to this list.
 */
import type { Config } from '../config/index.js';
import { dbopsJobKinds, type DbopsDeps } from '../dbops/jobs/index.js';
import { JobKinds } from '../storage/jobs/job-kind.js';
import { reportJobKind, type ReportJobDeps } from '../reports/report-job.js';
import { NOTIFY_PRUNE_JOB_KIND, notifyPruneJobKind } from '../notify/prune-job.js';
import { PRUNE_JOB_KIND, pruneJobKind } from '../storage/jobs/prune-job.js';
import type { Database } from '../storage/database.js';
import type { ObjectStore } from '../storage/object-store.js';
import {
  DOWNSAMPLE_JOB_KIND,
  PARTITIONS_JOB_KIND,
  RETENTION_JOB_KIND,
  telemetryJobKinds,
} from '../telemetry/job-kinds.js';
import { retentionSettings } from '../telemetry/settings.js';

/** The store as handlers see it: the database once connected, and why not otherwise. */
export interface JobStore {
  readonly database: Database | undefined;
  readonly status: string;
}

export interface JobResources {
  /** The object store for archives, once opened; undefined when none is configured. */
  readonly objectStore?: () => ObjectStore | undefined;
  /**
   * What the database operations' jobs need (the operator passes it; the `jobs` CLI does not, and
   * only lists or enqueues them). Their schedules belong to their resources and are declared by
   * the database controllers, not here.
   */
  readonly dbops?: () => DbopsDeps | undefined;
  /** What scheduled reports need (the operator's; each Report's controller declares its schedule). */
  readonly reports?: () => ReportJobDeps | undefined;
}

export function registerJobKinds(config: Config, store: JobStore, resources: JobResources = {}): JobKinds {
  const kinds = new JobKinds()
    .register(pruneJobKind({ store, schema: config.databaseSchema, retentionDays: config.jobRetentionDays }))
    .schedule({ name: 'jobs-prune-hourly', cron: '17 * * * *', kind: PRUNE_JOB_KIND })
    .register(
      notifyPruneJobKind({
        store,
        schema: config.databaseSchema,
        sentRetentionDays: config.notifySentRetentionDays,
        deadRetentionDays: config.notifyDeadRetentionDays,
      }),
    )
    .schedule({ name: 'notify-prune-hourly', cron: '27 * * * *', kind: NOTIFY_PRUNE_JOB_KIND });
  for (const kind of telemetryJobKinds({
    store,
    schema: config.databaseSchema,
    retention: retentionSettings(config),
    topCapacity: config.telemetryTopK,
    objectStore: resources.objectStore ?? (() => undefined),
  }))
    kinds.register(kind);
  for (const kind of dbopsJobKinds(resources.dbops ?? (() => undefined))) kinds.register(kind);
  kinds.register(reportJobKind(resources.reports ?? (() => undefined)));
  return kinds
    .schedule({ name: 'telemetry-downsample', cron: '*/5 * * * *', kind: DOWNSAMPLE_JOB_KIND })
    .schedule({ name: 'telemetry-retention-hourly', cron: '23 * * * *', kind: RETENTION_JOB_KIND })
    .schedule({ name: 'telemetry-partitions-hourly', cron: '7 * * * *', kind: PARTITIONS_JOB_KIND });
}
