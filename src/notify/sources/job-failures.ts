/**
 * JobFailed events from the job queue: every job that went dead (on any replica, or ended by the
 * lease reaper) since the last one notified. The position is kept in the store, so a new leader
 * carries on where the last one stopped; the first start begins at "now" rather than notifying
 * the queue's whole history.
 */
import { systemClock, type Clock, type Timer } from '../../runtime/clock.js';
import type { Component } from '../../runtime/component.js';
import type { Logger } from '../../runtime/logger.js';
import type { Database } from '../../storage/database.js';
import { describeDatabaseError } from '../../storage/errors.js';
import type { DeadJob } from '../notify-repository.js';
import { NotifyRepository } from '../notify-repository.js';
import type { Notifier } from '../notifier.js';

const CURSOR = 'jobs.dead';

export function jobFailedEvent(job: DeadJob) {
  return {
    type: 'JobFailed' as const,
    labels: { job_kind: job.kind, target: job.target, job: job.id },
    startsAt: job.finishedAt,
    annotations: {
      summary: `Job ${job.kind}${job.target ? ` on ${job.target}` : ''} failed after ${job.attempts} attempt(s)`,
      description: job.lastError,
    },
  };
}

export interface JobFailureSourceOptions {
  readonly store: { onReady(listener: (db: Database) => void): () => void };
  readonly schema: string;
  readonly notifier: Notifier;
  readonly logger: Logger;
  readonly clock?: Clock;
  readonly pollMs?: number;
}

export class JobFailureSource implements Component {
  readonly name = 'notification-source-jobs';
  private readonly clock: Clock;
  private repository: NotifyRepository | undefined;
  private unsubscribe: (() => void) | undefined;
  private timer: Timer | undefined;
  private running = false;
  private polling: Promise<void> | undefined;
  private lastError: string | undefined;

  constructor(private readonly options: JobFailureSourceOptions) {
    this.clock = options.clock ?? systemClock;
  }

  start(): Promise<void> {
    this.running = true;
    this.unsubscribe = this.options.store.onReady((db) => {
      this.repository = new NotifyRepository(db, this.options.schema);
      this.schedule(0);
    });
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.unsubscribe?.();
    this.timer?.cancel();
    await this.polling;
  }

  attach(db: Database): void {
    this.repository = new NotifyRepository(db, this.options.schema);
  }

  /** Emits the jobs that died since the last call. */
  async poll(): Promise<void> {
    const repository = this.repository;
    if (!repository) return;
    try {
      const now = new Date(this.clock.now());
      const stored = await repository.cursor(CURSOR);
      let after = stored ? (JSON.parse(stored) as { finishedAt: string; id: string }) : undefined;
      if (!after) {
        await repository.setCursor(CURSOR, JSON.stringify({ finishedAt: now.toISOString(), id: '' }), now);
        return;
      }
      for (;;) {
        const jobs = await repository.deadJobsAfter(
          { finishedAt: new Date(after.finishedAt), id: after.id },
          100,
        );
        for (const job of jobs) this.options.notifier.emit(jobFailedEvent(job));
        const last = jobs.at(-1);
        if (!last) break;
        after = { finishedAt: new Date(last.finishedAt).toISOString(), id: last.id };
        await repository.setCursor(CURSOR, JSON.stringify(after), now);
        if (jobs.length < 100) break;
      }
      this.lastError = undefined;
    } catch (error) {
      const message = `reading dead jobs failed: ${describeDatabaseError(error)}`;
      if (message !== this.lastError) this.options.logger.warn(message);
      this.lastError = message;
    }
  }

  private schedule(delayMs: number): void {
    if (!this.running) return;
    this.timer?.cancel();
    this.timer = this.clock.setTimer(delayMs, () => {
      this.polling = this.poll().finally(() => {
        this.polling = undefined;
        this.schedule(this.options.pollMs ?? 15_000);
      });
    });
  }
}
