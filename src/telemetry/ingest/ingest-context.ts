/** What the ShipLogs and OTLP handlers share: the store, limits, metrics and the open streams. */
import { status } from '@grpc/grpc-js';
import type { Logger } from '../../runtime/logger.js';
import type { BatchStore } from './batch-store.js';
import type { IngestMetrics, RefusalReason } from './ingest-metrics.js';

export interface IngestContext {
  readonly store: BatchStore;
  readonly metrics: IngestMetrics;
  readonly logger: Logger;
  /** TELEMETRY_MAX_BATCH_BYTES: larger batches and OTLP requests are refused. */
  readonly maxBatchBytes: number;
  /** TELEMETRY_STREAM_WINDOW: unacknowledged batches one stream may have before it is paused. */
  readonly streamWindow: number;
  /** Bytes waiting for the database across all streams before every stream is paused. */
  readonly maxQueuedBytes: number;
  /** Plaintext development server: no certificates, claims taken as made. */
  readonly acceptUnauthenticated: boolean;
  /** True when storage can take batches; otherwise why not. */
  readonly ready: () => true | string;
  /** Open ShipLogs streams, ended with UNAVAILABLE when the server stops. */
  readonly streams: Set<{ end(reason: string): void }>;
}

/** A refusal: the gRPC status, a metric reason, and a message that says what is allowed. */
export class Refusal extends Error {
  constructor(
    readonly code: status,
    readonly reason: RefusalReason,
    message: string,
  ) {
    super(message);
  }
}

export function tooLarge(bytes: number, limit: number, what: string): Refusal {
  return new Refusal(
    status.RESOURCE_EXHAUSTED,
    'too_large',
    `${what} of ${bytes} bytes is over the limit of ${limit} bytes (TELEMETRY_MAX_BATCH_BYTES); send smaller batches`,
  );
}

export function notReady(why: string): Refusal {
  return new Refusal(
    status.UNAVAILABLE,
    'unavailable',
    `telemetry storage is not available (${why}); retry later`,
  );
}
