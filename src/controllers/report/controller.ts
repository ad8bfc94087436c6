/**
 * Report controller: watches Reports and keeps each one's cron schedule in the job queue (the
 * leader's scheduler then enqueues `reports.generate`); removes the schedule of a deleted Report;
 * and reports in status whether the schedule is valid and whether every delivery channel can carry
 * a report (it watches NotificationChannels for that: a channel's type is not the Report's to
 * know at admission). The reports themselves, and the Ready condition after each one, are the
 * job's (src/reports/report-job.ts).
 */
import type { Registry } from 'prom-client';
import { cronProblem, timeZoneProblem } from '../../api/v1alpha1/checks/cron.js';
import {
  ReportResource,
  statusOf,
  type NotificationChannel,
  type Report,
  type ReportStatus,
} from '../../api/v1alpha1/index.js';
import {
  UNSUPPORTED_CHANNEL_REASON,
  unsupportedChannelProblem,
} from '../../domain/reports/delivery-channels.js';
import { syncReportSchedule } from '../../reports/report-schedules.js';
import { systemClock, type Clock } from '../../runtime/clock.js';
import {
  Controller,
  type ReconcileRequest,
  type ReconcileResult,
} from '../../runtime/controller/controller.js';
import { generationChanged } from '../../runtime/controller/predicates.js';
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
  readonly channels: Informer<NotificationChannel>;
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

/** What is wrong with a Report that only the controller sees; the schedule's problem comes first. */
export interface ReportProblem {
  readonly reason: 'InvalidSchedule' | typeof UNSUPPORTED_CHANNEL_REASON;
  readonly message: string;
}

/** The Report's problem, given its schedule's and each delivery channel's type as the cache has it. */
export function reportProblem(
  report: Report,
  channelType: (name: string) => NotificationChannel['spec']['type'] | undefined,
): ReportProblem | undefined {
  const schedule = scheduleProblem(report);
  if (schedule !== undefined) return { reason: 'InvalidSchedule', message: schedule };
  const channels = (report.spec.delivery?.channels ?? []).map((c) => ({
    name: c.name,
    type: channelType(c.name),
  }));
  const message = unsupportedChannelProblem(channels);
  return message === undefined ? undefined : { reason: UNSUPPORTED_CHANNEL_REASON, message };
}

/** The Ready reasons the controller sets; any other is a run's outcome, which the job owns. */
const CONTROLLER_REASONS = new Set(['Scheduled', 'InvalidSchedule', UNSUPPORTED_CHANNEL_REASON]);

/**
 * The status the controller writes: observedGeneration, and Ready until the first run ends
 * (Scheduled) or when the Report has a problem: an invalid schedule (InvalidSchedule; the last
 * good schedule stays) or a channel that cannot carry a report (UnsupportedChannel; reports are
 * still made and sent to the other channels). Once a run has ended, the job owns Ready, unless
 * such a problem appears.
 */
export function plannedStatus(
  report: Report,
  problem: ReportProblem | undefined,
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
      { type: 'Ready', status: 'False', reason: problem.reason, message: problem.message, ...gen },
      now,
    );
  // The job's outcome (ReportStored, ObjectStoreMissing, ...) stays until the next run.
  else if (ready === undefined || CONTROLLER_REASONS.has(ready.reason))
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
    const problem = reportProblem(
      report,
      (channel) => options.channels.store.get(`${namespace}/${channel}`)?.spec.type,
    );
    // An invalid schedule keeps the last good one in the queue (bad input never loses a report).
    const nextRun =
      problem?.reason !== 'InvalidSchedule'
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
  return (
    new Controller({
      name: 'report',
      workers: Math.min(options.workers, 2),
      logger: options.logger,
      registry: options.registry,
      clock: options.clock,
      reconcile,
    })
      .watchPrimary(options.reports)
      // A channel created, deleted or given another type concerns the Reports of its namespace
      // naming it; its status (delivery counts, often) does not.
      .watchMapped(
        options.channels,
        (channel) => {
          const namespace = channel.metadata.namespace ?? '';
          return options.reports.store
            .list()
            .filter(
              (r) =>
                r.metadata.namespace === namespace &&
                (r.spec.delivery?.channels ?? []).some((c) => c.name === channel.metadata.name),
            )
            .map((r) => `${namespace}/${r.metadata.name ?? ''}`);
        },
        { predicates: [generationChanged] },
      )
  );
}
