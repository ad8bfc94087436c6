/** Database rows → {@link JobRecord}: the one place that knows the column names and types. */
import { isJobState, type JobRecord } from './job-types.js';

/** The columns every job query returns, in the same order everywhere. */
export const JOB_COLUMNS = `id, kind, target, payload, state, singleton_key, schedule, attempts, max_attempts,
  timeout_ms, run_at, lease_expires_at, locked_by, cancel_requested, last_error, created_at, started_at, finished_at`;

export interface JobRow {
  id: string;
  kind: string;
  target: string;
  payload: unknown;
  state: string;
  singleton_key: string | null;
  schedule: string | null;
  attempts: number;
  max_attempts: number;
  timeout_ms: number;
  run_at: Date | string;
  lease_expires_at: Date | string | null;
  locked_by: string | null;
  cancel_requested: boolean;
  last_error: string | null;
  created_at: Date | string;
  started_at: Date | string | null;
  finished_at: Date | string | null;
}

function date(value: Date | string): Date {
  return value instanceof Date ? value : new Date(value);
}

function optionalDate(value: Date | string | null): Date | null {
  return value === null ? null : date(value);
}

export function toJobRecord(row: JobRow): JobRecord {
  if (!isJobState(row.state)) throw new Error(`job ${row.id} has an unknown state "${row.state}"`);
  return {
    id: row.id,
    kind: row.kind,
    target: row.target,
    payload: row.payload,
    state: row.state,
    singletonKey: row.singleton_key,
    schedule: row.schedule,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    timeoutMs: row.timeout_ms,
    runAt: date(row.run_at),
    leaseExpiresAt: optionalDate(row.lease_expires_at),
    lockedBy: row.locked_by,
    cancelRequested: row.cancel_requested,
    lastError: row.last_error,
    createdAt: date(row.created_at),
    startedAt: optionalDate(row.started_at),
    finishedAt: optionalDate(row.finished_at),
  };
}
