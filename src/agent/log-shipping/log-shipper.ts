/**
 * The reference agent's log shipper: tails the gateway's access log, parses each line into a
 * record, queues it (dropping the oldest access records, counted, when the worker falls behind;
 * security records only past their own larger bound, as an error), commits batches to its state
 * directory and ships them over WorkerService.ShipLogs, at most `window` unacknowledged at once.
 * Security records are sent at once; others wait up to `lingerMs` to fill a batch.
 *
 * Reading never waits for the worker: the gateway rotates its log whatever the worker does, and a
 * line read and dropped is counted, where a line rotated away unread would be lost silently.
 */
import { watch, type FSWatcher } from 'node:fs';
import { dirname } from 'node:path';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { Registry } from 'prom-client';
import { parseLogLine, type LogFormat } from '../../domain/telemetry/log-line.js';
import { typeLabel } from '../../domain/telemetry/log-entry.js';
import { ShippingQueue, type TakenBatch } from '../../domain/telemetry/shipping-queue.js';
import {
  LogBatchOutcome,
  LogEntry,
  LogType,
  type LogBatchAck,
} from '../../generated/gateway/worker/v1/telemetry.js';
import type { TlsMode } from '../../grpc/credentials.js';
import { systemClock, type Clock, type Timer } from '../../runtime/clock.js';
import type { Logger } from '../../runtime/logger.js';
import type { FilePosition } from './file-position.js';
import { FileTailer, type TailedLine } from './file-tailer.js';
import { ShipClient } from './ship-client.js';
import { ShipperMetrics, shipperMetrics } from './shipper-metrics.js';
import { ShipperState } from './shipper-state.js';

export const LOG_SHIPPING_DEFAULTS = {
  format: 'json' as LogFormat,
  batchRecords: 1000,
  batchBytes: 1024 * 1024,
  lingerMs: 200,
  window: 8,
  accessBuffer: 20_000,
  securityBuffer: 100_000,
  pollMs: 250,
};

export interface LogShipperOptions {
  /** The access log to follow. */
  readonly path: string;
  /** Saved position and unacknowledged batches; must survive restarts. */
  readonly stateDir: string;
  /** The gateway's name (its pod), which its certificate must name. */
  readonly gateway: string;
  readonly worker: { readonly address: string; readonly tls: TlsMode };
  readonly format?: LogFormat;
  readonly batchRecords?: number;
  readonly batchBytes?: number;
  readonly lingerMs?: number;
  /** Committed batches not yet acknowledged, at most. */
  readonly window?: number;
  /** Waiting non-security records before the oldest is dropped. */
  readonly accessBuffer?: number;
  /** Waiting security records before the oldest is dropped (an error). */
  readonly securityBuffer?: number;
  /** How often to look for new lines when the file system sends no event. */
  readonly pollMs?: number;
  /** fsync state and spool writes (default true). */
  readonly sync?: boolean;
  readonly registry?: Registry;
  readonly logger: Logger;
  readonly clock?: Clock;
}

/** How often, at most, a repeated problem (malformed lines, security drops) is logged again. */
const REPEAT_LOG_MS = 10_000;

export class LogShipper {
  private readonly settings: Required<
    Omit<
      LogShipperOptions,
      'registry' | 'clock' | 'logger' | 'worker' | 'path' | 'stateDir' | 'gateway' | 'sync'
    >
  >;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly metrics: ShipperMetrics;
  /** One writer for every entry: a fresh one per line regrew its buffer three times (a tenth of the agent's CPU). */
  private readonly entryWriter = new BinaryWriter();
  private readonly tailer: FileTailer;
  private queue: ShippingQueue<FilePosition>;
  private state: ShipperState | undefined;
  private client: ShipClient | undefined;
  private watcher: FSWatcher | undefined;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private lingerTimer: Timer | undefined;
  private pendingSince: number | undefined;
  private committing = false;
  /** The last read found nothing new: everything written so far has been read. */
  private caughtUp = false;
  private resyncNeeded = false;
  private stopping = false;
  private readonly idleWaiters = new Set<() => void>();
  private readonly repeats = new Map<string, { at: number; count: number }>();

  constructor(private readonly options: LogShipperOptions) {
    const d = LOG_SHIPPING_DEFAULTS;
    this.settings = {
      format: options.format ?? d.format,
      batchRecords: options.batchRecords ?? d.batchRecords,
      batchBytes: options.batchBytes ?? d.batchBytes,
      lingerMs: options.lingerMs ?? d.lingerMs,
      window: options.window ?? d.window,
      accessBuffer: options.accessBuffer ?? d.accessBuffer,
      securityBuffer: options.securityBuffer ?? d.securityBuffer,
      pollMs: options.pollMs ?? d.pollMs,
    };
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger.child({ component: 'log-shipper' });
    this.metrics = shipperMetrics(options.registry ?? new Registry());
    this.tailer = new FileTailer({ path: options.path, maxLineBytes: 64 * 1024, logger: this.logger });
    this.queue = this.newQueue();
  }

  async start(): Promise<void> {
    const state = await ShipperState.open({
      dir: this.options.stateDir,
      gateway: this.options.gateway,
      logger: this.logger,
      ...(this.options.sync === undefined ? {} : { sync: this.options.sync }),
    });
    this.state = state;
    this.metrics.unacked.set(state.unacked.size);
    await this.tailer.open(state.position);
    this.client = this.newClient(this.options.worker.tls);
    this.client.start();
    try {
      this.watcher = watch(dirname(this.options.path), () => this.wake?.());
      this.watcher.on('error', () => undefined);
    } catch {
      // Polling alone still works (a folder that does not exist yet, or no inotify).
    }
    this.loop = this.readLoop();
    this.logger.info('shipping the access log', { path: this.options.path, stream: state.stream });
  }

  /**
   * Stops reading, waits up to `graceMs` for outstanding acknowledgements, and closes. Records
   * read but not committed are read again from the saved position at the next start.
   */
  async stop(graceMs = 2_000): Promise<void> {
    this.stopping = true;
    this.lingerTimer?.cancel();
    this.wake?.();
    await this.loop;
    await this.whenAcknowledged(graceMs);
    this.client?.stop();
    this.watcher?.close();
    await this.tailer.close();
  }

  /** Uses `tls` for the next streams (a renewed certificate). */
  setTls(tls: TlsMode): void {
    if (!this.client) return;
    this.client.stop();
    this.client = this.newClient(tls);
    this.client.start();
  }

  /** The stream id of the saved state (for logs and tests). */
  get stream(): string | undefined {
    return this.state?.stream;
  }

  /**
   * Resolves once everything written to the log before the call has been read, and nothing is
   * queued, being committed, or waiting for an acknowledgement.
   */
  whenIdle(): Promise<void> {
    // Lines written before this call must be read first: look at the file afresh.
    this.caughtUp = false;
    this.wake?.();
    return new Promise((resolve) => this.idleWaiters.add(resolve));
  }

  private newQueue(): ShippingQueue<FilePosition> {
    return new ShippingQueue({
      maxAccess: this.settings.accessBuffer,
      maxSecurity: this.settings.securityBuffer,
    });
  }

  private newClient(tls: TlsMode): ShipClient {
    return new ShipClient({
      address: this.options.worker.address,
      tls,
      logger: this.logger,
      clock: this.clock,
      outstanding: () => this.state?.unacked ?? [],
      onAck: (ack) => this.acknowledged(ack),
      onResend: (n) => this.metrics.resent.inc(n),
    });
  }

  private async readLoop(): Promise<void> {
    while (!this.stopping) {
      if (this.resyncNeeded && !this.committing) await this.resync();
      let lines: TailedLine[];
      try {
        lines = await this.tailer.read();
      } catch (error) {
        this.logger.error('reading the access log failed; retrying', {
          path: this.options.path,
          error: (error as Error).message,
        });
        await this.pause(1_000);
        continue;
      }
      if (lines.length === 0) {
        this.caughtUp = true;
        this.settleIdle();
        await this.pause(this.settings.pollMs);
        continue;
      }
      this.caughtUp = false;
      for (const line of lines) this.accept(line);
      this.pump();
      // Lets acknowledgements and commits run between chunks of a long file.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  private accept(line: TailedLine): void {
    if (line.text === undefined) {
      this.malformed(line.position, 'line longer than 65536 bytes');
      return;
    }
    if (line.text.trim() === '') return;
    const result = parseLogLine(line.text, this.settings.format);
    if (!result.ok) {
      this.malformed(line.position, result.reason);
      return;
    }
    const entry = result.entry;
    if (entry.gatewayId !== '' && entry.gatewayId !== this.options.gateway) {
      this.malformed(
        line.position,
        `names gateway "${entry.gatewayId}", not this one ("${this.options.gateway}")`,
      );
      return;
    }
    // The worker names every record after the stream's certificate.
    entry.gatewayId = '';
    const security = entry.logType === LogType.LOG_TYPE_SECURITY;
    this.metrics.records.inc({ log_type: typeLabel(entry.logType) });
    if (this.queue.isEmpty) this.pendingSince = this.clock.now();
    const dropped = this.queue.push(
      security ? 'security' : 'access',
      LogEntry.encode(entry, this.entryWriter).finish(),
      line.position,
    );
    if (dropped.access > 0) this.metrics.dropped.inc({ log_type: 'access' }, dropped.access);
    if (dropped.security > 0) {
      this.metrics.dropped.inc({ log_type: 'security' }, dropped.security);
      this.repeatable('security', (count) =>
        this.logger.error(
          'security records dropped: the worker is too far behind and --log-security-buffer is full',
          {
            dropped: count,
            securityBuffer: this.settings.securityBuffer,
          },
        ),
      );
    }
  }

  private malformed(position: FilePosition, reason: string): void {
    if (this.queue.isEmpty) this.pendingSince = this.clock.now();
    this.queue.pushMalformed(position);
    this.metrics.malformed.inc();
    this.repeatable('malformed', (count) =>
      this.logger.warn('skipped access-log lines that are not records', {
        lines: count,
        reason,
        offset: position.offset,
      }),
    );
  }

  /** Logs the first occurrence, then at most every REPEAT_LOG_MS with the count since. */
  private repeatable(key: string, log: (count: number) => void): void {
    const now = this.clock.now();
    const seen = this.repeats.get(key) ?? { at: -Infinity, count: 0 };
    seen.count += 1;
    if (now - seen.at >= REPEAT_LOG_MS) {
      log(seen.count);
      seen.at = now;
      seen.count = 0;
    }
    this.repeats.set(key, seen);
  }

  /** Commits and sends what is due while the window has room. */
  private pump(): void {
    this.updateGauges();
    if (this.committing || this.resyncNeeded || !this.state) return;
    this.committing = true;
    void this.commitDue().finally(() => {
      this.committing = false;
      this.updateGauges();
      this.scheduleLinger();
      this.settleIdle();
    });
  }

  private due(): boolean {
    if (this.queue.isEmpty) return false;
    const { batchRecords, batchBytes, lingerMs } = this.settings;
    if (this.queue.records >= batchRecords || this.queue.recordBytes >= batchBytes) return true;
    if (this.queue.count('security') > 0 || this.stopping) return true;
    return this.pendingSince !== undefined && this.clock.now() - this.pendingSince >= lingerMs;
  }

  private async commitDue(): Promise<void> {
    const state = this.state;
    if (!state) return;
    while (!this.resyncNeeded && state.unacked.size < this.settings.window && this.due()) {
      const taken = this.queue.take(this.settings.batchRecords, this.settings.batchBytes);
      if (!taken) break;
      if (this.queue.isEmpty) this.pendingSince = undefined;
      try {
        const [sequence, bytes] = await state.commit(
          (seq) => this.encode(taken, seq, state.stream),
          taken.position,
        );
        this.client?.send(sequence, bytes);
      } catch (error) {
        // What was taken is not in any batch: read it again from the last committed position.
        this.logger.error('saving a log batch failed; reading again from the last saved position', {
          stateDir: this.options.stateDir,
          error: (error as Error).message,
        });
        this.resyncNeeded = true;
      }
    }
  }

  private encode(taken: TakenBatch<FilePosition>, sequence: number, stream: string): Uint8Array {
    const writer = new BinaryWriter();
    for (const entry of taken.entries) writer.uint32((1 << 3) | WireType.LengthDelimited).bytes(entry);
    writer.uint32((2 << 3) | WireType.LengthDelimited).string(this.options.gateway);
    writer.uint32((3 << 3) | WireType.LengthDelimited).string(stream);
    writer.uint32((4 << 3) | WireType.Varint).uint64(sequence);
    if (taken.droppedAccess > 0) writer.uint32((5 << 3) | WireType.Varint).uint64(taken.droppedAccess);
    if (taken.droppedSecurity > 0) writer.uint32((6 << 3) | WireType.Varint).uint64(taken.droppedSecurity);
    if (taken.malformed > 0) writer.uint32((7 << 3) | WireType.Varint).uint64(taken.malformed);
    return writer.finish();
  }

  private async resync(): Promise<void> {
    await this.pause(1_000);
    this.queue = this.newQueue();
    this.pendingSince = undefined;
    await this.tailer.open(this.state?.position);
    this.resyncNeeded = false;
  }

  private acknowledged(ack: LogBatchAck): void {
    const state = this.state;
    if (!state || ack.stream !== state.stream || !state.unacked.has(ack.sequence)) return;
    const outcome = ack.outcome === LogBatchOutcome.LOG_BATCH_OUTCOME_DUPLICATE ? 'duplicate' : 'stored';
    this.metrics.batches.inc({ outcome });
    state.acknowledge(ack.sequence).then(
      () => this.pump(),
      (error: unknown) => {
        this.logger.warn('could not delete an acknowledged batch; it may be resent as a duplicate', {
          error: (error as Error).message,
        });
        this.pump();
      },
    );
  }

  private scheduleLinger(): void {
    this.lingerTimer?.cancel();
    this.lingerTimer = undefined;
    if (this.queue.isEmpty || this.pendingSince === undefined || this.stopping) return;
    const wait = Math.max(0, this.settings.lingerMs - (this.clock.now() - this.pendingSince));
    this.lingerTimer = this.clock.setTimer(wait, () => this.pump());
  }

  private updateGauges(): void {
    this.metrics.unacked.set(this.state?.unacked.size ?? 0);
    this.metrics.pending.set({ log_type: 'access' }, this.queue.count('access'));
    this.metrics.pending.set({ log_type: 'security' }, this.queue.count('security'));
  }

  private idle(): boolean {
    return this.caughtUp && this.queue.isEmpty && !this.committing && (this.state?.unacked.size ?? 0) === 0;
  }

  private settleIdle(): void {
    if (this.idleWaiters.size === 0 || !this.idle()) return;
    for (const resolve of [...this.idleWaiters]) resolve();
    this.idleWaiters.clear();
  }

  private async whenAcknowledged(graceMs: number): Promise<void> {
    const deadline = Date.now() + graceMs;
    while ((this.state?.unacked.size ?? 0) > 0 && Date.now() < deadline && this.client?.connected) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Waits `ms`, or less when the folder changes or the shipper stops. */
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
      if (this.stopping) done();
    });
  }
}
