/**
 * The worker ↔ gateway channel as one component: at start it loads (or creates) the channel CA,
 * keeps the agents' server certificate Secret fresh, serves WorkerService with its own
 * certificate, and builds the pusher that only the leader runs. Every six hours it renews what
 * is due: new handshakes get the new certificates, open streams carry on.
 */
import type { Registry } from 'prom-client';
import { GatewayReports } from '../grpc/gateway-reports.js';
import { InMemoryJobRegistry, type JobRegistry } from '../grpc/job-registry.js';
import type { CertificateDirectory } from '../grpc/worker-service.js';
import { WorkerServer, type WorkerServerExtension } from '../grpc/worker-server.js';
import { systemClock, type Clock, type Timer } from '../runtime/clock.js';
import type { Component } from '../runtime/component.js';
import type { KubeClient } from '../runtime/kube/client.js';
import type { Logger } from '../runtime/logger.js';
import { ensureAgentSecret, ensureCa, workerTls } from './mtls-ca.js';
import { Pusher, type PusherOptions } from './pusher.js';

const RENEW_CHECK_MS = 6 * 3600 * 1000;

export interface ChannelOptions {
  readonly client: KubeClient;
  readonly namespace: string;
  readonly grpcPort: number;
  readonly registry: Registry;
  readonly logger: Logger;
  readonly certificates: CertificateDirectory;
  readonly clock?: Clock;
  readonly onStatusChange?: PusherOptions['onStatusChange'];
  readonly onOutcome?: PusherOptions['onOutcome'];
  /** What ListJobs shows: the operator's job queue; an empty in-memory registry by default. */
  readonly jobs?: JobRegistry;
  /** More services on the worker's port (the telemetry ingest). */
  readonly extensions?: readonly WorkerServerExtension[];
}

export class GatewayChannel implements Component {
  readonly name = 'gateway-channel';
  readonly reports = new GatewayReports();
  readonly jobs: JobRegistry;
  private server: WorkerServer | undefined;
  private pusherInstance: Pusher | undefined;
  private renewTimer: Timer | undefined;
  private readonly clock: Clock;
  private readonly holds: [kind: string, published: Promise<void>][] = [];

  constructor(private readonly options: ChannelOptions) {
    this.clock = options.clock ?? systemClock;
    this.jobs = options.jobs ?? new InMemoryJobRegistry();
  }

  /** The pusher, once start() has made the certificates it dials with. */
  get pusher(): Pusher {
    if (!this.pusherInstance) throw new Error('the gateway channel has not started');
    return this.pusherInstance;
  }

  /** {@link Pusher.holdUntilPublished}, for the pusher this channel builds when it starts. */
  holdUntilPublished(kind: string, published: Promise<void>): void {
    this.holds.push([kind, published]);
    this.pusherInstance?.holdUntilPublished(kind, published);
  }

  /** What the manager runs on the leader only: pushing. */
  readonly leaderComponent: Component = {
    name: 'pusher',
    start: () => this.pusher.start(),
    stop: () => this.pusherInstance?.stop() ?? Promise.resolve(),
  };

  async start(): Promise<void> {
    const { client, namespace, logger } = this.options;
    const ca = await ensureCa(client, namespace, this.clock);
    await ensureAgentSecret(client, namespace, ca, this.clock);
    const tls = await workerTls(ca, this.clock);
    this.pusherInstance = new Pusher({
      tls: tls.client,
      logger: logger.child({ component: 'pusher' }),
      registry: this.options.registry,
      clock: this.clock,
      onStatusChange: this.options.onStatusChange,
      onOutcome: this.options.onOutcome,
    });
    for (const [kind, published] of this.holds) this.pusherInstance.holdUntilPublished(kind, published);
    this.server = new WorkerServer({
      port: this.options.grpcPort,
      tls: tls.server,
      reports: this.reports,
      certificates: this.options.certificates,
      jobs: this.jobs,
      ...(this.options.extensions ? { extensions: this.options.extensions } : {}),
      registry: this.options.registry,
      logger: logger.child({ component: 'grpc-server' }),
    });
    await this.server.start();
    this.scheduleRenewal();
  }

  async stop(): Promise<void> {
    this.renewTimer?.cancel();
    await this.server?.stop();
  }

  private scheduleRenewal(): void {
    this.renewTimer = this.clock.setTimer(RENEW_CHECK_MS, () => {
      void this.renew().finally(() => this.scheduleRenewal());
    });
  }

  private async renew(): Promise<void> {
    const { client, namespace, logger } = this.options;
    try {
      const ca = await ensureCa(client, namespace, this.clock);
      await ensureAgentSecret(client, namespace, ca, this.clock);
      const tls = await workerTls(ca, this.clock);
      this.server?.updateTls(tls.server);
      this.pusherInstance?.setTls(tls.client);
    } catch (error) {
      logger.warn('renewing the channel certificates failed; retrying later', {
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }
}
