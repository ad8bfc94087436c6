/**
 * Every SQL statement of the job queue. Claiming is one statement — an UPDATE over a
 * `FOR UPDATE SKIP LOCKED` sub-select — so replicas and workers never take the same job and
 * never wait on each other. Times come from the caller's clock, so tests can move them.
 */
import { randomUUID } from 'node:crypto';
import { identifier, type Queryable } from '../database.js';
import { JOB_COLUMNS, toJobRecord, type JobRow } from './job-rows.js';
import type { JobFilter, JobRecord } from './job-types.js';

export interface NewJob {
  readonly kind: string;
  readonly target: string;
  readonly payload: unknown;
  readonly singletonKey: string | null;
  readonly schedule: string | null;
  readonly runAt: Date;
  readonly maxAttempts: number;
  readonly backoffInitialMs: number;
  readonly backoffMaxMs: number;
  readonly timeoutMs: number;
}

export interface ClaimedJob extends JobRecord {
  readonly backoffInitialMs: number;
  readonly backoffMaxMs: number;
}

type ClaimedRow = JobRow & { backoff_initial_ms: number; backoff_max_ms: number };

function toClaimed(row: ClaimedRow): ClaimedJob {
  return { ...toJobRecord(row), backoffInitialMs: row.backoff_initial_ms, backoffMaxMs: row.backoff_max_ms };
}

const MAX_LIST = 1000;
const MAX_ERROR_TEXT = 2000;

export class JobRepository {
  private readonly jobs: string;

  constructor(
    private readonly db: Queryable,
    schema: string,
  ) {
    this.jobs = `${identifier(schema)}.jobs`;
  }

  /** The same statements on another connection (a transaction). */
  on(db: Queryable, schema: string): JobRepository {
    return new JobRepository(db, schema);
  }

  /** Inserts the job, or returns the unfinished job holding its singleton key. */
  async insert(job: NewJob, now: Date): Promise<{ job: JobRecord; created: boolean }> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const inserted = await this.db.query<JobRow>(
        `INSERT INTO ${this.jobs} (id, kind, target, payload, state, singleton_key, schedule, max_attempts,
           backoff_initial_ms, backoff_max_ms, timeout_ms, run_at, created_at)
         VALUES ($1, $2, $3, $4::jsonb, 'queued', $5, $6, $7, $8, $9, $10, $11, $12)
         ON CONFLICT (singleton_key) WHERE singleton_key IS NOT NULL AND state IN ('queued', 'retry', 'running')
         DO NOTHING
         RETURNING ${JOB_COLUMNS}`,
        [
          randomUUID(),
          job.kind,
          job.target,
          JSON.stringify(job.payload ?? {}),
          job.singletonKey,
          job.schedule,
          job.maxAttempts,
          job.backoffInitialMs,
          job.backoffMaxMs,
          job.timeoutMs,
          job.runAt,
          now,
        ],
      );
      const row = inserted.rows[0];
      if (row) return { job: toJobRecord(row), created: true };
      const holder = job.singletonKey === null ? undefined : await this.unfinishedWithKey(job.singletonKey);
      if (holder) return { job: holder, created: false };
      // The holder finished between the two statements: try the insert again.
    }
    throw new Error(
      `could not enqueue ${job.kind}: singleton key ${job.singletonKey ?? ''} kept changing hands`,
    );
  }

  /**
   * Takes up to `limit` due jobs of the given kinds for `runner`: queued or retrying ones whose time
   * has come, and running ones whose runner stopped renewing the lease (a killed process).
   */
  async claim(
    runner: string,
    kinds: readonly string[],
    limit: number,
    now: Date,
    leaseUntil: Date,
  ): Promise<ClaimedJob[]> {
    if (limit < 1 || kinds.length === 0) return [];
    const result = await this.db.query<ClaimedRow>(
      `${this.claimSql()} RETURNING ${JOB_COLUMNS}, backoff_initial_ms, backoff_max_ms`,
      [runner, leaseUntil, now, JSON.stringify(kinds), limit],
    );
    return result.rows.map(toClaimed);
  }

  /**
   * Records a batch of successes and claims jobs for the freed slots in one statement: one round trip and one commit
   * for a batch of short jobs and the jobs that take their places.
   */
  async finishAndClaim(
    ids: readonly string[],
    runner: string,
    kinds: readonly string[],
    limit: number,
    now: Date,
    leaseUntil: Date,
  ): Promise<{ held: Set<string>; claimed: ClaimedJob[] }> {
    const result = await this.db.query<{ finished: string[] | null; claimed: ClaimedRow[] | null }>(
      `WITH finished AS (
         UPDATE ${this.jobs} SET state = 'succeeded', finished_at = $3, lease_expires_at = NULL, locked_by = NULL
         WHERE id IN (SELECT (jsonb_array_elements_text($6::jsonb))::uuid) AND locked_by = $1 AND state = 'running'
         RETURNING id),
       claimed AS (${this.claimSql()} RETURNING ${JOB_COLUMNS}, backoff_initial_ms, backoff_max_ms)
       SELECT (SELECT json_agg(id) FROM finished) AS finished, (SELECT json_agg(claimed) FROM claimed) AS claimed`,
      [runner, leaseUntil, now, JSON.stringify(kinds), Math.max(0, limit), JSON.stringify(ids)],
    );
    const row = result.rows[0];
    return { held: new Set(row?.finished ?? []), claimed: (row?.claimed ?? []).map(toClaimed) };
  }

  /** The claiming UPDATE; parameters $1 runner, $2 lease end, $3 now, $4 kinds (JSON), $5 limit. */
  private claimSql(): string {
    return `UPDATE ${this.jobs} SET state = 'running', attempts = attempts + 1, locked_by = $1,
         lease_expires_at = $2, started_at = $3, cancel_requested = false
       WHERE id IN (
         SELECT id FROM ${this.jobs}
         WHERE kind IN (SELECT jsonb_array_elements_text($4::jsonb))
           AND attempts < max_attempts AND NOT cancel_requested
           AND ((state IN ('queued', 'retry') AND run_at <= $3) OR (state = 'running' AND lease_expires_at < $3))
         ORDER BY run_at, created_at
         LIMIT $5
         FOR UPDATE SKIP LOCKED)`;
  }

  /**
   * Running jobs whose lease ran out and that must not run again: dead when no attempt is left,
   * cancelled when a cancel was asked for. Returns how many of each.
   */
  async reapExpired(now: Date): Promise<{ dead: number; cancelled: number }> {
    const result = await this.db.query<{ state: string }>(
      `UPDATE ${this.jobs} SET
         state = CASE WHEN cancel_requested THEN 'cancelled' ELSE 'dead' END,
         finished_at = $1, lease_expires_at = NULL, locked_by = NULL,
         last_error = CASE WHEN cancel_requested THEN 'cancelled' ELSE
           'the process running it stopped (its lease expired) and no attempt is left' END
       WHERE state = 'running' AND lease_expires_at < $1 AND (cancel_requested OR attempts >= max_attempts)
       RETURNING state`,
      [now],
    );
    const dead = result.rows.filter((row) => row.state === 'dead').length;
    return { dead, cancelled: result.rows.length - dead };
  }

  /** Extends the leases `runner` holds; returns the ids whose cancellation was requested. */
  async renewLeases(
    runner: string,
    ids: readonly string[],
    leaseUntil: Date,
  ): Promise<{ held: string[]; cancel: string[] }> {
    if (ids.length === 0) return { held: [], cancel: [] };
    const result = await this.db.query<{ id: string; cancel_requested: boolean }>(
      `UPDATE ${this.jobs} SET lease_expires_at = $1
       WHERE id IN (SELECT (jsonb_array_elements_text($2::jsonb))::uuid) AND locked_by = $3 AND state = 'running'
       RETURNING id, cancel_requested`,
      [leaseUntil, JSON.stringify(ids), runner],
    );
    return {
      held: result.rows.map((row) => row.id),
      cancel: result.rows.filter((row) => row.cancel_requested).map((row) => row.id),
    };
  }

  /** Records an attempt's end; false when `runner` no longer held the job (its lease was lost). */
  async finish(
    id: string,
    runner: string,
    outcome:
      | { readonly state: 'succeeded' | 'cancelled' | 'dead'; readonly error?: string }
      | { readonly state: 'retry'; readonly runAt: Date; readonly error: string },
    now: Date,
  ): Promise<boolean> {
    const runAt = outcome.state === 'retry' ? outcome.runAt : null;
    const finished = outcome.state === 'retry' ? null : now;
    const error = outcome.error === undefined ? null : outcome.error.slice(0, MAX_ERROR_TEXT);
    const result = await this.db.query(
      `UPDATE ${this.jobs} SET state = $1, run_at = COALESCE($2, run_at), finished_at = $3,
         last_error = COALESCE($4, last_error), lease_expires_at = NULL, locked_by = NULL
       WHERE id = $5 AND locked_by = $6 AND state = 'running'`,
      [outcome.state, runAt, finished, error, id, runner],
    );
    return result.rowCount === 1;
  }

  /** Gives a job back without counting the attempt (the operator is stopping). */
  async release(id: string, runner: string): Promise<void> {
    await this.db.query(
      `UPDATE ${this.jobs} SET state = CASE WHEN attempts > 1 THEN 'retry' ELSE 'queued' END,
         attempts = attempts - 1, lease_expires_at = NULL, locked_by = NULL
       WHERE id = $1 AND locked_by = $2 AND state = 'running'`,
      [id, runner],
    );
  }

  async cancel(id: string, now: Date): Promise<JobRecord | undefined> {
    const result = await this.db.query<JobRow>(
      `UPDATE ${this.jobs} SET
         state = CASE WHEN state = 'running' THEN state ELSE 'cancelled' END,
         cancel_requested = (state = 'running'),
         finished_at = CASE WHEN state = 'running' THEN finished_at ELSE $2 END,
         last_error = CASE WHEN state = 'running' THEN last_error ELSE 'cancelled' END
       WHERE id = $1 AND state IN ('queued', 'retry', 'running')
       RETURNING ${JOB_COLUMNS}`,
      [id, now],
    );
    const row = result.rows[0];
    return row ? toJobRecord(row) : undefined;
  }

  async get(id: string): Promise<JobRecord | undefined> {
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) return undefined;
    const result = await this.db.query<JobRow>(`SELECT ${JOB_COLUMNS} FROM ${this.jobs} WHERE id = $1`, [id]);
    const row = result.rows[0];
    return row ? toJobRecord(row) : undefined;
  }

  async list(filter: JobFilter = {}): Promise<JobRecord[]> {
    const limit = Math.min(Math.max(filter.limit ?? 100, 1), MAX_LIST);
    const result = await this.db.query<JobRow>(
      `SELECT ${JOB_COLUMNS} FROM ${this.jobs}
       WHERE ($1::text IS NULL OR state = $1) AND ($2::text IS NULL OR kind = $2)
       ORDER BY created_at DESC, id LIMIT $3`,
      [filter.state ?? null, filter.kind ?? null, limit],
    );
    return result.rows.map(toJobRecord);
  }

  /** Queued and retrying jobs per kind, for the jobs_queued gauge. */
  async countQueued(): Promise<Map<string, number>> {
    const result = await this.db.query<{ kind: string; count: number }>(
      `SELECT kind, count(*)::int AS count FROM ${this.jobs} WHERE state IN ('queued', 'retry') GROUP BY kind`,
    );
    return new Map(result.rows.map((row) => [row.kind, row.count]));
  }

  /** Deletes finished jobs older than `before`; returns how many. */
  async prune(before: Date): Promise<number> {
    const result = await this.db.query(
      `DELETE FROM ${this.jobs} WHERE state IN ('succeeded', 'cancelled', 'dead') AND finished_at < $1`,
      [before],
    );
    return result.rowCount;
  }

  private async unfinishedWithKey(key: string): Promise<JobRecord | undefined> {
    const result = await this.db.query<JobRow>(
      `SELECT ${JOB_COLUMNS} FROM ${this.jobs} WHERE singleton_key = $1 AND state IN ('queued', 'retry', 'running')`,
      [key],
    );
    const row = result.rows[0];
    return row ? toJobRecord(row) : undefined;
  }
}
