/**
 * The worker's log ingest as one piece: WorkerService.ShipLogs and OTLP's LogsService.Export,
 * served on the worker's gRPC port beside WorkerService, writing to `telemetry_batches`. It
 * processes nothing: the log processor reads the table, woken by {@link onBatchStored} in this
 * process or NOTIFY gateway_worker_telemetry from any replica.
 */
import type {
  handleBidiStreamingCall,
  handleUnaryCall,
  ServiceDefinition,
  UntypedServiceImplementation,
} from '@grpc/grpc-js';
import type { Registry } from 'prom-client';
import { type LogBatchAck } from '../../generated/gateway/worker/v1/telemetry.js';
import { WorkerServiceService } from '../../generated/gateway/worker/v1/worker.js';
import {
  LogsServiceService,
  type ExportLogsServiceResponse,
} from '../../generated/opentelemetry/proto/collector/logs/v1/logs_service.js';
import { systemClock, type Clock } from '../../runtime/clock.js';
import type { Logger } from '../../runtime/logger.js';
import type { Database } from '../../storage/database.js';
import { BatchStore, type StoredBatchListener } from './batch-store.js';
import type { IngestContext } from './ingest-context.js';
import { ingestMetrics } from './ingest-metrics.js';
import { handleExport } from './otlp-export.js';
import { handleShipLogs } from './ship-logs.js';

export const DEFAULT_MAX_BATCH_BYTES = 4 * 1024 * 1024;
export const DEFAULT_STREAM_WINDOW = 16;

/** The store as the ingest sees it: the database once ready, and why not otherwise. */
export interface TelemetryStore {
  readonly database: Database | undefined;
  readonly status: string;
}

export interface TelemetryIngestOptions {
  readonly store: TelemetryStore;
  /** DATABASE_SCHEMA. */
  readonly schema: string;
  readonly registry: Registry;
  readonly logger: Logger;
  readonly clock?: Clock;
  /** TELEMETRY_MAX_BATCH_BYTES (default 4 MiB). */
  readonly maxBatchBytes?: number;
  /** TELEMETRY_STREAM_WINDOW (default 16). */
  readonly streamWindow?: number;
  /** Only for a plaintext development server: accept claims without a certificate. */
  readonly acceptUnauthenticated?: boolean;
}

/** A gRPC service to add to the worker's server: a definition and its handlers. */
export interface ServiceRegistration {
  readonly definition: ServiceDefinition;
  readonly implementation: UntypedServiceImplementation;
}

/** Hand the raw bytes to the handler, so a batch's size is known and checked before decoding. */
const raw = (bytes: Buffer): Buffer => bytes;

const shipLogsDefinition = {
  shipLogs: { ...WorkerServiceService.shipLogs, requestDeserialize: raw },
} satisfies ServiceDefinition;

const exportDefinition = {
  export: { ...LogsServiceService.export, requestDeserialize: raw },
} satisfies ServiceDefinition;

export class TelemetryIngest {
  readonly maxBatchBytes: number;
  private readonly store: BatchStore;
  private readonly context: IngestContext;
  private readonly clock: Clock;

  constructor(options: TelemetryIngestOptions) {
    this.clock = options.clock ?? systemClock;
    this.maxBatchBytes = options.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES;
    const streamWindow = options.streamWindow ?? DEFAULT_STREAM_WINDOW;
    const logger = options.logger.child({ component: 'telemetry-ingest' });
    const metrics = ingestMetrics(options.registry);
    this.store = new BatchStore({
      database: () => options.store.database,
      status: () => options.store.status,
      schema: options.schema,
      clock: this.clock,
      logger,
      observeInsert: (seconds) => metrics.insertSeconds.observe(seconds),
    });
    this.context = {
      store: this.store,
      metrics,
      logger,
      maxBatchBytes: this.maxBatchBytes,
      streamWindow,
      // Room for every stream's window of average batches, at least 64 MiB.
      maxQueuedBytes: Math.max(64 * 1024 * 1024, 4 * this.maxBatchBytes),
      acceptUnauthenticated: options.acceptUnauthenticated ?? false,
      ready: () => (options.store.database ? true : options.store.status),
      streams: new Set(),
    };
  }

  /**
   * Called with every group of batches once committed (not for duplicates). Listeners run in the
   * ingest's turn: they should hand work off, not do it. Returns an unsubscribe function.
   */
  onBatchStored(listener: StoredBatchListener): () => void {
    return this.store.onStored(listener);
  }

  /** What the worker's gRPC server adds: ShipLogs (of WorkerService) and LogsService.Export. */
  services(): ServiceRegistration[] {
    const shipLogs: handleBidiStreamingCall<Buffer, LogBatchAck> = handleShipLogs(this.context);
    const exportLogs: handleUnaryCall<Buffer, ExportLogsServiceResponse> = handleExport(
      this.context,
      this.clock,
    );
    return [
      { definition: shipLogsDefinition, implementation: { shipLogs } },
      { definition: exportDefinition, implementation: { export: exportLogs } },
    ];
  }

  /**
   * The receive limit the server needs: twice the batch limit, so a batch somewhat over it is
   * refused with our message naming the limit rather than gRPC's generic one.
   */
  get maxReceiveMessageBytes(): number {
    return Math.max(2 * this.maxBatchBytes, 4 * 1024 * 1024);
  }

  /** Ends every open stream with UNAVAILABLE (agents resend elsewhere), then lets inserts finish. */
  async stop(reason = 'gateway-worker is shutting down; reconnect and resend'): Promise<void> {
    for (const stream of [...this.context.streams]) stream.end(reason);
    await this.store.whenIdle();
  }
}
