/**
 * The five database operations, one per kind: the job kind that runs it, and the names that tie
 * a resource to its jobs and its schedule. Every run of a resource — scheduled, requested or
 * caused by a change — shares one singleton key (the scheduler's own `schedule:<name>`), so two
 * runs of one resource never overlap in the queue.
 */
import {
  DatabaseBackupResource,
  DatabaseConnectionResource,
  DatabaseMaintenanceResource,
  DatabaseMigrationResource,
  DatabaseRetentionResource,
} from '../api/v1alpha1/index.js';
import type { ResourceType } from '../runtime/kube/resource.js';

export const OPERATIONS = {
  DatabaseConnection: { job: 'dbops.check', resource: DatabaseConnectionResource },
  DatabaseMigration: { job: 'dbops.migrate', resource: DatabaseMigrationResource },
  DatabaseRetention: { job: 'dbops.retention', resource: DatabaseRetentionResource },
  DatabaseBackup: { job: 'dbops.backup', resource: DatabaseBackupResource },
  DatabaseMaintenance: { job: 'dbops.maintenance', resource: DatabaseMaintenanceResource },
} as const satisfies Record<string, { job: string; resource: ResourceType }>;

export type DbopsKind = keyof typeof OPERATIONS;

export function isDbopsKind(kind: string): kind is DbopsKind {
  return Object.hasOwn(OPERATIONS, kind);
}

export interface Ref {
  readonly kind: DbopsKind;
  readonly namespace: string;
  readonly name: string;
}

export type Trigger = 'Schedule' | 'Change' | 'Requested';

/** What a job carries: the resource's name and why it runs, never a secret or a file. */
export interface JobPayload extends Ref {
  readonly trigger: Trigger;
  /** Identifies the change that caused it (the migration's inputs), so it is not enqueued twice. */
  readonly change?: string;
}

/** `DatabaseBackup/gw/nightly`: the job's target and the schedule's owner. */
export function targetOf(ref: Ref): string {
  return `${ref.kind}/${ref.namespace}/${ref.name}`;
}

export function scheduleNameOf(ref: Ref): string {
  return `dbops:${targetOf(ref)}`;
}

/** The scheduler's singleton key for the schedule, shared by every run of the resource. */
export function singletonKeyOf(ref: Ref): string {
  return `schedule:${scheduleNameOf(ref)}`;
}

export function parseTarget(target: string): Ref | undefined {
  const [kind = '', namespace = '', name = '', ...rest] = target.split('/');
  if (rest.length > 0 || !isDbopsKind(kind) || namespace === '' || name === '') return undefined;
  return { kind, namespace, name };
}

const TRIGGERS: readonly Trigger[] = ['Schedule', 'Change', 'Requested'];

/** The payload of a job; a scheduled job's payload is the schedule's, a `jobs run` one may be `{}`. */
export function parsePayload(payload: unknown, target: string): JobPayload | undefined {
  const ref = parseTarget(target);
  if (!ref) return undefined;
  const value = (typeof payload === 'object' && payload !== null ? payload : {}) as Partial<JobPayload>;
  const trigger = TRIGGERS.includes(value.trigger as Trigger) ? (value.trigger as Trigger) : 'Requested';
  return { ...ref, trigger, ...(typeof value.change === 'string' ? { change: value.change } : {}) };
}
