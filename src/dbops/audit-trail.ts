/**
 * Database operations' audit events into the operator's audit trail (src/telemetry/audit-recorder.ts):
 * the dotted action (`database.backup.created`) is kept in the details, and mapped onto the
 * trail's fixed verbs so `audit export --action backup` finds backups whatever produced them.
 */
import type { AuditAction, AuditEvent as TrailEvent } from '../domain/telemetry/audit-chain.js';
import type { AuditEvent, AuditSink } from './audit.js';

const ACTIONS: Readonly<Record<string, AuditAction>> = {
  'database.migration.applied': 'applied',
  'database.migration.undone': 'rollback',
  'database.migration.failed': 'rejected',
  'database.migration.drift': 'observed',
  'database.retention.deleted': 'delete',
  'database.backup.created': 'backup',
  'database.backup.deleted': 'delete',
  'database.restore': 'restore',
  'database.maintenance.applied': 'applied',
};

/** The trail's verb for a database action; an action not listed is recorded as `observed`. */
export function trailAction(action: string): AuditAction {
  return ACTIONS[action] ?? 'observed';
}

export function trailEvent(event: AuditEvent): TrailEvent {
  const facts = Object.entries(event.detail)
    .filter(([key]) =>
      [
        'file',
        'version',
        'backup',
        'table',
        'rowsDeleted',
        'rowsArchived',
        'object',
        'action',
        'reason',
      ].includes(key),
    )
    .map(([key, value]) => `${key} ${String(value)}`);
  return {
    timeMs: event.at.getTime(),
    action: trailAction(event.action),
    actor: event.job === undefined ? 'gateway-worker' : `gateway-worker job ${event.job}`,
    kind: event.resource.kind,
    namespace: event.resource.namespace,
    name: event.resource.name,
    generation: 0,
    summary: `${event.action} (${event.outcome})${facts.length > 0 ? `: ${facts.join(', ')}` : ''}`,
    details: { ...event.detail, databaseAction: event.action, outcome: event.outcome },
  };
}

/** An AuditSink that queues into the trail (record() never blocks a run). */
export function auditTrailSink(trail: { record(event: TrailEvent): void }): AuditSink {
  return { record: (event) => trail.record(trailEvent(event)) };
}
