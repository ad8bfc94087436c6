/**
 * How the processor hears that batches landed: the ingest side calls {@link TelemetryWake.notify}
 * in process (the embedded store has no LISTEN across processes, and it is one process anyway),
 * and on PostgreSQL also `NOTIFY gateway_worker_telemetry`, which {@link PgNotificationListener}
 * receives on a connection of its own — so a leader hears of rows another replica stored.
 */
import pg from 'pg';
import { Backoff } from '../runtime/backoff.js';
import { systemClock, type Clock, type Timer } from '../runtime/clock.js';
import type { Logger } from '../runtime/logger.js';
import type { PostgresSettings } from '../storage/connection-settings.js';
import { sslOptions } from '../storage/postgres-database.js';

export const TELEMETRY_CHANNEL = 'gateway_worker_telemetry';

export class TelemetryWake {
  private readonly listeners = new Set<() => void>();

  /** Batches were committed to telemetry_batches. Cheap; call after every commit. */
  notify(): void {
    for (const listener of this.listeners) listener();
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

export interface NotificationListener {
  start(onNotify: () => void): void;
  stop(): Promise<void>;
}

/** LISTEN on its own connection, reconnecting with back-off; a missed notification costs one poll. */
export class PgNotificationListener implements NotificationListener {
  private client: pg.Client | undefined;
  private stopped = false;
  private timer: Timer | undefined;
  private readonly backoff = new Backoff({ initialMs: 1_000, maxMs: 30_000, jitter: 0.2 });
  private readonly clock: Clock;
  private lastError: string | undefined;

  constructor(
    private readonly settings: PostgresSettings,
    private readonly logger: Logger,
    clock?: Clock,
  ) {
    this.clock = clock ?? systemClock;
  }

  start(onNotify: () => void): void {
    this.stopped = false;
    void this.connect(onNotify);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  /** A method, so the compiler does not assume the flag stays as it was across an await. */
  private isStopped(): boolean {
    return this.stopped;
  }

  private async connect(onNotify: () => void): Promise<void> {
    if (this.stopped) return;
    const { settings } = this;
    const client = new pg.Client({
      host: settings.host,
      port: settings.port,
      user: settings.user,
      password: settings.password,
      database: settings.database,
      application_name: `${settings.applicationName}-listen`,
      ssl: sslOptions(settings),
      connectionTimeoutMillis: settings.connectTimeoutMs,
      keepAlive: true,
    });
    const retry = (error: unknown) => {
      if (this.client !== client && this.client !== undefined) return;
      this.client = undefined;
      void client.end().catch(() => undefined);
      if (this.stopped) return;
      const message = error instanceof Error ? error.message : String(error);
      if (message !== this.lastError) {
        this.logger.warn('telemetry LISTEN connection lost; polling until it is back', { error: message });
        this.lastError = message;
      }
      this.timer = this.clock.setTimer(this.backoff.next(), () => void this.connect(onNotify));
    };
    client.on('error', retry);
    client.on('end', () => retry(new Error('connection ended')));
    client.on('notification', () => onNotify());
    try {
      this.client = client;
      await client.connect();
      await client.query(`LISTEN ${TELEMETRY_CHANNEL}`);
      if (this.isStopped()) {
        await client.end();
        return;
      }
      this.backoff.reset();
      this.lastError = undefined;
      // Rows may have landed while this connection was down.
      onNotify();
    } catch (error) {
      retry(error);
    }
  }
}
