/**
 * The worker's background jobs as WorkerService.ListJobs shows them: the durable job queue in
 * the operator (see queue-job-registry.ts), or {@link InMemoryJobRegistry} where no store runs
 * (tests of the gRPC server alone). The gRPC service only reads.
 */
import { randomUUID } from 'node:crypto';
import type { Job } from '../generated/gateway/worker/v1/worker.js';
import { systemClock, type Clock } from '../runtime/clock.js';

export type JobState = 'pending' | 'running' | 'succeeded' | 'failed';

export interface JobListFilter {
  readonly state?: string;
  readonly kind?: string;
  readonly limit?: number;
}

/** What WorkerService needs: a read-only view. */
export interface JobRegistry {
  list(filter?: JobListFilter): Job[] | Promise<Job[]>;
}

export interface InMemoryJobRegistryOptions {
  clock?: Clock;
  /** Jobs kept at most (default 1000). */
  limit?: number;
  /** Job ids; random UUIDs unless a test wants predictable ones. */
  newId?: () => string;
}

const DEFAULT_LIMIT = 1000;

export class InMemoryJobRegistry implements JobRegistry {
  private readonly clock: Clock;
  private readonly limit: number;
  private readonly newId: () => string;
  // Insertion order is start order.
  private readonly jobs = new Map<string, Job>();

  constructor(options: InMemoryJobRegistryOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.limit = options.limit ?? DEFAULT_LIMIT;
    this.newId = options.newId ?? randomUUID;
    if (!(this.limit >= 1)) throw new Error('InMemoryJobRegistry: limit must be at least 1');
  }

  /** Records a running job and returns its id. `target` is the resource, `namespace/name`. */
  start(kind: string, target: string, message = ''): string {
    const id = this.newId();
    const startedUnix = Math.floor(this.clock.now() / 1000);
    this.jobs.set(id, {
      id,
      kind,
      target,
      state: 'running',
      message,
      startedUnix,
      attempts: 1,
      maxAttempts: 1,
      createdUnix: startedUnix,
      runAtUnix: startedUnix,
      finishedUnix: 0,
      schedule: '',
    });
    this.evict();
    return id;
  }

  /** Marks a job done. Unknown ids (already evicted) are ignored: the outcome has nowhere to go. */
  finish(id: string, state: Extract<JobState, 'succeeded' | 'failed'>, message = ''): void {
    const job = this.jobs.get(id);
    if (!job) return;
    this.jobs.set(id, { ...job, state, message, finishedUnix: Math.floor(this.clock.now() / 1000) });
  }

  /** Oldest first. */
  list(filter: JobListFilter = {}): Job[] {
    const matching = [...this.jobs.values()].filter(
      (job) => (!filter.state || job.state === filter.state) && (!filter.kind || job.kind === filter.kind),
    );
    return (filter.limit ? matching.slice(-filter.limit) : matching).map((job) => ({ ...job }));
  }

  get size(): number {
    return this.jobs.size;
  }

  /**
   * Drops the oldest finished job, so a job that is still running stays visible; only when every
   * kept job is running does the oldest of them go.
   */
  private evict(): void {
    if (this.jobs.size <= this.limit) return;
    let victim: string | undefined;
    for (const job of this.jobs.values()) {
      if (job.state === 'succeeded' || job.state === 'failed') {
        victim = job.id;
        break;
      }
    }
    victim ??= this.jobs.keys().next().value;
    if (victim !== undefined) this.jobs.delete(victim);
  }
}
