/**
 * A database operation's failure as its resource reports it: a CamelCase reason for the Ready
 * condition, a message that says what was wrong and what to do (never a password), and whether
 * retrying can help. A permanent failure ends its job at once (PermanentJobError); a transient one
 * (a server restarting, a network blip) is retried by the job queue's back-off.
 */
import { PermanentJobError } from '../storage/jobs/job-kind.js';

export class OperationError extends Error {
  override readonly name = 'OperationError';

  constructor(
    readonly reason: string,
    message: string,
    readonly permanent: boolean,
    /** Structured detail the status shows (the failing migration's file and statement, ...). */
    readonly detail?: Readonly<Record<string, unknown>>,
  ) {
    super(message);
  }
}

/** What a handler throws after recording the failure: the job queue decides on retrying from it. */
export function jobError(error: OperationError): Error {
  return error.permanent ? new PermanentJobError(error.message) : new Error(error.message);
}
