/**
 * The ACME attempts this process runs, at most one per Certificate, each in the background
 * (an order takes seconds to minutes; a reconcile must not hold a worker that long). An attempt
 * is started only after the reconcile claimed it in status, and it records its own outcome
 * there (issuer.ts); what this registry adds is the running promise, its abort, and telling the
 * operator: an Event, a log line at info (issued) or warn (failed), the duration histogram,
 * and a new reconcile when it ends.
 */
import type { AcmeAccounts } from '../../acme/index.js';
import type { Certificate } from '../../api/v1alpha1/index.js';
import type { RetryOptions } from '../../domain/acme/index.js';
import { rfc3339 } from '../../domain/certs/index.js';
import type { Clock } from '../../runtime/clock.js';
import type { Regarding } from '../../runtime/events/event.js';
import type { EventRecorder } from '../../runtime/events/recorder.js';
import type { Logger } from '../../runtime/logger.js';
import type { PublisherRef } from '../publisher.js';
import type { IssuanceSlots } from './issuance-slots.js';
import { issueCertificate, type IssueOutcome, type IssuerClient } from './issuer.js';
import type { CertificateMetrics } from './metrics.js';
import type { RunningAttempt } from './plan.js';

export type EventSink = Pick<EventRecorder, 'record'>;

export interface AttemptDeps {
  readonly client: IssuerClient;
  readonly accounts: AcmeAccounts;
  readonly publisher: PublisherRef;
  readonly clock: Clock;
  readonly recorder: EventSink;
  readonly metrics: CertificateMetrics | undefined;
  readonly retry: RetryOptions | undefined;
  /** How many attempts may run at once; the others wait their turn (and count as in progress). */
  readonly slots: IssuanceSlots;
  /** Called when an attempt has ended (its status write done): reconcile the Certificate again. */
  readonly onEnded: (key: string) => void;
}

interface Job extends RunningAttempt {
  readonly abort: AbortController;
  done: Promise<void>;
}

export class IssuanceAttempts {
  private readonly jobs = new Map<string, Job>();

  constructor(private readonly deps: AttemptDeps) {}

  running(key: string): RunningAttempt | undefined {
    const job = this.jobs.get(key);
    return job ? { generation: job.generation, startedAt: job.startedAt, number: job.number } : undefined;
  }

  /** Starts an attempt for `cert` (the object the claim wrote); `logger` carries the reconcile's fields. */
  start(key: string, cert: Certificate, startedAt: Date, number: number, logger: Logger): void {
    if (this.jobs.has(key)) return;
    const { clock, metrics, recorder } = this.deps;
    const abort = new AbortController();
    const job: Job = {
      generation: cert.metadata.generation,
      startedAt,
      number,
      abort,
      done: Promise.resolve(),
    };
    this.jobs.set(key, job);
    const started = clock.now();
    const log = logger.child({ server: cert.spec.acme.server });
    const event = (type: 'Normal' | 'Warning', reason: string, note: string): void => {
      recorder.record(cert as Regarding, type, reason, note);
    };
    const run = async (): Promise<IssueOutcome> => {
      try {
        await this.deps.slots.acquire(abort.signal);
      } catch {
        return { result: 'interrupted', message: 'stopped while waiting for a free issuance slot' };
      }
      try {
        return await issueCertificate(cert, {
          client: this.deps.client,
          accounts: this.deps.accounts,
          publisher: this.deps.publisher(),
          clock,
          signal: abort.signal,
          logger: log,
          retry: this.deps.retry,
        });
      } finally {
        this.deps.slots.release();
      }
    };
    job.done = run()
      .then((outcome) => {
        const seconds = (clock.now() - started) / 1000;
        switch (outcome.result) {
          case 'interrupted':
            log.info('certificate issuance interrupted', { reason: String(abort.signal.reason ?? '') });
            return;
          case 'issued':
            metrics?.issuance.observe({ result: 'success', kind: 'acme' }, seconds);
            log.info('certificate issued', { detail: outcome.message, seconds });
            event('Normal', 'Issued', outcome.message);
            return;
          case 'failed': {
            metrics?.issuance.observe({ result: 'failure', kind: 'acme' }, seconds);
            const { failure } = outcome;
            log.warn('certificate issuance failed', {
              failure: failure.failure,
              error: failure.message,
              attempt: failure.counts.failedIssuanceAttempts,
              nextRetryTime: failure.nextRetryTime
                ? rfc3339(failure.nextRetryTime)
                : 'none (spec must change)',
            });
            event('Warning', 'Failed', outcome.message);
            return;
          }
        }
      })
      .catch((error: unknown) => {
        // The outcome could not be recorded (the API server refused the status write): the
        // claim stays in status and the next reconcile starts again.
        log.error('certificate issuance could not record its outcome', {
          error: error instanceof Error ? error.message : String(error),
        });
      })
      .finally(() => {
        this.jobs.delete(key);
        this.deps.onEnded(key);
      });
  }

  abort(key: string, why: string): void {
    this.jobs.get(key)?.abort.abort(why);
  }

  /** Aborts every attempt and waits for them; their orders stay resumable. */
  async stop(): Promise<void> {
    for (const job of this.jobs.values()) job.abort.abort('shutting down');
    await Promise.allSettled([...this.jobs.values()].map((job) => job.done));
  }

  /** Resolves when the attempt for `key`, if any, has ended; for tests. */
  async settled(key: string): Promise<void> {
    await this.jobs.get(key)?.done;
  }
}
