/**
 * A Report's schedule in the job queue's `schedules` table, owned by the resource
 * (`Report/<ns>/<name>`), fired by the leader's scheduler like every schedule. An unchanged
 * schedule keeps its next run (a restart neither skips nor repeats a report); a deleted Report
 * loses it.
 */
import type { Queryable } from '../storage/database.js';
import { plannedNextRun, type ScheduleTiming } from '../storage/jobs/schedule-plan.js';
import { ScheduleRepository } from '../storage/jobs/schedule-repository.js';
import { REPORT_JOB_KIND, reportTarget } from './report-job.js';

export interface Transactional {
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
}

export function reportScheduleName(namespace: string, name: string): string {
  return `reports:${reportTarget(namespace, name)}`;
}

/** Makes the stored schedule match `timing` (undefined: removed); returns its next run. */
export async function syncReportSchedule(
  db: Transactional,
  schema: string,
  ref: { readonly namespace: string; readonly name: string },
  timing: ScheduleTiming | undefined,
  now: Date,
): Promise<Date | undefined> {
  const owner = reportTarget(ref.namespace, ref.name);
  const name = reportScheduleName(ref.namespace, ref.name);
  return db.transaction(async (tx) => {
    const schedules = new ScheduleRepository(tx, schema);
    if (!timing) {
      await schedules.deleteOthers(owner, []);
      return undefined;
    }
    const stored = (await schedules.list()).find((s) => s.name === name);
    const nextRunAt = plannedNextRun(timing, stored, now.getTime());
    const unchanged =
      stored &&
      stored.cron === timing.cron &&
      stored.timeZone === timing.timeZone &&
      stored.kind === REPORT_JOB_KIND &&
      stored.target === owner &&
      stored.owner === owner;
    if (!unchanged)
      await schedules.upsert(
        { name, owner, ...timing, kind: REPORT_JOB_KIND, target: owner, payload: {}, nextRunAt },
        now,
      );
    await schedules.deleteOthers(owner, [name]);
    return new Date(nextRunAt);
  });
}
