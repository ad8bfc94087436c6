/**
 * What the telemetry and job paths of the HTTP API ask of the operator: traffic series, heavy
 * hitters and the audit trail from the telemetry store, and the job queue. The database being
 * unavailable is a 503 that says why; a refused job request is a 400.
 */
import type { AuditAction, AuditEntry } from '../domain/telemetry/audit-chain.js';
import type { TopDimension } from '../domain/telemetry/records.js';
import { JobQueueUnavailableError, JobRequestError } from '../storage/jobs/job-queue.js';
import type { Database } from '../storage/database.js';
import { AuditStore } from '../telemetry/audit-store.js';
import {
  queryTop,
  queryTraffic,
  type TopAnswer,
  type TrafficAnswer,
  type TrafficQuery,
} from '../telemetry/queries.js';
import { ApiProblem } from './route.js';

export interface TelemetrySources {
  readonly store: { readonly database: Database | undefined; readonly status: string };
  readonly schema: string;
  now(): number;
}

function database(sources: TelemetrySources): Database {
  const db = sources.store.database;
  if (!db)
    throw new ApiProblem(
      503,
      'ServiceUnavailable',
      `the telemetry store is not available: ${sources.store.status}`,
    );
  return db;
}

/** At most this many points per series: a day of minutes. */
export const MAX_POINTS = 1_440;

export async function trafficView(
  sources: TelemetrySources,
  query: Omit<TrafficQuery, 'sinceMs' | 'untilMs'> & { sinceMs: number; untilMs: number },
): Promise<TrafficAnswer> {
  checkRange(query.sinceMs, query.untilMs);
  const points = Math.ceil((query.untilMs - query.sinceMs) / query.stepMs);
  if (points > MAX_POINTS)
    throw new ApiProblem(
      400,
      'BadRequest',
      `since..until with step ${query.stepMs / 1000}s makes ${points} points; at most ${MAX_POINTS} are served: widen step or narrow the range`,
    );
  return queryTraffic(database(sources), sources.schema, query, sources.now());
}

export async function topView(
  sources: TelemetrySources,
  query: { sinceMs: number; untilMs: number; by: TopDimension; limit: number },
): Promise<TopAnswer> {
  checkRange(query.sinceMs, query.untilMs);
  return queryTop(database(sources), sources.schema, query, sources.now());
}

export async function auditView(
  sources: TelemetrySources,
  query: {
    sinceMs: number;
    untilMs: number;
    action?: AuditAction;
    kind?: string;
    namespace?: string;
    name?: string;
    limit: number;
  },
): Promise<{ items: AuditEntry[] }> {
  checkRange(query.sinceMs, query.untilMs);
  const items = await new AuditStore(database(sources), sources.schema).list({
    since: new Date(query.sinceMs),
    until: new Date(query.untilMs),
    ...(query.action ? { action: query.action } : {}),
    ...(query.kind ? { kind: query.kind } : {}),
    ...(query.namespace ? { namespace: query.namespace } : {}),
    ...(query.name ? { name: query.name } : {}),
    limit: query.limit,
  });
  return { items };
}

function checkRange(sinceMs: number, untilMs: number): void {
  if (untilMs <= sinceMs)
    throw new ApiProblem(
      400,
      'BadRequest',
      `until (${new Date(untilMs).toISOString()}) must be after since (${new Date(sinceMs).toISOString()})`,
    );
}

/** Runs a job queue call, turning its refusals into API answers. */
export async function jobCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof JobQueueUnavailableError)
      throw new ApiProblem(503, 'ServiceUnavailable', error.message);
    if (error instanceof JobRequestError) throw new ApiProblem(400, 'BadRequest', error.message);
    throw error;
  }
}
