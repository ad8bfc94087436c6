/**
 * Runs queued jobs: QUEUE_WORKERS at a time in this process, on every replica (claiming with
 * SKIP LOCKED shares the work). Each running job holds a lease it renews; a process that dies
 * stops renewing, and after the lease runs out another runner takes the job again. Every attempt
 * gets an AbortSignal that fires on its timeout, on a cancel and at shutdown.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Registry } from 'prom-client';
import { systemClock, type Clock, type Timer } from '../../runtime/clock.js';
import type { Component } from '../../runtime/component.js';
import type { Logger } from '../../runtime/logger.js';
import type { Database } from '../database.js';
import { describeDatabaseError } from '../errors.js';
import { PermanentJobError, type JobKinds } from './job-kind.js';
import { jobMetrics, type JobMetrics, type JobOutcome } from './job-metrics.js';
import { JobRepository, type ClaimedJob } from './job-repository.js';
import { decideAfterFailure } from './retry-policy.js';

export interface JobRunnerOptions {
  readonly kinds: JobKinds;
  /** Delivers the database once it is connected and migrated (the Store). */
  readonly store: { onReady(listener: (db: Database) => void): () => void };
  readonly schema: string;
  readonly workers: number;
  readonly logger: Logger;
  readonly registry: Registry;
  readonly clock?: Clock;
  /** Seen in `locked_by`; defaults to host/pid/random. */
  readonly runnerId?: string;
  /** How often an idle runner looks for due jobs (default 1 s). */
  readonly pollMs?: number;
  /** How long a claim holds a job without renewal (default 30 s); renewed every third of it. */
  readonly leaseMs?: number;
  /** At stop, how long running jobs may finish before they are aborted and handed back (default 5 s). */
  readonly shutdownGraceMs?: number;
  readonly random?: () => number;
}

interface Running {
  readonly job: ClaimedJob;
  readonly controller: AbortController;
  done: Promise<void>;
  reason: 'timeout' | 'cancel' | 'shutdown' | undefined;
}

const MAINTENANCE_MS = 5_000;

export class JobRunner implements Component {
  readonly name = 'job-runner';
  readonly runnerId: string;
  private readonly clock: Clock;
  private readonly metrics: JobMetrics;
  private readonly pollMs: number;
  private readonly leaseMs: number;
  private readonly running = new Map<string, Running>();
  private repository: JobRepository | undefined;
  private db: Database | undefined;
  private unsubscribe: (() => void) | undefined;
  private stopped = false;
  private pollTimer: Timer | undefined;
  private renewTimer: Timer | undefined;
  private maintenanceTimer: Timer | undefined;
  private polling: Promise<void> | undefined;
  private pollAgain = false;
  private lastError: string | undefined;
  /** Successes waiting to be written together (jobs that ended in the same turn of the event loop). */
  private successes: { id: string; done: (held: boolean) => void; failed: (err: unknown) => void }[] = [];
  private flushing: NodeJS.Immediate | undefined;

  constructor(private readonly options: JobRunnerOptions) {
    this.clock = options.clock ?? systemClock;
    this.metrics = jobMetrics(options.registry);
    this.pollMs = options.pollMs ?? 1_000;
    this.leaseMs = options.leaseMs ?? 30_000;
    this.runnerId = options.runnerId ?? `${hostname()}/${process.pid}/${randomBytes(3).toString('hex')}`;
  }

  /** Jobs running in this process now. */
  get active(): number {
    return this.running.size;
  }

  start(): Promise<void> {
    this.unsubscribe = this.options.store.onReady((db) => {
      if (this.stopped) return;
      this.db = db;
      this.repository = new JobRepository(db, this.options.schema);
      this.options.logger.info('job runner started', {
        runner: this.runnerId,
        workers: this.options.workers,
        kinds: this.options.kinds.names,
      });
      this.wake();
      this.scheduleRenewal();
      this.scheduleMaintenance(0);
    });
    return Promise.resolve();
  }

  /** Looks for due jobs now rather than at the next poll (a job was just enqueued here). */
  wake(): void {
    if (this.stopped || !this.repository) return;
    if (this.polling) {
      this.pollAgain = true;
      return;
    }
    this.pollTimer?.cancel();
    this.polling = this.poll().finally(() => {
      this.polling = undefined;
      if (this.pollAgain) {
        this.pollAgain = false;
        this.wake();
      }
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    this.pollTimer?.cancel();
    this.renewTimer?.cancel();
    this.maintenanceTimer?.cancel();
    await this.polling;
    const all = [...this.running.values()];
    if (all.length === 0) return;
    const grace = new Promise<void>((resolve) =>
      this.clock.setTimer(this.options.shutdownGraceMs ?? 5_000, resolve),
    );
    await Promise.race([Promise.all(all.map((r) => r.done)), grace]);
    const left = [...this.running.values()];
    for (const entry of left) {
      entry.reason = 'shutdown';
      entry.controller.abort(new Error('gateway-worker is stopping'));
    }
    await Promise.all(left.map((entry) => entry.done));
  }

  private async poll(): Promise<void> {
    const repository = this.repository;
    if (!repository) return;
    let claimedAll = false;
    try {
      const free = this.options.workers - this.running.size;
      if (free > 0) {
        const now = this.clock.now();
        const jobs = await repository.claim(
          this.runnerId,
          this.options.kinds.names,
          free,
          new Date(now),
          new Date(now + this.leaseMs),
        );
        for (const job of jobs) this.execute(repository, job);
        claimedAll = jobs.length === free;
      }
      this.recovered();
    } catch (err) {
      this.reportError('claiming jobs failed', err);
    }
    if (this.stopped) return;
    // A full batch suggests more are due: look again at once; otherwise wait (or for a wake).
    if (claimedAll) this.pollAgain = true;
    else
      this.pollTimer = this.clock.setTimer(this.lastError ? this.pollMs * 5 : this.pollMs, () => this.wake());
  }

  private execute(repository: JobRepository, job: ClaimedJob): void {
    const kind = this.options.kinds.get(job.kind);
    const controller = new AbortController();
    const logger = this.options.logger.child({ job: job.id, kind: job.kind, attempt: job.attempts });
    const started = this.clock.now();
    this.metrics.running.inc({ kind: job.kind });
    const entry: Running = {
      job,
      controller,
      reason: undefined,
      done: Promise.resolve(),
    };
    const timeout = this.clock.setTimer(job.timeoutMs, () => {
      entry.reason = 'timeout';
      controller.abort(new Error(`timed out after ${job.timeoutMs} ms`));
    });
    const attempt = (async (): Promise<void> => {
      if (!kind) throw new Error(`no handler for job kind "${job.kind}" in this gateway-worker`);
      await kind.handler({
        id: job.id,
        kind: job.kind,
        target: job.target,
        payload: job.payload,
        attempt: job.attempts,
        signal: controller.signal,
        logger,
      });
      // A handler that ignores its signal and returns normally after a timeout still timed out.
      if (controller.signal.aborted) throw controller.signal.reason;
    })();
    const done = attempt.then(
      () => undefined,
      (err: unknown) => err ?? new Error('the job failed without an error'),
    );
    entry.done = done
      .then((error) => this.record(repository, entry, error, started, logger))
      .catch((err: unknown) => this.reportError(`recording the outcome of job ${job.id} failed`, err))
      .finally(() => {
        timeout.cancel();
        this.running.delete(job.id);
        this.metrics.running.dec({ kind: job.kind });
        this.wake();
      });
    this.running.set(job.id, entry);
  }

  private async record(
    repository: JobRepository,
    entry: Running,
    error: unknown,
    started: number,
    logger: Logger,
  ): Promise<void> {
    const { job } = entry;
    const now = this.clock.now();
    this.metrics.duration.observe({ kind: job.kind }, (now - started) / 1000);
    if (entry.reason === 'shutdown') {
      await repository.release(job.id, this.runnerId);
      logger.info('job handed back at shutdown; it runs again without losing an attempt');
      return;
    }
    let outcome: JobOutcome;
    let held: boolean;
    if (error === undefined) {
      outcome = 'succeeded';
      held = await this.recordSuccess(job.id);
      logger.debug('job succeeded', { ms: now - started });
    } else if (entry.reason === 'cancel') {
      outcome = 'cancelled';
      held = await repository.finish(
        job.id,
        this.runnerId,
        { state: 'cancelled', error: 'cancelled' },
        new Date(now),
      );
      logger.info('job cancelled while running');
    } else {
      const message = error instanceof Error ? error.message : JSON.stringify(error);
      const decision =
        error instanceof PermanentJobError
          ? ({ kind: 'dead' } as const)
          : decideAfterFailure(
              job.attempts,
              {
                maxAttempts: job.maxAttempts,
                backoffInitialMs: job.backoffInitialMs,
                backoffMaxMs: job.backoffMaxMs,
              },
              now,
              this.options.random,
            );
      if (decision.kind === 'retry') {
        outcome = 'retried';
        held = await repository.finish(
          job.id,
          this.runnerId,
          { state: 'retry', runAt: new Date(decision.runAt), error: message },
          new Date(now),
        );
        logger.warn('job attempt failed; retrying', { error: message, retryInMs: decision.delayMs });
      } else {
        outcome = 'dead';
        held = await repository.finish(
          job.id,
          this.runnerId,
          { state: 'dead', error: message },
          new Date(now),
        );
        logger.error('job failed and has no attempt left', { error: message, attempts: job.attempts });
      }
    }
    if (!held) {
      logger.warn('job outcome not recorded: its lease had expired and another runner took it', { outcome });
      return;
    }
    this.metrics.jobs.inc({ kind: job.kind, outcome });
  }

  /**
   * Successes are batched: jobs finishing in the same turn of the event loop (short jobs claimed
   * together) are written with one statement that also refills the slots they free — one round
   * trip and one commit (one fsync) for the lot instead of two per job.
   */
  private recordSuccess(id: string): Promise<boolean> {
    return new Promise((done, failed) => {
      this.successes.push({ id, done, failed });
      this.flushing ??= setImmediate(() => {
        this.flushing = undefined;
        const batch = this.successes;
        this.successes = [];
        void this.flushSuccesses(batch);
      });
    });
  }

  private async flushSuccesses(batch: typeof this.successes): Promise<void> {
    const db = this.db;
    if (!db) {
      for (const entry of batch) entry.failed(new Error('the job store is gone'));
      return;
    }
    // The batch's jobs are still counted as running until their entries settle below.
    const free = this.stopped ? 0 : this.options.workers - (this.running.size - batch.length);
    const now = this.clock.now();
    let held: Set<string>;
    let claimed: ClaimedJob[];
    try {
      ({ held, claimed } = await new JobRepository(db, this.options.schema).finishAndClaim(
        batch.map((entry) => entry.id),
        this.runnerId,
        this.options.kinds.names,
        free,
        new Date(now),
        new Date(now + this.leaseMs),
      ));
    } catch (err) {
      for (const entry of batch) entry.failed(err);
      return;
    }
    for (const entry of batch) entry.done(held.has(entry.id));
    const repository = this.repository;
    if (!repository) return;
    for (const job of claimed) {
      // Claimed while stop() began: give it back at once rather than start it unwatched.
      if (this.stopped) void repository.release(job.id, this.runnerId).catch(() => undefined);
      else this.execute(repository, job);
    }
  }

  private scheduleRenewal(): void {
    this.renewTimer = this.clock.setTimer(Math.max(100, Math.floor(this.leaseMs / 3)), () => {
      void this.renew().finally(() => {
        if (!this.stopped) this.scheduleRenewal();
      });
    });
  }

  private async renew(): Promise<void> {
    const repository = this.repository;
    if (!repository || this.running.size === 0) return;
    try {
      const { cancel } = await repository.renewLeases(
        this.runnerId,
        [...this.running.keys()],
        new Date(this.clock.now() + this.leaseMs),
      );
      for (const id of cancel) {
        const entry = this.running.get(id);
        if (!entry || entry.controller.signal.aborted) continue;
        entry.reason = 'cancel';
        entry.controller.abort(new Error('cancelled'));
      }
    } catch (err) {
      this.reportError('renewing job leases failed', err);
    }
  }

  private scheduleMaintenance(delayMs: number): void {
    this.maintenanceTimer = this.clock.setTimer(delayMs, () => {
      void this.maintain().finally(() => {
        if (!this.stopped) this.scheduleMaintenance(MAINTENANCE_MS);
      });
    });
  }

  /** Ends jobs whose runner vanished with no attempt left, and refreshes the queued gauge. */
  private async maintain(): Promise<void> {
    const repository = this.repository;
    if (!repository) return;
    try {
      const reaped = await repository.reapExpired(new Date(this.clock.now()));
      if (reaped.dead > 0 || reaped.cancelled > 0) {
        this.options.logger.warn('jobs whose runner stopped were ended', reaped);
      }
      const queued = await repository.countQueued();
      this.metrics.queued.reset();
      for (const name of this.options.kinds.names)
        this.metrics.queued.set({ kind: name }, queued.get(name) ?? 0);
    } catch (err) {
      this.reportError('job queue maintenance failed', err);
    }
  }

  private reportError(what: string, err: unknown): void {
    const message = `${what}: ${describeDatabaseError(err)}`;
    if (message !== this.lastError) this.options.logger.warn(message);
    this.lastError = message;
  }

  private recovered(): void {
    if (this.lastError === undefined) return;
    this.options.logger.info('job queue reachable again');
    this.lastError = undefined;
  }
}
