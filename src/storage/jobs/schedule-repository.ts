/** The `schedules` table: declared schedules, their next run, and the jobs they enqueued. */
import { identifier, type Queryable } from '../database.js';
import type { StoredSchedule } from './schedule-plan.js';

export interface ScheduleRecord extends StoredSchedule {
  readonly name: string;
  /** Who declares it: 'code', or a resource (`DatabaseBackup/namespace/name`) that owns it. */
  readonly owner: string;
  readonly kind: string;
  readonly target: string;
  readonly payload: unknown;
  readonly lastRunAt: number | null;
  readonly lastJobId: string | null;
}

interface ScheduleRow {
  name: string;
  owner: string;
  cron: string;
  time_zone: string;
  kind: string;
  target: string;
  payload: unknown;
  next_run_at: Date | string;
  last_run_at: Date | string | null;
  last_job_id: string | null;
}

const COLUMNS = 'name, owner, cron, time_zone, kind, target, payload, next_run_at, last_run_at, last_job_id';

function toRecord(row: ScheduleRow): ScheduleRecord {
  return {
    name: row.name,
    owner: row.owner,
    cron: row.cron,
    timeZone: row.time_zone,
    kind: row.kind,
    target: row.target,
    payload: row.payload,
    nextRunAt: new Date(row.next_run_at).getTime(),
    lastRunAt: row.last_run_at === null ? null : new Date(row.last_run_at).getTime(),
    lastJobId: row.last_job_id,
  };
}

export class ScheduleRepository {
  private readonly table: string;

  constructor(
    private readonly db: Queryable,
    private readonly schema: string,
  ) {
    this.table = `${identifier(schema)}.schedules`;
  }

  on(db: Queryable): ScheduleRepository {
    return new ScheduleRepository(db, this.schema);
  }

  async list(): Promise<ScheduleRecord[]> {
    const result = await this.db.query<ScheduleRow>(`SELECT ${COLUMNS} FROM ${this.table} ORDER BY name`);
    return result.rows.map(toRecord);
  }

  /** Due schedules, locked for this transaction (only one leader ticks, but a stale one may linger). */
  async lockDue(now: Date): Promise<ScheduleRecord[]> {
    const result = await this.db.query<ScheduleRow>(
      `SELECT ${COLUMNS} FROM ${this.table} WHERE next_run_at <= $1 ORDER BY next_run_at FOR UPDATE SKIP LOCKED`,
      [now],
    );
    return result.rows.map(toRecord);
  }

  /** Inserts or replaces a schedule; its owner is 'code' unless given. */
  async upsert(
    schedule: Omit<ScheduleRecord, 'lastRunAt' | 'lastJobId' | 'owner'> & { readonly owner?: string },
    now: Date,
  ): Promise<void> {
    await this.db.query(
      `INSERT INTO ${this.table} (name, cron, time_zone, kind, target, payload, next_run_at, updated_at, owner)
       VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9)
       ON CONFLICT (name) DO UPDATE SET cron = EXCLUDED.cron, time_zone = EXCLUDED.time_zone,
         kind = EXCLUDED.kind, target = EXCLUDED.target, payload = EXCLUDED.payload,
         next_run_at = EXCLUDED.next_run_at, updated_at = EXCLUDED.updated_at, owner = EXCLUDED.owner`,
      [
        schedule.name,
        schedule.cron,
        schedule.timeZone,
        schedule.kind,
        schedule.target,
        JSON.stringify(schedule.payload ?? {}),
        new Date(schedule.nextRunAt),
        now,
        schedule.owner ?? 'code',
      ],
    );
  }

  async markRun(name: string, nextRunAt: number, ranAt: Date, jobId: string | null): Promise<void> {
    await this.db.query(
      `UPDATE ${this.table} SET next_run_at = $2, last_run_at = $3, last_job_id = COALESCE($4::uuid, last_job_id)
       WHERE name = $1`,
      [name, new Date(nextRunAt), ranAt, jobId],
    );
  }

  /** Removes the schedules `owner` declared before but no longer does; returns their names. */
  async deleteOthers(owner: string, keep: readonly string[]): Promise<string[]> {
    const result = await this.db.query<{ name: string }>(
      `DELETE FROM ${this.table}
       WHERE owner = $1 AND name NOT IN (SELECT jsonb_array_elements_text($2::jsonb)) RETURNING name`,
      [owner, JSON.stringify(keep)],
    );
    return result.rows.map((row) => row.name);
  }
}
