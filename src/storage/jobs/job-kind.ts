/**
 * A kind of job: its name, its handler and its defaults. Kinds are registered explicitly, in one
 * place (src/cli/job-kinds.ts); the runner claims only the kinds it has handlers for, so replicas
 * of different versions never run a job they do not know.
 */
import type { Logger } from '../../runtime/logger.js';
import { cronProblem, timeZoneProblem } from '../../api/v1alpha1/checks/cron.js';
import { retryPolicyProblem, type RetryPolicy } from './retry-policy.js';

export interface JobContext {
  readonly id: string;
  readonly kind: string;
  readonly target: string;
  readonly payload: unknown;
  /** 1 for the first attempt. */
  readonly attempt: number;
  /** Aborted on timeout, on cancel and when the operator stops: handlers must honour it. */
  readonly signal: AbortSignal;
  readonly logger: Logger;
}

export type JobHandler = (context: JobContext) => Promise<void>;

/**
 * A failure retrying cannot fix (a refused login, a migration whose SQL fails, drift): thrown by
 * a handler, it ends the job `dead` at once instead of spending its remaining attempts.
 */
export class PermanentJobError extends Error {
  override readonly name = 'PermanentJobError';
}

export interface JobKind {
  /** Lowercase words with dots or dashes, such as `jobs.prune` or `reports.daily`. */
  readonly name: string;
  readonly description: string;
  readonly handler: JobHandler;
  /** Per attempt; the handler's signal aborts when it passes. */
  readonly timeoutMs: number;
  readonly retry: RetryPolicy;
}

/** A schedule declared in code: `kind` is enqueued at each occurrence of `cron`. */
export interface ScheduleDeclaration {
  /** Unique; also the job's singleton key, so one run per schedule at a time. */
  readonly name: string;
  readonly cron: string;
  readonly timeZone?: string;
  readonly kind: string;
  readonly target?: string;
  readonly payload?: unknown;
}

const KIND_NAME = /^[a-z][a-z0-9]*([.-][a-z0-9]+)*$/;
export const DEFAULT_RETRY: RetryPolicy = {
  maxAttempts: 5,
  backoffInitialMs: 10_000,
  backoffMaxMs: 3_600_000,
};
export const DEFAULT_TIMEOUT_MS = 10 * 60_000;

export class JobKinds {
  private readonly kinds = new Map<string, JobKind>();
  private readonly schedules = new Map<string, ScheduleDeclaration>();

  register(kind: JobKind): this {
    if (!KIND_NAME.test(kind.name))
      throw new Error(`job kind "${kind.name}": must be lowercase words joined by . or -`);
    if (this.kinds.has(kind.name)) throw new Error(`job kind "${kind.name}" is registered twice`);
    const problem = retryPolicyProblem(kind.retry);
    if (problem) throw new Error(`job kind "${kind.name}": ${problem}`);
    if (!Number.isInteger(kind.timeoutMs) || kind.timeoutMs < 1 || kind.timeoutMs > 2_147_483_647) {
      throw new Error(`job kind "${kind.name}": timeoutMs must be a positive integer of milliseconds`);
    }
    this.kinds.set(kind.name, kind);
    return this;
  }

  schedule(declaration: ScheduleDeclaration): this {
    if (!this.kinds.has(declaration.kind)) {
      throw new Error(`schedule "${declaration.name}": job kind "${declaration.kind}" is not registered`);
    }
    const timing =
      cronProblem(declaration.cron, declaration.timeZone) ?? timeZoneProblem(declaration.timeZone ?? 'UTC');
    if (timing) throw new Error(`schedule "${declaration.name}": cron "${declaration.cron}" ${timing}`);
    if (this.schedules.has(declaration.name))
      throw new Error(`schedule "${declaration.name}" is declared twice`);
    this.schedules.set(declaration.name, declaration);
    return this;
  }

  get(name: string): JobKind | undefined {
    return this.kinds.get(name);
  }

  get names(): string[] {
    return [...this.kinds.keys()];
  }

  get declaredSchedules(): ScheduleDeclaration[] {
    return [...this.schedules.values()];
  }
}
