/**
 * What every database operation's job does around its work: read the resource (gone: nothing to
 * do), record the run's start and end in `dbops_runs` (the status's source), count it in the
 * metrics, announce it in this process (RunEvents: controllers, notifications), and turn a failure
 * into the job queue's terms — permanent failures end the job at once, transient ones retry.
 */
import type { KubeObject } from '../../runtime/kube/resource.js';
import type { Clock } from '../../runtime/clock.js';
import type { Logger } from '../../runtime/logger.js';
import { describeDatabaseError } from '../../storage/errors.js';
import type { Database } from '../../storage/database.js';
import type { JobContext, JobKind } from '../../storage/jobs/job-kind.js';
import type { RetryPolicy } from '../../storage/jobs/retry-policy.js';
import type { ObjectStore } from '../../storage/object-store.js';
import type { AuditSink } from '../audit.js';
import type { PgTools } from '../backup/pg-tools.js';
import type { DbopsMetrics } from '../metrics.js';
import { OperationError, jobError } from '../operation-error.js';
import { OPERATIONS, parsePayload, type DbopsKind, type JobPayload } from '../operations.js';
import { readResource, type ResourceReader } from '../resources.js';
import type { RunEvents } from '../runs/run-events.js';
import { RunStore } from '../runs/run-store.js';

/** What the jobs of database operations need, from the operator's wiring. */
export interface DbopsDeps {
  readonly kube: ResourceReader;
  readonly store: { readonly database: Database | undefined; readonly status: string };
  readonly schema: string;
  /** The operator's object store (OBJECT_STORE_URL), when one is configured. */
  readonly objectStore: () => ObjectStore | undefined;
  readonly audit: AuditSink;
  readonly events: RunEvents;
  readonly metrics: DbopsMetrics;
  readonly clock: Clock;
  readonly tools: () => Promise<PgTools>;
  /** server_version_num below which a server is refused. */
  readonly minimumServerVersion: number;
}

export interface OperationRun<R extends KubeObject> {
  readonly resource: R;
  readonly payload: JobPayload;
  readonly job: JobContext;
  readonly deps: DbopsDeps;
  readonly logger: Logger;
  readonly startedAt: Date;
  /** Records an audit event for this resource and job. */
  audit(
    action: string,
    outcome: 'success' | 'failure',
    detail: Readonly<Record<string, string | number | boolean>>,
  ): void;
}

export interface OperationOutcome {
  /** The Ready condition's reason on success (usually Succeeded). */
  readonly reason?: string;
  readonly message: string;
  readonly summary: Readonly<Record<string, unknown>>;
}

export interface OperationDefinition<R extends KubeObject> {
  readonly kind: DbopsKind;
  readonly description: string;
  readonly timeoutMs: number;
  readonly retry: RetryPolicy;
  run(run: OperationRun<R>): Promise<OperationOutcome>;
}

function asOperationError(err: unknown): OperationError {
  if (err instanceof OperationError) return err;
  return new OperationError('Failed', describeDatabaseError(err), false);
}

export function operationJobKind<R extends KubeObject>(
  definition: OperationDefinition<R>,
  deps: () => DbopsDeps | undefined,
): JobKind {
  const { kind } = definition;
  return {
    name: OPERATIONS[kind].job,
    description: definition.description,
    timeoutMs: definition.timeoutMs,
    retry: definition.retry,
    async handler(job) {
      const d = deps();
      if (!d)
        throw new Error(
          'database operations run in the operator, which has a Kubernetes client; this process has none',
        );
      const payload = parsePayload(job.payload, job.target);
      if (!payload || payload.kind !== kind)
        throw new OperationError(
          'InvalidJob',
          `job target "${job.target}" is not ${kind}/<namespace>/<name>`,
          true,
        );
      const db = d.store.database;
      if (!db) throw new Error(`gateway-worker's own database is not available: ${d.store.status}`);
      const resource = await readResource<R>(
        d.kube,
        OPERATIONS[kind].resource,
        payload.namespace,
        payload.name,
      );
      if (!resource) {
        job.logger.info('the resource is gone; nothing to do', { target: job.target });
        return;
      }
      const runs = new RunStore(db, d.schema);
      const ref = { kind, namespace: payload.namespace, name: payload.name };
      const startedAt = new Date(d.clock.now());
      await runs.start({ ...ref, job: job.id, attempt: job.attempt, trigger: payload.trigger, startedAt });
      const finish = async (
        outcome: 'succeeded' | 'failed',
        reason: string,
        message: string,
        summary: Readonly<Record<string, unknown>>,
      ): Promise<void> => {
        const finishedAt = new Date(d.clock.now());
        await runs.finish(job.id, job.attempt, { outcome, reason, message, summary, finishedAt });
        await runs.prune(ref).catch(() => undefined);
        d.metrics.runs.inc({ kind, outcome, reason: outcome === 'succeeded' ? '' : reason });
        d.metrics.duration.observe({ kind }, (finishedAt.getTime() - startedAt.getTime()) / 1000);
        if (outcome === 'succeeded')
          d.metrics.lastSuccess.set(
            { kind, namespace: ref.namespace, name: ref.name },
            finishedAt.getTime() / 1000,
          );
        d.events.publish({ ...ref, job: job.id, outcome, reason, message, finishedAt });
      };
      const run: OperationRun<R> = {
        resource,
        payload,
        job,
        deps: d,
        logger: job.logger,
        startedAt,
        audit: (action, outcome, detail) =>
          d.audit.record({
            action,
            outcome,
            resource: ref,
            job: job.id,
            at: new Date(d.clock.now()),
            detail,
          }),
      };
      let result: OperationOutcome;
      try {
        result = await definition.run(run);
      } catch (err) {
        if (job.signal.aborted) {
          const why = job.signal.reason instanceof Error ? job.signal.reason.message : 'stopped';
          await finish('failed', 'Interrupted', `the run was interrupted: ${why}`, {}).catch(() => undefined);
          throw err;
        }
        const failure = asOperationError(err);
        await finish('failed', failure.reason, failure.message, failure.detail ?? {});
        job.logger.warn('database operation failed', { reason: failure.reason, error: failure.message });
        throw jobError(failure);
      }
      await finish('succeeded', result.reason ?? 'Succeeded', result.message, result.summary);
    },
  };
}
