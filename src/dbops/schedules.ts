/**
 * The schedules of database resources in the job queue's `schedules` table, owned by the
 * resource (`schedules.owner` = `DatabaseBackup/ns/name`). The leader's scheduler fires them like
 * the schedules declared in code. An unchanged schedule keeps its next run; a resource that is
 * gone, or no longer has a schedule, loses it.
 */
import type { Queryable } from '../storage/database.js';
import { plannedNextRun, type ScheduleTiming } from '../storage/jobs/schedule-plan.js';
import { ScheduleRepository } from '../storage/jobs/schedule-repository.js';
import {
  OPERATIONS,
  parseTarget,
  scheduleNameOf,
  targetOf,
  type JobPayload,
  type Ref,
} from './operations.js';

export interface Transactional {
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
}

/** Makes the stored schedule of `ref` match `timing` (none: removed); returns its next run. */
export async function syncSchedule(
  db: Transactional,
  schema: string,
  ref: Ref,
  timing: ScheduleTiming | undefined,
  now: Date,
): Promise<Date | undefined> {
  const owner = targetOf(ref);
  const name = scheduleNameOf(ref);
  return db.transaction(async (tx) => {
    const schedules = new ScheduleRepository(tx, schema);
    if (!timing) {
      await schedules.deleteOthers(owner, []);
      return undefined;
    }
    const stored = (await schedules.list()).find((s) => s.name === name);
    const nextRunAt = plannedNextRun(timing, stored, now.getTime());
    const payload: JobPayload = { ...ref, trigger: 'Schedule' };
    const unchanged =
      stored &&
      stored.cron === timing.cron &&
      stored.timeZone === timing.timeZone &&
      stored.kind === OPERATIONS[ref.kind].job &&
      stored.target === owner &&
      stored.owner === owner;
    if (!unchanged) {
      await schedules.upsert(
        { name, owner, ...timing, kind: OPERATIONS[ref.kind].job, target: owner, payload, nextRunAt },
        now,
      );
    }
    await schedules.deleteOthers(owner, [name]);
    return new Date(nextRunAt);
  });
}

/** Removes the schedules of database resources that no longer exist; returns their owners. */
export async function removeOrphanSchedules(
  db: Queryable,
  schema: string,
  exists: (ref: Ref) => boolean,
): Promise<string[]> {
  const schedules = new ScheduleRepository(db, schema);
  const orphans = (await schedules.list())
    .map((s) => ({ owner: s.owner, ref: parseTarget(s.owner) }))
    .filter((s): s is { owner: string; ref: Ref } => s.ref !== undefined && !exists(s.ref));
  for (const orphan of orphans) await schedules.deleteOthers(orphan.owner, []);
  return orphans.map((o) => o.owner);
}
