/**
 * The `dbops_runs` table of the worker's own store: one row per attempt of a database operation's
 * job, with what it did (`summary`), so the controller can write the resource's status from
 * whichever replica ran it. The newest 50 runs of a resource are kept.
 */
import { identifier, type Queryable } from '../../storage/database.js';

export type RunOutcome = 'running' | 'succeeded' | 'failed';

export interface ResourceRef {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
}

export interface RunRecord extends ResourceRef {
  readonly job: string;
  readonly attempt: number;
  readonly trigger: string;
  readonly startedAt: Date;
  readonly finishedAt: Date | undefined;
  readonly outcome: RunOutcome;
  readonly reason: string;
  readonly message: string;
  readonly summary: Readonly<Record<string, unknown>>;
}

interface RunRow {
  job_id: string;
  attempt: number;
  kind: string;
  namespace: string;
  name: string;
  trigger: string;
  started_at: Date | string;
  finished_at: Date | string | null;
  outcome: RunOutcome;
  reason: string;
  message: string;
  summary: Record<string, unknown> | string;
}

const KEEP_PER_RESOURCE = 50;
const MAX_MESSAGE = 8192;

function toRecord(row: RunRow): RunRecord {
  return {
    job: row.job_id,
    attempt: row.attempt,
    kind: row.kind,
    namespace: row.namespace,
    name: row.name,
    trigger: row.trigger,
    startedAt: new Date(row.started_at),
    finishedAt: row.finished_at === null ? undefined : new Date(row.finished_at),
    outcome: row.outcome,
    reason: row.reason,
    message: row.message,
    summary:
      typeof row.summary === 'string' ? (JSON.parse(row.summary) as Record<string, unknown>) : row.summary,
  };
}

export class RunStore {
  private readonly table: string;

  constructor(
    private readonly db: Queryable,
    schema: string,
  ) {
    this.table = `${identifier(schema)}.dbops_runs`;
  }

  async start(
    run: ResourceRef & { job: string; attempt: number; trigger: string; startedAt: Date },
  ): Promise<void> {
    await this.db.query(
      `INSERT INTO ${this.table} (job_id, attempt, kind, namespace, name, trigger, started_at, outcome)
       VALUES ($1, $2, $3, $4, $5, $6, $7, 'running')
       ON CONFLICT (job_id, attempt) DO UPDATE SET started_at = EXCLUDED.started_at, outcome = 'running'`,
      [run.job, run.attempt, run.kind, run.namespace, run.name, run.trigger, run.startedAt],
    );
  }

  async finish(
    job: string,
    attempt: number,
    end: {
      outcome: Exclude<RunOutcome, 'running'>;
      reason: string;
      message: string;
      summary: Readonly<Record<string, unknown>>;
      finishedAt: Date;
    },
  ): Promise<void> {
    await this.db.query(
      `UPDATE ${this.table} SET outcome = $3, reason = $4, message = $5, summary = $6::jsonb, finished_at = $7
       WHERE job_id = $1 AND attempt = $2`,
      [
        job,
        attempt,
        end.outcome,
        end.reason,
        end.message.slice(0, MAX_MESSAGE),
        JSON.stringify(end.summary),
        end.finishedAt,
      ],
    );
  }

  /** The newest run of a resource (any outcome), or undefined. */
  async latest(ref: ResourceRef): Promise<RunRecord | undefined> {
    return (await this.recent(ref, 1))[0];
  }

  /** The newest runs of a resource, newest first. */
  async recent(ref: ResourceRef, limit: number): Promise<RunRecord[]> {
    const result = await this.db.query<RunRow>(
      `SELECT * FROM ${this.table} WHERE kind = $1 AND namespace = $2 AND name = $3
       ORDER BY started_at DESC, attempt DESC LIMIT $4`,
      [ref.kind, ref.namespace, ref.name, limit],
    );
    return result.rows.map(toRecord);
  }

  /** The run of one job attempt. */
  async get(job: string, attempt?: number): Promise<RunRecord | undefined> {
    const result = await this.db.query<RunRow>(
      `SELECT * FROM ${this.table} WHERE job_id = $1 ${attempt === undefined ? '' : 'AND attempt = $2'}
       ORDER BY attempt DESC LIMIT 1`,
      attempt === undefined ? [job] : [job, attempt],
    );
    const row = result.rows[0];
    return row ? toRecord(row) : undefined;
  }

  /** Drops all but the newest runs of a resource. */
  async prune(ref: ResourceRef): Promise<void> {
    await this.db.query(
      `DELETE FROM ${this.table} WHERE kind = $1 AND namespace = $2 AND name = $3 AND (job_id, attempt) NOT IN (
         SELECT job_id, attempt FROM ${this.table} WHERE kind = $1 AND namespace = $2 AND name = $3
         ORDER BY started_at DESC LIMIT $4)`,
      [ref.kind, ref.namespace, ref.name, KEEP_PER_RESOURCE],
    );
  }

  /** Every run of a resource that is gone. */
  async forget(ref: ResourceRef): Promise<void> {
    await this.db.query(`DELETE FROM ${this.table} WHERE kind = $1 AND namespace = $2 AND name = $3`, [
      ref.kind,
      ref.namespace,
      ref.name,
    ]);
  }
}
