/** The job queue's records and requests, shared by the runner, the CLI, gRPC and the HTTP API. */

export const JOB_STATES = ['queued', 'retry', 'running', 'succeeded', 'cancelled', 'dead'] as const;
export type JobState = (typeof JOB_STATES)[number];
/** States from which a job can still run. */
export const UNFINISHED_STATES: readonly JobState[] = ['queued', 'retry', 'running'];

export function isJobState(text: string): text is JobState {
  return (JOB_STATES as readonly string[]).includes(text);
}

export interface JobRecord {
  readonly id: string;
  readonly kind: string;
  /** What the job works on (`namespace/name`, a schedule's target); may be empty. */
  readonly target: string;
  readonly payload: unknown;
  readonly state: JobState;
  readonly singletonKey: string | null;
  /** The schedule that enqueued it, if any. */
  readonly schedule: string | null;
  /** Attempts started so far (a running job counts its current attempt). */
  readonly attempts: number;
  readonly maxAttempts: number;
  readonly timeoutMs: number;
  /** When it may run next (queued, retry). */
  readonly runAt: Date;
  readonly leaseExpiresAt: Date | null;
  /** The runner (pod/process) holding it while running. */
  readonly lockedBy: string | null;
  readonly cancelRequested: boolean;
  readonly lastError: string | null;
  readonly createdAt: Date;
  readonly startedAt: Date | null;
  readonly finishedAt: Date | null;
}

export interface EnqueueRequest {
  readonly kind: string;
  readonly target?: string;
  /** Any JSON value; the handler reads it. */
  readonly payload?: unknown;
  /** While an unfinished job holds this key, enqueuing another with it returns that job instead. */
  readonly singletonKey?: string;
  /** Not before this time (default: now). */
  readonly runAt?: Date;
  /** Override the kind's defaults. */
  readonly maxAttempts?: number;
  readonly timeoutMs?: number;
  readonly schedule?: string;
}

export interface EnqueueResult {
  readonly job: JobRecord;
  /** False when a job with the same singleton key was still unfinished: that one is returned. */
  readonly created: boolean;
}

export type CancelResult =
  | { readonly outcome: 'cancelled'; readonly job: JobRecord }
  /** Running: its handler is told through its AbortSignal (within a few seconds on any replica). */
  | { readonly outcome: 'cancel-requested'; readonly job: JobRecord }
  | { readonly outcome: 'already-finished'; readonly job: JobRecord }
  | { readonly outcome: 'not-found' };

export interface JobFilter {
  readonly state?: JobState;
  readonly kind?: string;
  /** Newest first; at most this many (default 100, at most 1000). */
  readonly limit?: number;
}

/** The job queue as the CLI, gRPC and the HTTP API use it: a small, typed surface. */
export interface JobQueue {
  list(filter?: JobFilter): Promise<JobRecord[]>;
  get(id: string): Promise<JobRecord | undefined>;
  enqueue(request: EnqueueRequest): Promise<EnqueueResult>;
  cancel(id: string): Promise<CancelResult>;
}
