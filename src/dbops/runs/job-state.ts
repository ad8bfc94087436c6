/**
 * A resource's newest job, found by the singleton key all its runs share (scheduled or not), so
 * its status can say Queued or Running before the run has recorded anything, and show the job
 * queue's last error when a run died before it could record one.
 */
import { identifier, type Queryable } from '../../storage/database.js';
import { JOB_COLUMNS, toJobRecord, type JobRow } from '../../storage/jobs/job-rows.js';
import type { JobRecord } from '../../storage/jobs/job-types.js';

export async function newestJob(
  db: Queryable,
  schema: string,
  singletonKey: string,
): Promise<JobRecord | undefined> {
  const result = await db.query<JobRow>(
    `SELECT ${JOB_COLUMNS} FROM ${identifier(schema)}.jobs WHERE singleton_key = $1 ORDER BY created_at DESC LIMIT 1`,
    [singletonKey],
  );
  const row = result.rows[0];
  return row ? toJobRecord(row) : undefined;
}
