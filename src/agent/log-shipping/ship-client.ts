/**
 * The agent's side of WorkerService.ShipLogs: one stream at a time, re-opened with jittered
 * backoff. Every (re)opened stream first carries all committed, unacknowledged batches again, in
 * order, then each new one as it is committed; the worker acknowledges each once durable. A
 * refusal (the certificate, the size limit) is an error in the log that repeats at the backoff's
 * pace until someone fixes it: batches are never given up.
 */
import { Client, status, type ClientDuplexStream, type ServiceError } from '@grpc/grpc-js';
import { LogBatchAck } from '../../generated/gateway/worker/v1/telemetry.js';
import {
  channelOptions,
  clientCredentials,
  WORKER_SERVER_NAME,
  type TlsMode,
} from '../../grpc/credentials.js';
import { Backoff } from '../../runtime/backoff.js';
import type { Clock, Timer } from '../../runtime/clock.js';
import type { Logger } from '../../runtime/logger.js';

const SHIP_LOGS = '/gateway.worker.v1.WorkerService/ShipLogs';

/** Statuses that retrying alone will not fix: logged as errors. */
const REFUSALS = new Set<number>([
  status.PERMISSION_DENIED,
  status.UNAUTHENTICATED,
  status.RESOURCE_EXHAUSTED,
  status.INVALID_ARGUMENT,
  status.UNIMPLEMENTED,
]);

export interface ShipClientOptions {
  readonly address: string;
  readonly tls: TlsMode;
  readonly logger: Logger;
  readonly clock: Clock;
  /** Committed, unacknowledged batches in sequence order, resent on every new stream. */
  readonly outstanding: () => Iterable<[number, Uint8Array]>;
  readonly onAck: (ack: LogBatchAck) => void;
  /** Counts resends, for metrics. */
  readonly onResend?: (batches: number) => void;
  readonly connectTimeoutMs?: number;
}

export class ShipClient {
  private readonly client: Client;
  private readonly backoff = new Backoff({ initialMs: 500, maxMs: 30_000, jitter: 0.5 });
  private call: ClientDuplexStream<Uint8Array, LogBatchAck> | undefined;
  private sentOnCall = new Set<number>();
  private timer: Timer | undefined;
  private stopped = false;

  constructor(private readonly options: ShipClientOptions) {
    this.client = new Client(
      options.address,
      clientCredentials(options.tls),
      channelOptions(WORKER_SERVER_NAME),
    );
  }

  get connected(): boolean {
    return this.call !== undefined;
  }

  start(): void {
    this.connect();
  }

  /** Sends a newly committed batch on the open stream; a later stream resends it anyway. */
  send(sequence: number, bytes: Uint8Array): void {
    if (!this.call || this.sentOnCall.has(sequence)) return;
    this.sentOnCall.add(sequence);
    this.call.write(bytes);
  }

  /** Cancels the stream: acknowledgements still on their way are not waited for. */
  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    const call = this.call;
    this.call = undefined;
    call?.cancel();
    this.client.close();
  }

  private connect(): void {
    if (this.stopped) return;
    const deadline = Date.now() + (this.options.connectTimeoutMs ?? 10_000);
    this.client.waitForReady(deadline, (error) => {
      if (this.stopped) return;
      if (error) this.retry(`the worker is unreachable: ${error.message}`, false);
      else this.open();
    });
  }

  private open(): void {
    const call = this.client.makeBidiStreamRequest<Uint8Array, LogBatchAck>(
      SHIP_LOGS,
      (bytes) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
      (bytes) => LogBatchAck.decode(bytes),
    );
    this.call = call;
    this.sentOnCall = new Set();
    let acked = false;
    call.on('data', (ack: LogBatchAck) => {
      if (this.call !== call) return;
      if (!acked) {
        acked = true;
        // A stream the worker answers on: the next outage starts with a short delay again.
        this.backoff.reset();
      }
      this.options.onAck(ack);
    });
    call.on('error', (error: ServiceError) => this.closed(call, error));
    call.on('end', () => this.closed(call, undefined));
    let resent = 0;
    for (const [sequence, bytes] of this.options.outstanding()) {
      this.send(sequence, bytes);
      resent += 1;
    }
    if (resent > 0) this.options.onResend?.(resent);
    this.options.logger.info('shipping logs to the worker', { worker: this.options.address, resent });
  }

  private closed(call: ClientDuplexStream<Uint8Array, LogBatchAck>, error: ServiceError | undefined): void {
    if (this.call !== call) return;
    this.call = undefined;
    if (this.stopped) return;
    const refused = error !== undefined && REFUSALS.has(error.code);
    const reason = error ? `${status[error.code]}: ${error.details}` : 'the worker ended the stream';
    this.retry(reason, refused);
  }

  private retry(reason: string, refused: boolean): void {
    if (this.stopped) return;
    const delay = this.backoff.next();
    const fields = { worker: this.options.address, reason, retryInMs: Math.round(delay) };
    if (refused)
      this.options.logger.error('the worker refused the log stream; batches are kept and retried', fields);
    else this.options.logger.warn('log stream interrupted; unacknowledged batches will be resent', fields);
    this.timer = this.options.clock.setTimer(delay, () => this.connect());
  }
}
