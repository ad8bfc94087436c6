/**
 * ListJobs over the durable job queue: records become the proto's Job, filters are checked, and a
 * store that is not connected answers UNAVAILABLE with the reason /ready gives.
 */
import { status } from '@grpc/grpc-js';
import type { Job } from '../generated/gateway/worker/v1/worker.js';
import { JobQueueUnavailableError, JobRequestError } from '../storage/jobs/job-queue.js';
import { isJobState, JOB_STATES, type JobQueue, type JobRecord } from '../storage/jobs/job-types.js';
import type { JobListFilter, JobRegistry } from './job-registry.js';
import { StatusError } from './status-error.js';

const unix = (date: Date | null): number => (date === null ? 0 : Math.floor(date.getTime() / 1000));

export function toProtoJob(job: JobRecord): Job {
  return {
    id: job.id,
    kind: job.kind,
    target: job.target,
    state: job.state,
    message: job.lastError ?? '',
    startedUnix: unix(job.startedAt),
    attempts: job.attempts,
    maxAttempts: job.maxAttempts,
    createdUnix: unix(job.createdAt),
    runAtUnix: unix(job.runAt),
    finishedUnix: unix(job.finishedAt),
    schedule: job.schedule ?? '',
  };
}

export class QueueJobRegistry implements JobRegistry {
  constructor(private readonly queue: JobQueue) {}

  async list(filter: JobListFilter = {}): Promise<Job[]> {
    const state = filter.state === '' ? undefined : filter.state;
    if (state !== undefined && !isJobState(state)) {
      throw new StatusError(
        status.INVALID_ARGUMENT,
        `state "${state}" is not one of ${JOB_STATES.join(', ')}`,
      );
    }
    try {
      const jobs = await this.queue.list({
        state,
        kind: filter.kind === '' ? undefined : filter.kind,
        limit: filter.limit === 0 ? undefined : filter.limit,
      });
      return jobs.map(toProtoJob);
    } catch (err) {
      if (err instanceof JobQueueUnavailableError) throw new StatusError(status.UNAVAILABLE, err.message);
      if (err instanceof JobRequestError) throw new StatusError(status.INVALID_ARGUMENT, err.message);
      throw err;
    }
  }
}
