/**
 * Writes received batches to `telemetry_batches` (migration 100) with group commit: batches that
 * arrive while an insert runs go together in the next one, one multi-row INSERT, so the embedded
 * store (one connection, every statement a turn) and PostgreSQL both keep up with many gateways.
 * The primary key (gateway_id, stream, sequence) drops a resent batch: ON CONFLICT DO NOTHING,
 * and RETURNING says which rows are new. A batch resolves only once its row is committed; then
 * listeners hear of it in-process and, on PostgreSQL, through NOTIFY gateway_worker_telemetry,
 * so the log processor on the leader wakes without polling.
 */
import type { Clock } from '../../runtime/clock.js';
import type { Logger } from '../../runtime/logger.js';
import { identifier, type Database, type SqlParam } from '../../storage/database.js';

/** The channel the log processor LISTENs on (docs/telemetry.md, "Shipping logs"). */
export const TELEMETRY_NOTIFY_CHANNEL = 'gateway_worker_telemetry';

export type BatchSource = 'ship_logs' | 'otlp';

/** What listeners learn of a stored batch (its records stay in the table). */
export interface StoredBatch {
  readonly gatewayId: string;
  readonly stream: string;
  readonly sequence: number;
  readonly entryCount: number;
  /** SECURITY records among them: a processor may want those first. */
  readonly securityCount: number;
  readonly droppedAccess: number;
  readonly droppedSecurity: number;
  readonly malformed: number;
  readonly source: BatchSource;
}

export interface BatchToStore extends StoredBatch {
  /** gateway.worker.v1.LogEntries, encoded. */
  readonly entries: Uint8Array;
}

export type StoreOutcome = 'stored' | 'duplicate';

export type StoredBatchListener = (batches: readonly StoredBatch[]) => void;

export class StorageUnavailableError extends Error {}

export interface BatchStoreOptions {
  /** The database once ready; undefined while it connects or is down. */
  readonly database: () => Database | undefined;
  /** Why there is no database, for error messages. */
  readonly status: () => string;
  readonly schema: string;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Inserts running at once (the embedded store takes one at a time anyway). */
  readonly concurrency?: number;
  /** Observes each insert's duration in seconds. */
  readonly observeInsert?: (seconds: number, rows: number) => void;
}

interface Pending {
  readonly batch: BatchToStore;
  readonly resolve: (outcome: StoreOutcome) => void;
  readonly reject: (error: Error) => void;
}

/** Rows per INSERT: 9 parameters each, far below PostgreSQL's 65,535. */
const MAX_ROWS_PER_INSERT = 500;
/** Bytes of records per INSERT: bounds one statement's memory on both ends. */
const MAX_BYTES_PER_INSERT = 16 * 1024 * 1024;

export class BatchStore {
  private readonly queue: Pending[] = [];
  private readonly listeners = new Set<StoredBatchListener>();
  private readonly drainListeners = new Set<() => void>();
  private readonly insert: string;
  private running = 0;
  private queued = 0;
  private readonly idle = new Set<() => void>();

  constructor(private readonly options: BatchStoreOptions) {
    this.insert = `INSERT INTO ${identifier(options.schema)}.telemetry_batches
      (gateway_id, stream, sequence, received_at, entry_count, dropped_access, dropped_security, malformed, entries)
      VALUES `;
  }

  /** Bytes of records waiting for or inside an insert: the ingest pauses streams past a bound. */
  get queuedBytes(): number {
    return this.queued;
  }

  onStored(listener: StoredBatchListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Called whenever an insert finishes, so paused streams can look again. */
  onDrain(listener: () => void): () => void {
    this.drainListeners.add(listener);
    return () => this.drainListeners.delete(listener);
  }

  /** Resolves once the batch is committed (or was already); rejects with StorageUnavailableError. */
  submit(batch: BatchToStore): Promise<StoreOutcome> {
    return new Promise((resolve, reject) => {
      this.queue.push({ batch, resolve, reject });
      this.queued += batch.entries.length;
      this.pump();
    });
  }

  /** Resolves once nothing is queued or being inserted. */
  async whenIdle(): Promise<void> {
    if (this.running === 0 && this.queue.length === 0) return;
    await new Promise<void>((resolve) => this.idle.add(resolve));
  }

  private pump(): void {
    const db = this.options.database();
    const limit = db?.kind === 'embedded' ? 1 : (this.options.concurrency ?? 2);
    while (this.queue.length > 0 && this.running < limit) {
      const group = this.takeGroup();
      this.running += 1;
      void this.write(group).finally(() => {
        this.running -= 1;
        for (const pending of group) this.queued -= pending.batch.entries.length;
        for (const listener of [...this.drainListeners]) listener();
        if (this.queue.length > 0) this.pump();
        else if (this.running === 0) {
          for (const resolve of [...this.idle]) resolve();
          this.idle.clear();
        }
      });
    }
  }

  private takeGroup(): Pending[] {
    const group: Pending[] = [];
    let bytes = 0;
    while (this.queue.length > 0 && group.length < MAX_ROWS_PER_INSERT) {
      const next = this.queue[0];
      if (!next || (group.length > 0 && bytes + next.batch.entries.length > MAX_BYTES_PER_INSERT)) break;
      this.queue.shift();
      group.push(next);
      bytes += next.batch.entries.length;
    }
    return group;
  }

  private async write(group: Pending[]): Promise<void> {
    const db = this.options.database();
    if (!db) {
      const error = new StorageUnavailableError(
        `telemetry storage is not available: ${this.options.status()}`,
      );
      for (const pending of group) pending.reject(error);
      return;
    }
    const started = performance.now();
    let inserted: Set<string>;
    try {
      inserted = await this.insertGroup(db, group);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.options.logger.warn('storing telemetry batches failed; their streams are told to resend', {
        batches: group.length,
        error: message,
      });
      const failure = new StorageUnavailableError(`storing the batch failed: ${message}`);
      for (const pending of group) pending.reject(failure);
      return;
    }
    this.options.observeInsert?.((performance.now() - started) / 1000, group.length);
    const stored: StoredBatch[] = [];
    for (const pending of group) {
      const key = rowKey(pending.batch.gatewayId, pending.batch.stream, pending.batch.sequence);
      // A key twice in one group is inserted once: the first copy claims it.
      if (inserted.delete(key)) {
        stored.push(withoutEntries(pending.batch));
        pending.resolve('stored');
      } else {
        pending.resolve('duplicate');
      }
    }
    if (stored.length > 0) this.announce(stored);
  }

  private async insertGroup(db: Database, group: readonly Pending[]): Promise<Set<string>> {
    const params: SqlParam[] = [];
    const rows: string[] = [];
    const receivedAt = new Date(this.options.clock.now());
    for (const { batch } of group) {
      const n = params.length;
      rows.push(
        `($${n + 1}, $${n + 2}, $${n + 3}, $${n + 4}, $${n + 5}, $${n + 6}, $${n + 7}, $${n + 8}, decode($${n + 9}, 'base64'))`,
      );
      params.push(
        batch.gatewayId,
        batch.stream,
        batch.sequence,
        receivedAt,
        batch.entryCount,
        batch.droppedAccess,
        batch.droppedSecurity,
        batch.malformed,
        Buffer.from(batch.entries.buffer, batch.entries.byteOffset, batch.entries.byteLength).toString(
          'base64',
        ),
      );
    }
    const sql = `${this.insert}${rows.join(',\n')}
      ON CONFLICT (gateway_id, stream, sequence) DO NOTHING
      RETURNING gateway_id, stream, sequence`;
    const keys = (result: {
      rows: { gateway_id: string; stream: string; sequence: unknown }[];
    }): Set<string> =>
      new Set(result.rows.map((row) => rowKey(row.gateway_id, row.stream, Number(row.sequence))));
    if (db.kind !== 'postgres') return keys(await db.query(sql, params));
    // NOTIFY is delivered at COMMIT, in the same transaction as the rows it announces.
    return db.transaction(async (tx) => {
      const inserted = keys(await tx.query(sql, params));
      if (inserted.size > 0) {
        await tx.query('SELECT pg_notify($1, $2)', [TELEMETRY_NOTIFY_CHANNEL, this.payload(group, inserted)]);
      }
      return inserted;
    });
  }

  /** The NOTIFY payload: which schema, and how much arrived (docs/telemetry.md). */
  private payload(group: readonly Pending[], inserted: ReadonlySet<string>): string {
    let batches = 0;
    let entries = 0;
    let security = 0;
    for (const { batch } of group) {
      if (!inserted.has(rowKey(batch.gatewayId, batch.stream, batch.sequence))) continue;
      batches += 1;
      entries += batch.entryCount;
      security += batch.securityCount;
    }
    return JSON.stringify({ schema: this.options.schema, batches, entries, security });
  }

  private announce(stored: readonly StoredBatch[]): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(stored);
      } catch (error) {
        this.options.logger.error('a telemetry listener failed', { error: (error as Error).message });
      }
    }
  }
}

function rowKey(gatewayId: string, stream: string, sequence: number): string {
  return `${gatewayId}\u0000${stream}\u0000${sequence}`;
}

function withoutEntries(batch: BatchToStore): StoredBatch {
  const { entries: _entries, ...stored } = batch;
  return stored;
}
