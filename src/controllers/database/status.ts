/**
 * The status fields every database kind shares, from the resource's newest job and run records:
 * `lastRun`, Ready (from the newest finished run, by the kind's own rule), Reconciling (a run is
 * queued or running). Pure.
 */
import { clip } from '../../domain/dbops/index.js';
import type { RunRecord } from '../../dbops/runs/run-store.js';
import type { JobRecord } from '../../storage/jobs/job-types.js';
import { setCondition, type Condition, type ConditionInput } from '../../runtime/status/conditions.js';

export type RunState = 'Queued' | 'Running' | 'Succeeded' | 'Failed';

export interface LastRun {
  job?: string;
  trigger?: string;
  state?: RunState;
  startedAt?: string;
  finishedAt?: string;
  duration?: string;
  message?: string;
}

export interface History {
  /** The resource's newest job, from the queue (absent once pruned). */
  readonly job: JobRecord | undefined;
  /** The newest runs, newest first. */
  readonly runs: readonly RunRecord[];
}

/** 64123 ms → "1m4s". */
export function shortDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${Math.max(0, seconds)}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${seconds % 60}s`;
  return `${Math.floor(minutes / 60)}h${minutes % 60}m`;
}

const time = (d: Date | null | undefined): string | undefined =>
  d ? d.toISOString().replace(/\.\d{3}Z$/, 'Z') : undefined;

export function newestFinished(history: History): RunRecord | undefined {
  return history.runs.find((r) => r.outcome !== 'running');
}

function jobState(job: JobRecord): RunState {
  switch (job.state) {
    case 'queued':
    case 'retry':
      return 'Queued';
    case 'running':
      return 'Running';
    case 'succeeded':
      return 'Succeeded';
    case 'dead':
    case 'cancelled':
      return 'Failed';
  }
}

export function isUnfinished(job: JobRecord | undefined): boolean {
  return job !== undefined && (job.state === 'queued' || job.state === 'retry' || job.state === 'running');
}

export function lastRunOf(history: History): LastRun | undefined {
  const { job } = history;
  const run = job ? history.runs.find((r) => r.job === job.id) : history.runs[0];
  if (!job && !run) return undefined;
  const runState: RunState | undefined =
    run?.outcome === 'succeeded' ? 'Succeeded' : run?.outcome === 'failed' ? 'Failed' : undefined;
  // The run records its end a moment before the queue marks the job: believe the newer record.
  const recordedFirst = job?.state === 'running' && run?.attempt === job.attempts && runState !== undefined;
  const state: RunState = job && !recordedFirst ? jobState(job) : (runState ?? 'Running');
  const startedAt = run?.startedAt ?? job?.startedAt ?? undefined;
  const finishedAt =
    state === 'Succeeded' || state === 'Failed'
      ? (run?.finishedAt ?? job?.finishedAt ?? undefined)
      : undefined;
  let message = run?.outcome === 'running' ? 'running' : (run?.message ?? '');
  if (job?.state === 'retry') message = `waiting to retry after: ${job.lastError ?? 'a failed attempt'}`;
  else if (job?.state === 'queued') message = 'queued';
  else if ((job?.state === 'dead' || job?.state === 'cancelled') && (!run || run.outcome === 'running'))
    message = job.lastError ?? job.state;
  return {
    job: job?.id ?? run?.job,
    trigger: run?.trigger ?? (job?.schedule ? 'Schedule' : undefined),
    state,
    startedAt: time(startedAt),
    finishedAt: time(finishedAt),
    duration: startedAt && finishedAt ? shortDuration(finishedAt.getTime() - startedAt.getTime()) : undefined,
    message: clip(message, 4000),
  };
}

export interface ReadyRule {
  /** Ready from the newest finished run (undefined: the kind has no opinion, use the default). */
  (run: RunRecord): Omit<ConditionInput, 'type' | 'observedGeneration'> | undefined;
}

/** Ready and Reconciling, in that order, on top of the kind's other conditions. */
export function runConditions(
  previous: readonly Condition[] | undefined,
  history: History,
  ready: ReadyRule,
  /** Before any run: Ready=True (Scheduled) for kinds that wait for their schedule, or a message while the first run is due. */
  idle: { readonly scheduled: boolean; readonly message: string },
  observedGeneration: number | undefined,
  now: Date,
): Condition[] {
  const finished = newestFinished(history);
  const { job } = history;
  let readyInput: Omit<ConditionInput, 'type' | 'observedGeneration'>;
  if (finished) {
    readyInput = ready(finished) ?? defaultReady(finished);
  } else if (job && (job.state === 'dead' || job.state === 'cancelled')) {
    readyInput = {
      status: 'False',
      reason: 'JobFailed',
      message: clip(job.lastError ?? `the job ended ${job.state}`, 4000),
    };
  } else {
    readyInput =
      idle.scheduled && !isUnfinished(job)
        ? { status: 'True', reason: 'Scheduled', message: idle.message }
        : { status: 'Unknown', reason: isUnfinished(job) ? 'Running' : 'NotRunYet', message: idle.message };
  }
  let conditions = setCondition(previous, { type: 'Ready', ...readyInput, observedGeneration }, now);
  conditions = setCondition(
    conditions,
    isUnfinished(job)
      ? {
          type: 'Reconciling',
          status: 'True',
          reason: job?.state === 'running' ? 'Running' : 'Queued',
          message: `job ${job?.id ?? ''} is ${job?.state ?? ''}`,
          observedGeneration,
        }
      : {
          type: 'Reconciling',
          status: 'False',
          reason: 'Idle',
          message: 'no run is queued or running',
          observedGeneration,
        },
    now,
  );
  return conditions;
}

export function defaultReady(run: RunRecord): Omit<ConditionInput, 'type' | 'observedGeneration'> {
  return run.outcome === 'succeeded'
    ? { status: 'True', reason: run.reason || 'Succeeded', message: clip(run.message, 4000) }
    : { status: 'False', reason: run.reason || 'Failed', message: clip(run.message, 4000) };
}
