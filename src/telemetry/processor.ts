/**
 * The telemetry processor, on the leader only: takes stored batches (telemetry_batches rows with
 * processed_at NULL), decodes and enriches them, aggregates them per minute, and writes the
 * rollups, the security events and processed_at in ONE transaction — so after a crash a batch is
 * either fully counted or not at all, and is then processed again (exactly once). Processors
 * take turns through an advisory lock, which also makes the read-merge-write of sketches safe.
 * Woken by the ingest side (in process, and LISTEN/NOTIFY on PostgreSQL), with a slow poll as a
 * fallback.
 */
import { MinuteAggregator } from '../domain/telemetry/aggregate.js';
import type { AccessRecord, SecurityEvent } from '../domain/telemetry/records.js';
import { minuteOf } from '../domain/telemetry/records.js';
import { systemClock, type Clock, type Timer } from '../runtime/clock.js';
import type { Component } from '../runtime/component.js';
import type { Logger } from '../runtime/logger.js';
import type { Database, Queryable } from '../storage/database.js';
import { describeDatabaseError } from '../storage/errors.js';
import { BatchRepository, type StoredBatch } from './batch-repository.js';
import { decodeLogEntries } from './decode-entries.js';
import { enrichBatch, NO_GEO, type GeoLookup, type RouteLookup } from './enrichment.js';
import type { FleetMetrics, TelemetryMetrics } from './metrics.js';
import { PartitionManager } from './partition-manager.js';
import { RollupWriter } from './rollup-writer.js';
import { insertSecurityEvents } from './security-events.js';
import { DEFAULT_RETENTION, type RetentionSettings } from './tables.js';
import type { NotificationListener, TelemetryWake } from './wake.js';

/** The advisory lock's keys: "gw" + 2 (telemetry), then which lock. */
export const TELEMETRY_LOCK_CLASS = 0x67770002;
const PROCESSOR_LOCK = 1;
/** A gateway clock this far ahead of the worker's is not believed: the batch's arrival time is used. */
const MAX_CLOCK_AHEAD_MS = 10 * 60_000;

export interface ProcessorOptions {
  readonly store: { onReady(listener: (db: Database) => void): () => void };
  readonly schema: string;
  readonly logger: Logger;
  readonly clock?: Clock;
  readonly metrics?: TelemetryMetrics;
  readonly fleet?: FleetMetrics;
  /** The current route table (it changes as RouteConfigs do). */
  readonly routes: () => RouteLookup;
  readonly geo?: () => GeoLookup;
  readonly retention?: RetentionSettings;
  /** Heavy hitters kept per minute and dimension in storage (default 100). */
  readonly topCapacity?: number;
  /** Batches per transaction (default 200) and records per transaction (default 50,000). */
  readonly batchLimit?: number;
  readonly entryLimit?: number;
  readonly wake?: TelemetryWake;
  readonly listener?: NotificationListener;
  /** The fallback poll (default 10 s). */
  readonly pollMs?: number;
  /** Notifications within this time are handled together (default 50 ms). */
  readonly debounceMs?: number;
  /** Security events, after their transaction committed (on the leader). */
  readonly onSecurityEvents?: (events: readonly SecurityEvent[]) => void;
  /** Called inside the transaction just before it commits; tests stop a process here. */
  readonly beforeCommit?: () => Promise<void>;
}

export interface ProcessResult {
  readonly batches: number;
  readonly access: number;
  readonly security: number;
}

export class TelemetryProcessor implements Component {
  readonly name = 'telemetry-processor';
  private readonly clock: Clock;
  private db: Database | undefined;
  private partitions: PartitionManager | undefined;
  private unsubscribeStore: (() => void) | undefined;
  private unsubscribeWake: (() => void) | undefined;
  private pollTimer: Timer | undefined;
  private debounceTimer: Timer | undefined;
  private draining: Promise<void> | undefined;
  private again = false;
  private stopped = true;
  private lastError: string | undefined;

  constructor(private readonly options: ProcessorOptions) {
    this.clock = options.clock ?? systemClock;
  }

  start(): Promise<void> {
    this.stopped = false;
    this.unsubscribeStore = this.options.store.onReady((db) => {
      if (this.stopped || this.db) return;
      this.db = db;
      this.partitions = new PartitionManager(db, this.options.schema);
      this.unsubscribeWake = this.options.wake?.subscribe(() => this.wake());
      this.options.listener?.start(() => this.wake());
      this.poll();
    });
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribeStore?.();
    this.unsubscribeWake?.();
    this.pollTimer?.cancel();
    this.debounceTimer?.cancel();
    await this.options.listener?.stop();
    await this.draining;
    this.db = undefined;
  }

  /** Process soon (batches landed). */
  wake(): void {
    if (this.stopped || this.debounceTimer) return;
    this.debounceTimer = this.clock.setTimer(this.options.debounceMs ?? 50, () => {
      this.debounceTimer = undefined;
      void this.drain();
    });
  }

  /** Processes until no batch is left; resolves when done (tests, and the poll). */
  drain(): Promise<void> {
    if (this.draining) {
      this.again = true;
      return this.draining;
    }
    this.draining = this.drainLoop().finally(() => {
      this.draining = undefined;
      if (this.again && !this.stopped) {
        this.again = false;
        void this.drain();
      }
    });
    return this.draining;
  }

  private poll(): void {
    void this.drain().finally(() => {
      if (this.stopped) return;
      this.pollTimer = this.clock.setTimer(this.options.pollMs ?? 10_000, () => this.poll());
    });
  }

  private async drainLoop(): Promise<void> {
    const db = this.db;
    if (!db) return;
    try {
      for (;;) {
        if (this.stopped) return;
        const result = await this.processOnce(db);
        if (result.batches === 0) break;
      }
      if (this.options.metrics) {
        const backlog = await new BatchRepository(db, this.options.schema).backlog();
        this.options.metrics.backlog.set(backlog.batches);
      }
      if (this.lastError !== undefined) this.options.logger.info('telemetry processing works again');
      this.lastError = undefined;
    } catch (error) {
      const message = describeDatabaseError(error);
      if (message !== this.lastError) this.options.logger.warn(`telemetry processing failed: ${message}`);
      this.lastError = message;
    }
  }

  /** One transaction: claim, aggregate, write, mark processed. Returns what it did. */
  async processOnce(db: Database): Promise<ProcessResult> {
    const started = process.hrtime.bigint();
    const partitions = this.partitions ?? new PartitionManager(db, this.options.schema);
    this.partitions = partitions;
    const routes = this.options.routes();
    const geo = this.options.geo?.() ?? NO_GEO;
    const retention = this.options.retention ?? DEFAULT_RETENTION;
    const now = this.clock.now();
    const oldest = now - retention.minuteDays * 86_400_000;
    let tooOld = 0;
    let other = 0;
    let access: AccessRecord[] = [];
    let security: SecurityEvent[] = [];
    let batches: StoredBatch[] = [];
    let created: string[] = [];
    try {
      await db.transaction(async (tx) => {
        await tx.query('SELECT pg_advisory_xact_lock($1, $2)', [TELEMETRY_LOCK_CLASS, PROCESSOR_LOCK]);
        const repository = new BatchRepository(tx, this.options.schema);
        batches = await repository.claim(this.options.batchLimit ?? 200, this.options.entryLimit ?? 50_000);
        if (batches.length === 0) return;
        const aggregate = new MinuteAggregator();
        access = [];
        security = [];
        for (const batch of batches) {
          const enriched = enrichBatch(batch, decodeLogEntries(batch.entries), routes, geo);
          other += enriched.other;
          for (const record of enriched.access) {
            const timeMs = believable(record.timeMs, batch.receivedAtMs);
            if (timeMs < oldest) {
              tooOld += 1;
              continue;
            }
            const fixed = timeMs === record.timeMs ? record : { ...record, timeMs };
            aggregate.addAccess(fixed);
            access.push(fixed);
          }
          for (const event of enriched.security) {
            const timeMs = believable(event.timeMs, batch.receivedAtMs);
            const fixed = timeMs === event.timeMs ? event : { ...event, timeMs };
            aggregate.addSecurity(fixed);
            security.push(fixed);
          }
          aggregate.addDrops(enriched.drops);
        }
        created = await this.ensurePartitions(tx, partitions, aggregate, security);
        await new RollupWriter(tx, this.options.schema, this.options.topCapacity ?? 100).write(aggregate);
        await insertSecurityEvents(tx, this.options.schema, security);
        await repository.markProcessed(batches, new Date(now));
        await this.options.beforeCommit?.();
      });
    } catch (error) {
      // A partition dropped behind our back (retention, a test) is looked for again next time.
      partitions.forget();
      throw error;
    }
    partitions.remember(created);
    if (batches.length === 0) return { batches: 0, access: 0, security: 0 };
    this.afterCommit(batches, access, security, { tooOld, other, started });
    return { batches: batches.length, access: access.length, security: security.length };
  }

  private async ensurePartitions(
    tx: Queryable,
    partitions: PartitionManager,
    aggregate: MinuteAggregator,
    security: readonly SecurityEvent[],
  ): Promise<string[]> {
    // DDL inside the transaction: a partition exists exactly when the rows that need it commit.
    const buckets = [...aggregate.buckets()];
    return [
      ...(await partitions.ensureIn(tx, 'traffic_minute', buckets)),
      ...(await partitions.ensureIn(tx, 'top_minute', buckets)),
      ...(await partitions.ensureIn(tx, 'waf_minute', buckets)),
      ...(await partitions.ensureIn(tx, 'drops_minute', buckets)),
      ...(await partitions.ensureIn(
        tx,
        'security_events',
        security.map((e) => minuteOf(e.timeMs)),
      )),
    ];
  }

  private afterCommit(
    batches: readonly StoredBatch[],
    access: readonly AccessRecord[],
    security: readonly SecurityEvent[],
    counts: { tooOld: number; other: number; started: bigint },
  ): void {
    const metrics = this.options.metrics;
    if (metrics) {
      metrics.batches.inc(batches.length);
      metrics.records.inc({ type: 'access', outcome: 'aggregated' }, access.length);
      metrics.records.inc({ type: 'security', outcome: 'aggregated' }, security.length);
      if (counts.tooOld > 0) metrics.records.inc({ type: 'access', outcome: 'too_old' }, counts.tooOld);
      if (counts.other > 0) metrics.records.inc({ type: 'other', outcome: 'aggregated' }, counts.other);
      metrics.processing.observe(Number(process.hrtime.bigint() - counts.started) / 1e9);
    }
    this.options.fleet?.observe(access, this.clock.now());
    if (counts.tooOld > 0)
      this.options.logger.warn('log records older than the minute rollups are kept were skipped', {
        records: counts.tooOld,
      });
    if (security.length > 0 && this.options.onSecurityEvents) {
      try {
        this.options.onSecurityEvents(security);
      } catch (error) {
        this.options.logger.error('a security event listener failed', { err: error });
      }
    }
  }
}

function believable(timeMs: number, receivedAtMs: number): number {
  return timeMs > receivedAtMs + MAX_CLOCK_AHEAD_MS ? receivedAtMs : timeMs;
}
