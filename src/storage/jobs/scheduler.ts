/**
 * Turns cron schedules into jobs. It runs on the leader only (the manager starts it with the
 * controllers), so a schedule fires once however many replicas run. At start it records the
 * schedules declared in code; each tick enqueues one job per due schedule — one, even when a
 * restart made it miss several — and moves the schedule to its next occurrence after now. A
 * schedule whose previous run is still unfinished skips this one (its singleton key).
 */
import { systemClock, type Clock, type Timer } from '../../runtime/clock.js';
import type { Component } from '../../runtime/component.js';
import type { Logger } from '../../runtime/logger.js';
import type { Database } from '../database.js';
import { describeDatabaseError } from '../errors.js';
import type { JobKinds } from './job-kind.js';
import { newJob } from './job-queue.js';
import { JobRepository } from './job-repository.js';
import { plannedNextRun, planTick } from './schedule-plan.js';
import { ScheduleRepository } from './schedule-repository.js';

export interface SchedulerOptions {
  readonly kinds: JobKinds;
  readonly store: { onReady(listener: (db: Database) => void): () => void };
  readonly schema: string;
  readonly logger: Logger;
  readonly clock?: Clock;
  /** How often due schedules are looked for (default 5 s; cron has minute precision). */
  readonly tickMs?: number;
  /** Called after a tick enqueued jobs, so the local runner looks at once. */
  readonly onEnqueued?: () => void;
}

const CODE_OWNER = 'code';

export class Scheduler implements Component {
  readonly name = 'scheduler';
  private readonly clock: Clock;
  private readonly tickMs: number;
  private db: Database | undefined;
  private declared = false;
  private unsubscribe: (() => void) | undefined;
  private timer: Timer | undefined;
  private ticking: Promise<void> | undefined;
  private stopped = false;
  private lastError: string | undefined;

  constructor(private readonly options: SchedulerOptions) {
    this.clock = options.clock ?? systemClock;
    this.tickMs = options.tickMs ?? 5_000;
  }

  start(): Promise<void> {
    this.stopped = false;
    this.unsubscribe = this.options.store.onReady((db) => {
      if (this.stopped || this.db) return;
      this.db = db;
      this.schedule(0);
    });
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    this.timer?.cancel();
    await this.ticking;
    this.db = undefined;
    this.declared = false;
  }

  /** One tick now (tests, and `jobs run --schedule`); resolves with the number of jobs enqueued. */
  async tick(): Promise<number> {
    const db = this.db;
    if (!db) return 0;
    if (!this.declared) {
      await this.declare(db);
      this.declared = true;
    }
    const { schema, kinds, logger } = this.options;
    const now = new Date(this.clock.now());
    const enqueued = await db.transaction(async (tx) => {
      const schedules = new ScheduleRepository(tx, schema);
      const jobs = new JobRepository(tx, schema);
      let count = 0;
      for (const schedule of await schedules.lockDue(now)) {
        const decision = planTick(schedule, now.getTime());
        if (decision.kind === 'wait') continue;
        const kind = kinds.get(schedule.kind);
        if (!kind) {
          logger.warn('schedule names a job kind this version does not have; skipped', {
            schedule: schedule.name,
            kind: schedule.kind,
          });
          await schedules.markRun(schedule.name, decision.nextRunAt, now, null);
          continue;
        }
        const result = await jobs.insert(
          newJob(kind, {
            kind: kind.name,
            target: schedule.target,
            payload: schedule.payload,
            singletonKey: `schedule:${schedule.name}`,
            schedule: schedule.name,
            runAt: now,
          }),
          now,
        );
        await schedules.markRun(schedule.name, decision.nextRunAt, now, result.job.id);
        if (result.created) count += 1;
        const fields = {
          schedule: schedule.name,
          job: result.job.id,
          dueAt: new Date(decision.dueAt).toISOString(),
          next: new Date(decision.nextRunAt).toISOString(),
        };
        if (!result.created) logger.info('schedule due but its previous run is unfinished; skipped', fields);
        else if (decision.missed > 0)
          logger.info('schedule missed runs while no leader ran; running once now', {
            ...fields,
            missed: decision.missed,
          });
        else logger.debug('schedule fired', fields);
      }
      return count;
    });
    if (enqueued > 0) this.options.onEnqueued?.();
    return enqueued;
  }

  /** Records the schedules declared in code; unchanged ones keep their next run across restarts. */
  private async declare(db: Database): Promise<void> {
    const { schema, kinds, logger } = this.options;
    const now = this.clock.now();
    await db.transaction(async (tx) => {
      const schedules = new ScheduleRepository(tx, schema);
      const stored = new Map((await schedules.list()).map((s) => [s.name, s]));
      for (const declaration of kinds.declaredSchedules) {
        const timing = { cron: declaration.cron, timeZone: declaration.timeZone ?? 'UTC' };
        const previous = stored.get(declaration.name);
        const nextRunAt = plannedNextRun(timing, previous, now);
        await schedules.upsert(
          {
            name: declaration.name,
            ...timing,
            kind: declaration.kind,
            target: declaration.target ?? '',
            payload: declaration.payload ?? {},
            nextRunAt,
          },
          new Date(now),
        );
      }
      const removed = await schedules.deleteOthers(
        CODE_OWNER,
        kinds.declaredSchedules.map((s) => s.name),
      );
      if (removed.length > 0)
        logger.info('schedules no longer declared were removed', { schedules: removed });
    });
  }

  private schedule(delayMs: number): void {
    this.timer = this.clock.setTimer(delayMs, () => {
      this.ticking = this.tick()
        .then(() => {
          if (this.lastError !== undefined) this.options.logger.info('scheduler reaches the database again');
          this.lastError = undefined;
        })
        .catch((err: unknown) => {
          const message = `scheduler tick failed: ${describeDatabaseError(err)}`;
          if (message !== this.lastError) this.options.logger.warn(message);
          this.lastError = message;
        })
        .finally(() => {
          if (!this.stopped) this.schedule(this.tickMs);
        });
    });
  }
}
