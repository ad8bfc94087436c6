/**
 * WorkerService.ShipLogs, one stream per gateway connection: each batch is checked (size,
 * shape, the gateway its certificate names), stored, and acknowledged once committed — as
 * stored, or as a duplicate of a batch stored before. A stream reads at most
 * TELEMETRY_STREAM_WINDOW batches ahead of their acknowledgements (and none while the database
 * lags too far behind all streams): past that it is paused, and HTTP/2 flow control holds the
 * agent back. A refused batch ends the stream with a status that says why; nothing of it is
 * stored.
 */
import { status, type ServerDuplexStream } from '@grpc/grpc-js';
import { describeIdentity, type ShipperIdentity } from '../../domain/telemetry/identity.js';
import { LogBatchOutcome, type LogBatchAck } from '../../generated/gateway/worker/v1/telemetry.js';
import { StorageUnavailableError } from './batch-store.js';
import { notReady, Refusal, tooLarge, type IngestContext } from './ingest-context.js';
import { MalformedBatchError } from './log-batch-wire.js';
import { callIdentity } from './peer-identity.js';
import { ForeignGatewayError, prepareShippedBatch, type PreparedBatch } from './prepare-batch.js';

export type ShipLogsCall = ServerDuplexStream<Buffer, LogBatchAck>;

export function handleShipLogs(context: IngestContext): (call: ShipLogsCall) => void {
  return (call) => {
    new ShipLogsStream(context, call).start();
  };
}

class ShipLogsStream {
  private identity: ShipperIdentity | undefined;
  private inFlight = 0;
  private clientDone = false;
  private finished = false;
  private paused = false;
  private stopWatchingDrain: (() => void) | undefined;
  private readonly member = {
    end: (reason: string) => this.refuse(new Refusal(status.UNAVAILABLE, 'unavailable', reason), false),
  };

  constructor(
    private readonly context: IngestContext,
    private readonly call: ShipLogsCall,
  ) {}

  start(): void {
    const { context, call } = this;
    const identity = callIdentity(call, context.acceptUnauthenticated);
    if (!identity.ok) {
      this.refuse(new Refusal(status.PERMISSION_DENIED, 'identity', identity.reason));
      return;
    }
    this.identity = identity.identity;
    const ready = context.ready();
    if (ready !== true) {
      this.refuse(notReady(ready));
      return;
    }
    context.streams.add(this.member);
    context.metrics.streams.inc();
    context.logger.debug('log stream opened', {
      from: describeIdentity(this.identity),
      peer: call.getPeer(),
    });
    call.on('data', (bytes: Buffer) => this.receive(bytes));
    call.on('end', () => {
      this.clientDone = true;
      this.finishIfDone();
    });
    call.on('cancelled', () => this.close());
    call.on('close', () => this.close());
    call.on('error', () => this.close());
  }

  private receive(bytes: Buffer): void {
    if (this.finished || !this.identity) return;
    const { context } = this;
    context.metrics.bytes.inc({ source: 'ship_logs' }, bytes.length);
    let prepared: PreparedBatch;
    try {
      if (bytes.length > context.maxBatchBytes) throw tooLarge(bytes.length, context.maxBatchBytes, 'batch');
      prepared = prepareShippedBatch(bytes, this.identity);
    } catch (error) {
      this.refuse(asRefusal(error));
      return;
    }
    this.inFlight += 1;
    this.updateFlow();
    context.store
      .submit(prepared.batch)
      .then(
        (outcome) => {
          this.count(prepared, outcome);
          if (this.finished) return;
          const { stream, sequence, entryCount } = prepared.batch;
          this.call.write({
            stream,
            sequence,
            outcome:
              outcome === 'stored'
                ? LogBatchOutcome.LOG_BATCH_OUTCOME_STORED
                : LogBatchOutcome.LOG_BATCH_OUTCOME_DUPLICATE,
            entriesStored: outcome === 'stored' ? entryCount : 0,
          });
        },
        (error: unknown) => this.refuse(asRefusal(error)),
      )
      .finally(() => {
        this.inFlight -= 1;
        this.updateFlow();
        this.finishIfDone();
      });
  }

  private count({ batch, types }: PreparedBatch, outcome: 'stored' | 'duplicate'): void {
    const { metrics } = this.context;
    metrics.batches.inc({ source: 'ship_logs', outcome });
    if (outcome !== 'stored') return;
    for (const [logType, n] of types) metrics.records.inc({ source: 'ship_logs', log_type: logType }, n);
    if (batch.droppedAccess > 0) metrics.dropped.inc({ log_type: 'access' }, batch.droppedAccess);
    if (batch.droppedSecurity > 0) metrics.dropped.inc({ log_type: 'security' }, batch.droppedSecurity);
    if (batch.malformed > 0) metrics.malformed.inc({ source: 'ship_logs' }, batch.malformed);
  }

  /** Pauses reading while the window is full or the database is far behind; resumes after. */
  private updateFlow(): void {
    if (this.finished) return;
    const { context } = this;
    const full = this.inFlight >= context.streamWindow || context.store.queuedBytes > context.maxQueuedBytes;
    if (full && !this.paused) {
      this.paused = true;
      this.call.pause();
      this.stopWatchingDrain = context.store.onDrain(() => this.updateFlow());
    } else if (!full && this.paused) {
      this.paused = false;
      this.stopWatchingDrain?.();
      this.stopWatchingDrain = undefined;
      this.call.resume();
    }
  }

  /** The agent half-closed: answer what is in flight, then end with OK. */
  private finishIfDone(): void {
    if (this.finished || !this.clientDone || this.inFlight > 0) return;
    this.close();
    this.call.end();
  }

  private refuse(refusal: Refusal, countAsBatch = true): void {
    if (this.finished) return;
    const { metrics, logger } = this.context;
    if (countAsBatch) {
      metrics.refused.inc({ source: 'ship_logs', reason: refusal.reason });
      metrics.batches.inc({ source: 'ship_logs', outcome: 'refused' });
      logger.warn('log stream refused', {
        from: this.identity ? describeIdentity(this.identity) : this.call.getPeer(),
        code: status[refusal.code],
        reason: refusal.message,
      });
    }
    this.close();
    this.call.emit('error', { code: refusal.code, details: refusal.message });
  }

  private close(): void {
    if (this.finished) return;
    this.finished = true;
    this.stopWatchingDrain?.();
    if (this.context.streams.delete(this.member)) this.context.metrics.streams.dec();
  }
}

function asRefusal(error: unknown): Refusal {
  if (error instanceof Refusal) return error;
  if (error instanceof ForeignGatewayError)
    return new Refusal(status.PERMISSION_DENIED, 'identity', error.message);
  if (error instanceof MalformedBatchError)
    return new Refusal(status.INVALID_ARGUMENT, 'malformed', error.message);
  if (error instanceof StorageUnavailableError) {
    return new Refusal(status.UNAVAILABLE, 'unavailable', `${error.message}; resend unacknowledged batches`);
  }
  // A bug, not the agent's fault: the agent resends after reconnecting, so nothing is lost.
  const message = error instanceof Error ? error.message : String(error);
  return new Refusal(status.INTERNAL, 'unavailable', `the worker failed on this batch: ${message}`);
}
