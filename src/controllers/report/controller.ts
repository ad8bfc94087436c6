/**
 * Report controller: watches Reports and keeps each one's cron schedule in the job queue (the
 * leader's scheduler then enqueues `reports.generate`); removes the schedule of a deleted Report;
 * and reports in status whether the schedule is valid. The reports themselves, and the Ready
 * condition after each one, are the job's (src/reports/report-job.ts).
 */
import type { Registry } from 'prom-client';
import { cronProblem, timeZoneProblem } from '../../api/v1alpha1/checks/cron.js';
import { ReportResource, statusOf, type Report, type ReportStatus } from '../../api/v1alpha1/index.js';
import { syncReportSchedule } from '../../reports/report-schedules.js';
import { systemClock, type Clock } from '../../runtime/clock.js';
import {
  Controller,
  type ReconcileRequest,
  type ReconcileResult,
} from '../../runtime/controller/controller.js';
import type { Informer } from '../../runtime/informer/informer.js';
import type { KubeClient } from '../../runtime/kube/client.js';
import type { Logger } from '../../runtime/logger.js';
import { setCondition } from '../../runtime/status/conditions.js';
import type { Database } from '../../storage/database.js';
import { writeStatus } from '../write-status.js';

const STORE_RETRY_MS = 5_000;

export interface ReportControllerOptions {
  readonly client: KubeClient;
  readonly reports: Informer<Report>;
  readonly store: { readonly database: Database | undefined; readonly status: string };
  readonly schema: string;
  readonly logger: Logger;
  readonly workers: number;
  readonly registry?: Registry;
  readonly clock?: Clock;
}

/** What only a parser sees in a schedule (CEL checked its shape). */
export function scheduleProblem(report: Report): string | undefined {
  const { schedule, timeZone } = report.spec;
  const problem = timeZoneProblem(timeZone) ?? cronProblem(schedule, timeZone);
  return problem ? `schedule "${schedule}" (${timeZone}): ${problem}` : undefined;
}

/**
 * The status the controller writes: observedGeneration, and Ready until the first run ends
 * (Scheduled) or when the schedule is invalid (InvalidSchedule; the last good schedule stays).
 * Once a run has ended, the job owns Ready, unless the schedule turns invalid.
 */
export function plannedStatus(
  report: Report,
  problem: string | undefined,
  nextRun: Date | undefined,
  now: Date,
): ReportStatus {
  const previous = statusOf(report);
  const observedGeneration = report.metadata.generation;
  const ready = previous?.conditions?.find((c) => c.type === 'Ready');
  const gen = observedGeneration === undefined ? {} : { observedGeneration };
  let conditions = previous?.conditions ?? [];
  if (problem !== undefined)
    conditions = setCondition(
      conditions,
      { type: 'Ready', status: 'False', reason: 'InvalidSchedule', message: problem, ...gen },
      now,
    );
  // The job's outcome (ReportStored, ObjectStoreMissing, ...) stays until the next run.
  else if (ready === undefined || ready.reason === 'InvalidSchedule' || ready.reason === 'Scheduled')
    conditions = setCondition(
      conditions,
      {
        type: 'Ready',
        status: 'True',
        reason: 'Scheduled',
        message: `scheduled; the next report is at ${nextRun?.toISOString() ?? 'its schedule'}`,
        ...gen,
      },
      now,
    );
  return { ...previous, ...gen, conditions };
}

export function reportController(options: ReportControllerOptions): Controller {
  const clock = options.clock ?? systemClock;
  const reconcile = async ({ key }: ReconcileRequest): Promise<ReconcileResult | undefined> => {
    const db = options.store.database;
    if (!db) return { requeueAfterMs: STORE_RETRY_MS };
    const [namespace = '', name = ''] = key.split('/');
    const report = options.reports.store.get(key);
    const now = new Date(clock.now());
    if (!report || report.metadata.deletionTimestamp) {
      await syncReportSchedule(db, options.schema, { namespace, name }, undefined, now);
      return undefined;
    }
    const problem = scheduleProblem(report);
    // An invalid schedule keeps the last good one in the queue (bad input never loses a report).
    const nextRun =
      problem === undefined
        ? await syncReportSchedule(
            db,
            options.schema,
            { namespace, name },
            { cron: report.spec.schedule, timeZone: report.spec.timeZone },
            now,
          )
        : undefined;
    return writeStatus(options.client, ReportResource, report, plannedStatus(report, problem, nextRun, now));
  };
  return new Controller({
    name: 'report',
    workers: Math.min(options.workers, 2),
    logger: options.logger,
    registry: options.registry,
    clock: options.clock,
    reconcile,
  }).watchPrimary(options.reports);
}
