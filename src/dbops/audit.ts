/**
 * Audit-worthy database operations — a migration applied or undone, drift found, rows deleted,
 * a backup stored or removed, a restore, a maintenance fix — go to an AuditSink. The default
 * drops them; the telemetry work's audit trail will implement this interface, and the operator's
 * wiring will pass it in. Events never carry a password, a row's content or a statement's values.
 */
export interface AuditEvent {
  /** Dotted and stable: `database.migration.applied`, `database.backup.deleted`. */
  readonly action: string;
  readonly outcome: 'success' | 'failure';
  /** The resource that did it (`DatabaseBackup`, namespace, name), or the CLI. */
  readonly resource: { readonly kind: string; readonly namespace: string; readonly name: string };
  readonly job?: string;
  readonly at: Date;
  /** Plain facts: versions, counts, ids, the database's description. */
  readonly detail: Readonly<Record<string, string | number | boolean>>;
}

export interface AuditSink {
  record(event: AuditEvent): void;
}

export const noAudit: AuditSink = { record: () => undefined };

/** Keeps events in memory: tests, and `gateway-worker db` printing what it did. */
export class MemoryAuditSink implements AuditSink {
  readonly events: AuditEvent[] = [];

  record(event: AuditEvent): void {
    this.events.push(event);
  }
}
