/**
 * The worker's background jobs (issuances, renewals, rollouts) as WorkerService.ListJobs shows
 * them. Controllers record jobs through {@link InMemoryJobRegistry}; the gRPC service only reads.
 */
import { randomUUID } from 'node:crypto';
import type { Job } from '../generated/gateway/worker/v1/worker.js';
import { systemClock, type Clock } from '../runtime/clock.js';

export type JobState = 'pending' | 'running' | 'succeeded' | 'failed';

/** What WorkerService needs: a read-only view. */
export interface JobRegistry {
  /** Oldest first. */
  list(): Job[];
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
    this.jobs.set(id, { id, kind, target, state: 'running', message, startedUnix });
    this.evict();
    return id;
  }

  /** Marks a job done. Unknown ids (already evicted) are ignored: the outcome has nowhere to go. */
  finish(id: string, state: Extract<JobState, 'succeeded' | 'failed'>, message = ''): void {
    const job = this.jobs.get(id);
    if (!job) return;
    this.jobs.set(id, { ...job, state, message });
  }

  list(): Job[] {
    return [...this.jobs.values()].map((job) => ({ ...job }));
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
