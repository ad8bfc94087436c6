/**
 * The job queue behind the {@link JobQueue} interface the CLI, gRPC and the HTTP API use: it checks
 * requests against the registered kinds, fills in their defaults and wakes the local runner.
 */
import { systemClock, type Clock } from '../../runtime/clock.js';
import type { Database } from '../database.js';
import type { JobKind, JobKinds } from './job-kind.js';
import { JobRepository, type NewJob } from './job-repository.js';
import type {
  CancelResult,
  EnqueueRequest,
  EnqueueResult,
  JobFilter,
  JobQueue,
  JobRecord,
} from './job-types.js';

/** The store is not connected (yet): the message says why, as /ready does. */
export class JobQueueUnavailableError extends Error {
  override readonly name = 'JobQueueUnavailableError';
}

/** A request the queue refuses: unknown kind, bad limits. The message says what is allowed. */
export class JobRequestError extends Error {
  override readonly name = 'JobRequestError';
}

const MAX_TARGET = 512;
const MAX_PAYLOAD_BYTES = 64 * 1024;

/** A kind's defaults under a request's overrides, validated. */
export function newJob(kind: JobKind, request: EnqueueRequest & { runAt: Date }): NewJob {
  const maxAttempts = request.maxAttempts ?? kind.retry.maxAttempts;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > 1000) {
    throw new JobRequestError(`maxAttempts must be an integer from 1 to 1000, got ${maxAttempts}`);
  }
  const timeoutMs = request.timeoutMs ?? kind.timeoutMs;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 2_147_483_647) {
    throw new JobRequestError(`timeoutMs must be a positive integer of milliseconds, got ${timeoutMs}`);
  }
  const target = request.target ?? '';
  if (target.length > MAX_TARGET) throw new JobRequestError(`target is longer than ${MAX_TARGET} characters`);
  const payload = request.payload ?? {};
  // JSON.stringify gives undefined for what JSON cannot hold (a function), despite its type.
  const json = JSON.stringify(payload) as string | undefined;
  if (json === undefined) throw new JobRequestError('payload must be a JSON value');
  const size = Buffer.byteLength(json);
  if (size > MAX_PAYLOAD_BYTES) {
    throw new JobRequestError(`payload is ${size} bytes of JSON; at most ${MAX_PAYLOAD_BYTES} are allowed`);
  }
  return {
    kind: kind.name,
    target,
    payload,
    singletonKey: request.singletonKey ?? null,
    schedule: request.schedule ?? null,
    runAt: request.runAt,
    maxAttempts,
    backoffInitialMs: kind.retry.backoffInitialMs,
    backoffMaxMs: kind.retry.backoffMaxMs,
    timeoutMs,
  };
}

export interface StoreJobQueueOptions {
  readonly kinds: JobKinds;
  /** The database when connected and migrated; `status` says why not otherwise. */
  readonly store: { readonly database: Database | undefined; readonly status: string };
  readonly schema: string;
  readonly clock?: Clock;
  /** Called after an enqueue, so a runner in this process claims the job at once. */
  readonly onEnqueued?: () => void;
}

export class StoreJobQueue implements JobQueue {
  private readonly clock: Clock;

  constructor(private readonly options: StoreJobQueueOptions) {
    this.clock = options.clock ?? systemClock;
  }

  async list(filter: JobFilter = {}): Promise<JobRecord[]> {
    if (
      filter.limit !== undefined &&
      (!Number.isInteger(filter.limit) || filter.limit < 1 || filter.limit > 1000)
    ) {
      throw new JobRequestError(`limit must be an integer from 1 to 1000, got ${filter.limit}`);
    }
    return this.repository().list(filter);
  }

  async get(id: string): Promise<JobRecord | undefined> {
    return this.repository().get(id);
  }

  async enqueue(request: EnqueueRequest): Promise<EnqueueResult> {
    const kind = this.options.kinds.get(request.kind);
    if (!kind) {
      throw new JobRequestError(
        `unknown job kind "${request.kind}"; the kinds are ${this.options.kinds.names.join(', ') || '(none)'}`,
      );
    }
    const now = new Date(this.clock.now());
    const result = await this.repository().insert(
      newJob(kind, { ...request, runAt: request.runAt ?? now }),
      now,
    );
    if (result.created) this.options.onEnqueued?.();
    return result;
  }

  async cancel(id: string): Promise<CancelResult> {
    const repository = this.repository();
    const cancelled = await repository.cancel(id, new Date(this.clock.now()));
    if (cancelled) {
      return cancelled.state === 'cancelled'
        ? { outcome: 'cancelled', job: cancelled }
        : { outcome: 'cancel-requested', job: cancelled };
    }
    const job = await repository.get(id);
    return job ? { outcome: 'already-finished', job } : { outcome: 'not-found' };
  }

  private repository(): JobRepository {
    const db = this.options.store.database;
    if (!db)
      throw new JobQueueUnavailableError(`the job store is not available: ${this.options.store.status}`);
    return new JobRepository(db, this.options.schema);
  }
}
