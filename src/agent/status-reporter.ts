/**
 * Optional client of WorkerService.ReportStatus: one long client stream to the worker carrying a
 * report every interval (health and the versions this gateway serves), re-opened with jittered
 * backoff when the worker is away, so a restarted worker hears from every gateway again without
 * all of them calling at the same instant.
 */
import type { ClientWritableStream } from '@grpc/grpc-js';
import { WorkerServiceClient, type ReportStatusRequest } from '../generated/gateway/worker/v1/worker.js';
import { WORKER_SERVER_NAME, channelOptions, clientCredentials, type TlsMode } from '../grpc/credentials.js';
import { Backoff } from '../runtime/backoff.js';
import { systemClock, type Clock, type Timer } from '../runtime/clock.js';
import type { Logger } from '../runtime/logger.js';

export interface StatusReporterOptions {
  /** host:port of the worker's GRPC_PORT. */
  readonly address: string;
  readonly tls: TlsMode;
  /** The gateway's pod name. */
  readonly gateway: string;
  readonly intervalMs: number;
  /** Versions served, by type name; read afresh for every report. */
  readonly versions: () => Record<string, string>;
  readonly logger: Logger;
  readonly clock?: Clock;
  /** How long to wait for the worker before counting a connection attempt as failed. */
  readonly connectTimeoutMs?: number;
}

export class StatusReporter {
  private readonly client: WorkerServiceClient;
  private readonly clock: Clock;
  private readonly backoff = new Backoff({ initialMs: 1_000, maxMs: 30_000, jitter: 0.5 });
  private stream: ClientWritableStream<ReportStatusRequest> | undefined;
  private reportsOnStream = 0;
  private timer: Timer | undefined;
  private stopped = false;
  /** Reports written since start; for tests and logs. */
  sent = 0;

  constructor(private readonly options: StatusReporterOptions) {
    this.clock = options.clock ?? systemClock;
    this.client = new WorkerServiceClient(
      options.address,
      clientCredentials(options.tls),
      channelOptions(WORKER_SERVER_NAME),
    );
  }

  start(): void {
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    // Ending the stream lets the worker answer and count this gateway's reports.
    this.stream?.end();
    this.stream = undefined;
    this.client.close();
  }

  private connect(): void {
    if (this.stopped) return;
    // gRPC deadlines are wall-clock times, whatever clock drives our timers.
    const deadline = Date.now() + (this.options.connectTimeoutMs ?? 10_000);
    this.client.waitForReady(deadline, (error) => {
      if (this.stopped) return;
      if (error) {
        this.retry(error.message);
        return;
      }
      this.open();
    });
  }

  private open(): void {
    const stream = this.client.reportStatus((error) => {
      if (this.stream !== stream) return;
      this.stream = undefined;
      this.timer?.cancel();
      this.retry(error ? error.message : 'the worker closed the status stream');
    });
    this.stream = stream;
    this.reportsOnStream = 0;
    this.options.logger.info('reporting status to the worker', { worker: this.options.address });
    this.report();
  }

  private report(): void {
    const stream = this.stream;
    if (!stream || this.stopped) return;
    const request: ReportStatusRequest = {
      gateway: this.options.gateway,
      healthy: true,
      timeUnix: Math.floor(this.clock.now() / 1000),
      versions: this.options.versions(),
      counters: {},
    };
    stream.write(request);
    this.sent += 1;
    this.reportsOnStream += 1;
    // The stream outlived one interval: the worker is really back, so the next outage starts with
    // a short delay again. Resetting any sooner would retry a worker that refuses every stream at
    // the shortest delay forever.
    if (this.reportsOnStream > 1) this.backoff.reset();
    this.timer = this.clock.setTimer(this.options.intervalMs, () => this.report());
  }

  private retry(reason: string): void {
    if (this.stopped) return;
    const delay = this.backoff.next();
    this.options.logger.warn('worker unreachable; retrying', {
      worker: this.options.address,
      reason,
      retryInMs: Math.round(delay),
    });
    this.timer = this.clock.setTimer(delay, () => this.connect());
  }
}
