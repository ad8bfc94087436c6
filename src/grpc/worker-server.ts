/**
 * The worker's gRPC server on GRPC_PORT: WorkerService for gateways, grpc.health.v1.Health and
 * server reflection, over mutual TLS whose certificate can be rotated without dropping streams.
 */
import { X509Certificate } from 'node:crypto';
import { Server, type ServiceDefinition, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import type { Registry } from 'prom-client';
import { WorkerServiceService } from '../generated/gateway/worker/v1/worker.js';
import type { Component } from '../runtime/component.js';
import type { Logger } from '../runtime/logger.js';
import { serverCredentials, serverOptions, type TlsMaterial, type TlsMode } from './credentials.js';
import type { GatewayReports } from './gateway-reports.js';
import type { JobRegistry } from './job-registry.js';
import { addLazyReflection } from './lazy-reflection.js';
import { HEALTH_SERVICE_NAME, REFLECTION_SERVICE_NAMES, WORKER_SERVICE_NAME } from './service-names.js';
import { rotatingServerCredentials, type RotatingServerCredentials } from './rotating-credentials.js';
import {
  createWorkerService,
  type CertificateDirectory,
  type WorkerServiceHandlers,
} from './worker-service.js';

export interface WorkerServerOptions {
  /** GRPC_PORT; 0 picks a free port (see {@link WorkerServer.port}). */
  port: number;
  /** Default '0.0.0.0'. */
  host?: string;
  /** Mutual TLS material, or plaintext only when explicitly 'insecure-development-only'. */
  tls: TlsMode;
  reports: GatewayReports;
  certificates: CertificateDirectory;
  jobs: JobRegistry;
  registry: Registry;
  logger: Logger;
  extensions?: readonly WorkerServerExtension[];
  /**
   * How long stop() lets calls finish before cutting them off (default 5 s). Health watches
   * never end by themselves, so a stop with watchers always takes this long.
   */
  shutdownGraceMs?: number;
}

/**
 * More services on the same port and certificate, such as the telemetry ingest (ShipLogs and
 * OTLP's LogsService): registered at construction, stopped before the server shuts down.
 */
export interface WorkerServerExtension {
  services(): readonly { definition: ServiceDefinition; implementation: UntypedServiceImplementation }[];
  /** The largest message its services must receive; the server's receive limit is raised to it. */
  readonly maxReceiveMessageBytes: number;
  /** Ends its open streams (clients reconnect elsewhere) and finishes what it has accepted. */
  stop(): Promise<void>;
}

const DEFAULT_SHUTDOWN_GRACE_MS = 5_000;

/** gRPC's own default receive limit. */
const GRPC_DEFAULT_MAX_RECEIVE = 4 * 1024 * 1024;

/** Health's name for the whole server, as the grpc.health.v1 protocol defines it. */
const WHOLE_SERVER = '';

export class WorkerServer implements Component {
  readonly name = 'grpc-server';
  private readonly server: Server;
  private readonly health: HealthImplementation;
  private readonly handlers: WorkerServiceHandlers;
  private readonly rotating: RotatingServerCredentials | undefined;
  private readonly logger: Logger;
  private starting: Promise<number> | undefined;
  private boundPort: number | undefined;
  private stopped = false;

  constructor(private readonly options: WorkerServerOptions) {
    this.logger = options.logger.child({ component: this.name });
    // A server can be bound once: a stopped WorkerServer is not restarted, a new one is built.
    const maxReceive = Math.max(
      GRPC_DEFAULT_MAX_RECEIVE,
      ...(options.extensions ?? []).map((extension) => extension.maxReceiveMessageBytes),
    );
    this.server = new Server({ ...serverOptions, 'grpc.max_receive_message_length': maxReceive });
    this.health = new HealthImplementation({
      [WHOLE_SERVER]: 'NOT_SERVING',
      [WORKER_SERVICE_NAME]: 'NOT_SERVING',
    });
    this.handlers = createWorkerService({ ...options, logger: this.logger });
    this.rotating =
      options.tls === 'insecure-development-only' ? undefined : rotatingServerCredentials(options.tls);
    // ShipLogs comes from an extension (the telemetry ingest) when the operator has one.
    const { shipLogs: _shipLogs, ...coreMethods } = WorkerServiceService;
    this.server.addService(coreMethods, this.handlers.implementation);
    const served = new Set([WORKER_SERVICE_NAME, HEALTH_SERVICE_NAME, ...REFLECTION_SERVICE_NAMES]);
    for (const extension of options.extensions ?? []) {
      for (const { definition, implementation } of extension.services()) {
        this.server.addService(definition, implementation);
        // Paths are /package.Service/Method: reflection lists what is really served.
        for (const method of Object.values(definition)) served.add(method.path.split('/')[1] ?? '');
      }
    }
    this.health.addToServer(this.server);
    addLazyReflection(this.server, [...served]);
  }

  /** The bound port; useful with port 0. */
  get port(): number {
    if (this.boundPort === undefined) throw new Error('WorkerServer: not started');
    return this.boundPort;
  }

  /** Binds and serves; resolves once health says SERVING ({@link port} is then known). */
  async start(): Promise<void> {
    if (this.stopped) throw new Error('WorkerServer: stopped servers do not restart');
    this.starting ??= this.bind();
    await this.starting;
  }

  /**
   * New handshakes present `material` (and trust its CA) from now on; connections already open
   * keep theirs, so no stream is dropped. Gateways pick up a new CA the same way on reconnect.
   * Throws, keeping the current certificate in service, when OpenSSL cannot use `material`.
   */
  updateTls(material: TlsMaterial): void {
    if (!this.rotating) throw new Error('WorkerServer: TLS cannot be rotated on a plaintext server');
    this.rotating.update(material);
    const leaf = new X509Certificate(material.certPem);
    this.logger.info('grpc server certificate rotated; new connections use it', {
      serialNumber: leaf.serialNumber,
      notAfter: leaf.validTo,
    });
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    // A bind in flight settles quickly either way; stopping after it keeps one shutdown path.
    await this.starting?.catch(() => undefined);
    // Probes and watching clients learn first, then gateways are told to reconnect elsewhere.
    this.health.setStatus(WHOLE_SERVER, 'NOT_SERVING');
    this.health.setStatus(WORKER_SERVICE_NAME, 'NOT_SERVING');
    this.handlers.endReportStreams('gateway-worker is shutting down; reconnect');
    await Promise.all((this.options.extensions ?? []).map((extension) => extension.stop()));
    await this.shutdown(this.options.shutdownGraceMs ?? DEFAULT_SHUTDOWN_GRACE_MS);
    this.logger.info('grpc server stopped');
  }

  private async bind(): Promise<number> {
    const { host = '0.0.0.0', port, tls } = this.options;
    const credentials = this.rotating?.credentials ?? serverCredentials(tls);
    const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    const bound = await new Promise<number>((resolve, reject) => {
      this.server.bindAsync(address, credentials, (err, boundPort) => {
        if (err) reject(new Error(`gRPC server cannot listen on ${address}: ${err.message}`));
        else resolve(boundPort);
      });
    });
    if (this.stopped) throw new Error('WorkerServer: stopped while starting');
    this.boundPort = bound;
    this.health.setStatus(WHOLE_SERVER, 'SERVING');
    this.health.setStatus(WORKER_SERVICE_NAME, 'SERVING');
    if (this.rotating) {
      this.logger.info('grpc server listening', { host, port: bound, tls: 'mutual' });
    } else {
      this.logger.warn('grpc server listening WITHOUT TLS (insecure-development-only)', {
        host,
        port: bound,
      });
    }
    return bound;
  }

  /** Graceful first (GOAWAY, calls finish), then forced once the grace period is over. */
  private async shutdown(graceMs: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.logger.debug('grpc server grace period over; closing remaining calls');
        this.server.forceShutdown();
        resolve();
      }, graceMs);
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
