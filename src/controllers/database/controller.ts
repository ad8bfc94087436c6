/**
 * The controller shape the five database kinds share. It watches a kind (and what its spec names),
 * and for each object: keeps its cron schedule in the job queue, enqueues a run when asked (the
 * run-now annotation) or when its inputs changed, and writes the status from the newest job and
 * run records. It never touches the gateway's database itself: every run is a job, on whichever
 * replica claims it, so a slow or unreachable database never holds up a reconcile.
 */
import { createHash } from 'node:crypto';
import type { Registry } from 'prom-client';
import { RUN_NOW_ANNOTATION } from '../../api/v1alpha1/database-common.js';
import {
  OPERATIONS,
  singletonKeyOf,
  targetOf,
  type DbopsKind,
  type JobPayload,
  type Ref,
  type Trigger,
} from '../../dbops/operations.js';
import { newestJob } from '../../dbops/runs/job-state.js';
import type { RunEvents } from '../../dbops/runs/run-events.js';
import { RunStore } from '../../dbops/runs/run-store.js';
import { removeOrphanSchedules, syncSchedule } from '../../dbops/schedules.js';
import { systemClock, type Clock } from '../../runtime/clock.js';
import {
  Controller,
  type ReconcileRequest,
  type ReconcileResult,
} from '../../runtime/controller/controller.js';
import type { Manager } from '../../runtime/controller/manager.js';
import { anyOf, annotationsChanged, generationChanged } from '../../runtime/controller/predicates.js';
import type { EventRecorder } from '../../runtime/events/recorder.js';
import type { Regarding } from '../../runtime/events/event.js';
import type { KubeClient } from '../../runtime/kube/client.js';
import type { KubeObject } from '../../runtime/kube/resource.js';
import type { Logger } from '../../runtime/logger.js';
import { setCondition, type Condition } from '../../runtime/status/conditions.js';
import type { Database } from '../../storage/database.js';
import type { ScheduleTiming } from '../../storage/jobs/schedule-plan.js';
import type { JobQueue, JobRecord } from '../../storage/jobs/job-types.js';
import { writeStatus } from '../write-status.js';
import { isUnfinished, lastRunOf, type History, type LastRun } from './status.js';

export interface DatabaseControllerOptions {
  readonly client: KubeClient;
  readonly manager: Manager;
  readonly recorder: EventRecorder;
  readonly logger: Logger;
  readonly workers: number;
  readonly registry?: Registry;
  readonly clock?: Clock;
  /** gateway-worker's own store: runs, backups, schedules and jobs. */
  readonly store: { readonly database: Database | undefined; readonly status: string };
  readonly schema: string;
  readonly jobs: JobQueue;
  readonly events: RunEvents;
}

/** What the controller knows when it writes a status. */
export interface StatusInput<T extends KubeObject> {
  readonly obj: T;
  readonly history: History;
  readonly lastRun: LastRun | undefined;
  readonly nextRun: Date | undefined;
  readonly db: Database;
  readonly now: Date;
  readonly previous: readonly Condition[] | undefined;
}

/** One database kind, as the shared controller needs to know it. */
export interface KindHandler<T extends KubeObject> {
  readonly kind: DbopsKind;
  /** A problem with the spec that CEL cannot see (a cron expression in its time zone). */
  invalid?(obj: T): string | undefined;
  /** The cron schedule the kind runs on, if any. */
  schedule(obj: T): ScheduleTiming | undefined;
  /**
   * Identifies the inputs a run must see (a migration's files, a connection's Secrets): a new
   * value enqueues a run. Undefined: runs come from the schedule and requests only.
   */
  inputs?(obj: T): string | undefined;
  /** When a run is due although nothing changed (a connection's periodic check). */
  dueAt?(obj: T, history: History): Date | undefined;
  status(input: StatusInput<T>): Promise<Record<string, unknown>>;
  /** Other kinds whose changes concern objects of this kind, and how they map to keys. */
  watches?(controller: Controller): void;
}

const POLL_RUNNING_MS = 3_000;
const POLL_IDLE_MS = 60_000;
const STORE_RETRY_MS = 5_000;

export function hashOf(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 32);
}

export function databaseController<T extends KubeObject>(
  options: DatabaseControllerOptions,
  handler: KindHandler<T>,
): Controller {
  const type = OPERATIONS[handler.kind].resource;
  const informer = options.manager.informer<T>(type);
  const clock = options.clock ?? systemClock;
  const name = handler.kind.toLowerCase();
  const controller = new Controller({
    name,
    workers: options.workers,
    logger: options.logger,
    registry: options.registry,
    clock,
    reconcile: (request) => reconcile(request),
  }).watchPrimary(informer, { predicates: [anyOf(generationChanged, annotationsChanged)] });
  handler.watches?.(controller);
  // A run that ends in this process updates the status at once; elsewhere, the poll finds it.
  options.events.subscribe((event) => {
    if (event.kind === handler.kind) controller.enqueue(`${event.namespace}/${event.name}`);
  });
  let swept = false;

  const event = (obj: T, type: 'Normal' | 'Warning', reason: string, note: string): void => {
    options.recorder.record(obj as unknown as Regarding, type, reason, note);
  };

  async function enqueue(ref: Ref, trigger: Trigger, change?: string): Promise<JobRecord> {
    const payload: JobPayload = { ...ref, trigger, ...(change === undefined ? {} : { change }) };
    const { job } = await options.jobs.enqueue({
      kind: OPERATIONS[ref.kind].job,
      target: targetOf(ref),
      payload,
      singletonKey: singletonKeyOf(ref),
    });
    return job;
  }

  async function reconcile({
    key,
    namespace = '',
    name: objName,
  }: ReconcileRequest): Promise<ReconcileResult | undefined> {
    const ref: Ref = { kind: handler.kind, namespace, name: objName };
    const db = options.store.database;
    const obj = informer.store.get(key);
    if (!db) {
      if (obj) {
        const current = (obj.status ?? {}) as { conditions?: Condition[] };
        const conditions = setCondition(
          current.conditions,
          {
            type: 'Ready',
            status: 'Unknown',
            reason: 'StoreNotReady',
            message: `waiting for gateway-worker's own database, where runs are queued: ${options.store.status}`,
            observedGeneration: obj.metadata.generation,
          },
          new Date(clock.now()),
        );
        await writeStatus(options.client, type, obj, { ...current, conditions });
      }
      return { requeueAfterMs: STORE_RETRY_MS };
    }
    if (!swept) {
      swept = true;
      const removed = await removeOrphanSchedules(
        db,
        options.schema,
        (r) => r.kind !== handler.kind || informer.store.get(`${r.namespace}/${r.name}`) !== undefined,
      );
      if (removed.length > 0)
        options.logger.info('removed the schedules of deleted resources', { schedules: removed });
    }
    const now = new Date(clock.now());
    if (!obj || obj.metadata.deletionTimestamp) {
      await syncSchedule(db, options.schema, ref, undefined, now);
      await new RunStore(db, options.schema).forget(ref);
      return undefined;
    }

    const invalid = handler.invalid?.(obj);
    const nextRun = invalid
      ? undefined
      : await syncSchedule(db, options.schema, ref, handler.schedule(obj), now);
    const status = (obj.status ?? {}) as {
      lastRequest?: string;
      lastRun?: LastRun;
      conditions?: Condition[];
    };
    let job = await newestJob(db, options.schema, singletonKeyOf(ref));
    let lastRequest = status.lastRequest;
    if (!invalid) {
      const requested = obj.metadata.annotations?.[RUN_NOW_ANNOTATION];
      const inputs = handler.inputs?.(obj);
      const previousChange = (job?.payload as Partial<JobPayload> | undefined)?.change;
      if (requested !== undefined && requested !== status.lastRequest) {
        job = await enqueue(ref, 'Requested', inputs);
        lastRequest = requested;
      } else if (inputs !== undefined && inputs !== previousChange && !isUnfinished(job)) {
        job = await enqueue(ref, 'Change', inputs);
      } else if (!isUnfinished(job)) {
        const due = handler.dueAt?.(obj, { job, runs: [] });
        if (due && due.getTime() <= now.getTime()) job = await enqueue(ref, 'Schedule', inputs);
      }
    }
    const history: History = { job, runs: await new RunStore(db, options.schema).recent(ref, 20) };
    const lastRun = lastRunOf(history);
    const kindStatus = await handler.status({
      obj,
      history,
      lastRun,
      nextRun,
      db,
      now,
      previous: status.conditions,
    });
    if (invalid) {
      kindStatus.conditions = setCondition(
        kindStatus.conditions as Condition[] | undefined,
        {
          type: 'Ready',
          status: 'False',
          reason: 'InvalidSpec',
          message: invalid,
          observedGeneration: obj.metadata.generation,
        },
        now,
      );
    }
    const desired = {
      ...kindStatus,
      ...(lastRun ? { lastRun } : {}),
      ...(lastRequest === undefined ? {} : { lastRequest }),
    };
    announce(obj, status.lastRun, lastRun);
    const written = await writeStatus(options.client, type, obj, desired);
    if (written) return written;
    const due = handler.dueAt?.(obj, history);
    const wait = isUnfinished(job)
      ? POLL_RUNNING_MS
      : Math.min(
          POLL_IDLE_MS,
          ...[nextRun, due]
            .filter((d): d is Date => d !== undefined)
            .map((d) => Math.max(1_000, d.getTime() - now.getTime() + 1_000)),
        );
    return { requeueAfterMs: wait };
  }

  /** An Event per finished run, once: when lastRun reaches an end it did not show before. */
  function announce(obj: T, before: LastRun | undefined, after: LastRun | undefined): void {
    if (!after?.job || (after.state !== 'Succeeded' && after.state !== 'Failed')) return;
    if (before?.job === after.job && before.state === after.state) return;
    if (after.state === 'Succeeded')
      event(obj, 'Normal', 'RunSucceeded', after.message ?? 'the run succeeded');
    else event(obj, 'Warning', 'RunFailed', after.message ?? 'the run failed');
  }

  return controller;
}
