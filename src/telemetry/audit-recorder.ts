/**
 * The audit trail as the rest of the operator uses it: `record()` queues an event and returns at
 * once (resource changes, gateway outcomes), `append()` waits until it is in the chain (security
 * decisions, which must not be acted on unrecorded). Queued events are written in order, in
 * batches; while the database is unavailable they wait in a bounded queue, and beyond it are
 * dropped with an error line and a metric rather than growing without limit.
 */
import { Counter, type Registry } from 'prom-client';
import type { AuditEntry, AuditEvent } from '../domain/telemetry/audit-chain.js';
import { systemClock, type Clock, type Timer } from '../runtime/clock.js';
import type { Component } from '../runtime/component.js';
import type { Logger } from '../runtime/logger.js';
import type { Database } from '../storage/database.js';
import { describeDatabaseError } from '../storage/errors.js';
import { AuditStore } from './audit-store.js';

export interface AuditRecorderOptions {
  readonly store: { readonly database: Database | undefined; readonly status: string };
  readonly schema: string;
  readonly logger: Logger;
  readonly registry?: Registry;
  readonly clock?: Clock;
  /** Queued events beyond this are dropped (default 10,000). */
  readonly maxQueued?: number;
  readonly flushMs?: number;
}

export class AuditUnavailableError extends Error {
  override readonly name = 'AuditUnavailableError';
}

export class AuditRecorder implements Component {
  readonly name = 'audit-recorder';
  private readonly queue: AuditEvent[] = [];
  private readonly clock: Clock;
  private timer: Timer | undefined;
  private flushing: Promise<void> | undefined;
  private stopped = false;
  private lastError: string | undefined;
  private readonly entries: Counter<'outcome'> | undefined;

  constructor(private readonly options: AuditRecorderOptions) {
    this.clock = options.clock ?? systemClock;
    this.entries = options.registry
      ? new Counter({
          name: 'gateway_worker_audit_entries_total',
          help: 'Audit trail entries by outcome: appended, or dropped (the queue was full while the database was unavailable).',
          labelNames: ['outcome'],
          registers: [options.registry],
        })
      : undefined;
  }

  start(): Promise<void> {
    this.stopped = false;
    this.schedule();
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    await this.flushing;
    await this.flush();
  }

  /** Queues `event`; it is appended within about a second. */
  record(event: AuditEvent): void {
    if (this.queue.length >= (this.options.maxQueued ?? 10_000)) {
      this.entries?.inc({ outcome: 'dropped' });
      this.options.logger.error('audit entry dropped: the queue is full while the database is unavailable', {
        action: event.action,
        kind: event.kind,
        name: `${event.namespace}/${event.name}`,
      });
      return;
    }
    this.queue.push(event);
    if (this.queue.length >= 100) this.schedule(0);
  }

  /** Appends `event` now, after what is queued; throws {@link AuditUnavailableError} without a database. */
  async append(event: AuditEvent): Promise<AuditEntry> {
    const db = this.options.store.database;
    if (!db)
      throw new AuditUnavailableError(`the audit trail is not available: ${this.options.store.status}`);
    await this.flush();
    const [entry] = await new AuditStore(db, this.options.schema).append([event]);
    if (!entry) throw new Error('the audit trail appended nothing');
    this.entries?.inc({ outcome: 'appended' });
    return entry;
  }

  /** Writes what is queued (tests call it to see entries at once). */
  flush(): Promise<void> {
    const run = (this.flushing ?? Promise.resolve()).then(() => this.flushQueued());
    this.flushing = run.finally(() => {
      if (this.flushing === run) this.flushing = undefined;
    });
    return run;
  }

  private async flushQueued(): Promise<void> {
    const db = this.options.store.database;
    if (!db || this.queue.length === 0) return;
    const batch = this.queue.slice(0, 500);
    try {
      await new AuditStore(db, this.options.schema).append(batch);
      this.queue.splice(0, batch.length);
      this.entries?.inc({ outcome: 'appended' }, batch.length);
      if (this.lastError !== undefined) this.options.logger.info('audit trail writable again');
      this.lastError = undefined;
    } catch (error) {
      const message = describeDatabaseError(error);
      if (message !== this.lastError)
        this.options.logger.warn(`audit entries wait: appending failed: ${message}`, {
          queued: this.queue.length,
        });
      this.lastError = message;
    }
  }

  private schedule(delayMs = this.options.flushMs ?? 1_000): void {
    if (this.stopped) return;
    this.timer?.cancel();
    this.timer = this.clock.setTimer(delayMs, () => {
      void this.flush().finally(() => this.schedule());
    });
  }
}
