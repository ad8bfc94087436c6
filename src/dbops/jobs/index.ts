/** The job kinds of the database operations, for src/cli/job-kinds.ts to register. */
import type { JobKind } from '../../storage/jobs/job-kind.js';
import { backupOperation } from './backup-job.js';
import { checkOperation } from './check-job.js';
import { maintenanceOperation } from './maintenance-job.js';
import { migrateOperation } from './migrate-job.js';
import { operationJobKind, type DbopsDeps } from './operation-job.js';
import { retentionOperation } from './retention-job.js';

export type { DbopsDeps } from './operation-job.js';

/**
 * `deps` is undefined in a process without the operator's clients (the `jobs` CLI): the kinds
 * are known there, so jobs can be listed and enqueued, but only the operator runs them.
 */
export function dbopsJobKinds(deps: () => DbopsDeps | undefined): JobKind[] {
  return [
    operationJobKind(checkOperation, deps),
    operationJobKind(migrateOperation, deps),
    operationJobKind(retentionOperation, deps),
    operationJobKind(backupOperation, deps),
    operationJobKind(maintenanceOperation, deps),
  ];
}
