/**
 * The reference gateway agent as one process: the GatewayAgent gRPC server, the HTTP port for
 * ACME challenges and health, and the optional status reporter, all over one folder the gateway
 * reads (`certs/`, `waf-rules.yaml`, `routes.yaml`), and, when its TLS material comes from files,
 * the watcher that puts renewed files in service. Wiring only.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import type { ResourceType } from '../generated/gateway/worker/v1/resources.js';
import type { TlsMaterial, TlsMode } from '../grpc/credentials.js';
import type { Clock } from '../runtime/clock.js';
import { silentLogger, type Logger } from '../runtime/logger.js';
import type { Lifecycle } from '../runtime/run-until-signal.js';
import { AgentServer } from './agent-server.js';
import { CertificateStore } from './certificates.js';
import { ConfigState } from './config-state.js';
import { AgentHttpServer } from './http-server.js';
import { LogShipper, type LogShipperOptions } from './log-shipping/log-shipper.js';
import { StatusReporter } from './status-reporter.js';
import { TlsFileWatcher, type TlsFilePaths } from './tls-files.js';

export interface WorkerLink {
  /** host:port of the worker's WorkerService. */
  readonly address: string;
  /** Client credentials; the agent's own certificate must allow client authentication. */
  readonly tls: TlsMode;
  readonly intervalMs: number;
}

/** Shipping the gateway's access log to the worker ({@link WorkerLink}'s address). */
export type AgentLogShipping = Omit<
  LogShipperOptions,
  'gateway' | 'worker' | 'logger' | 'clock' | 'registry'
> & {
  /** A certificate naming this gateway, when --tls-cert is the fleet's shared one. */
  readonly tls?: TlsMode;
  /** Where `tls` was read from, watched like the agent's own files. */
  readonly tlsFiles?: TlsFilePaths;
};

export interface GatewayAgentOptions {
  readonly dir: string;
  /** gRPC listen address, HOST:PORT; port 0 picks a free one. */
  readonly listen: string;
  /** HTTP port for ACME challenges and /health, on the listen host; 0 picks a free one. */
  readonly httpPort: number;
  readonly tls: TlsMode;
  /**
   * Where `tls` was read from: changed files (a renewed Secret) are checked and put in service for
   * new connections, open streams carry on. Only with TLS material, not in plaintext mode.
   */
  readonly tlsFiles?: { readonly paths: TlsFilePaths; readonly checkIntervalMs?: number };
  /** The gateway's name in answers and reports, normally the pod name. */
  readonly name: string;
  readonly worker?: WorkerLink;
  /** Follow the gateway's access log and ship it to `worker` (docs/telemetry.md). */
  readonly logShipping?: AgentLogShipping;
  readonly logger?: Logger;
  readonly clock?: Clock;
}

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** `HOST:PORT` or `[IPv6]:PORT`; undefined when malformed. */
export function parseHostPort(value: string): HostPort | undefined {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(value);
  const host = match?.[1] ?? match?.[2];
  const port = Number(match?.[3]);
  if (host === undefined || !Number.isInteger(port) || port > 65_535) return undefined;
  return { host, port };
}

function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

export class GatewayAgentProcess implements Lifecycle {
  readonly state: ConfigState;
  private readonly certificates: CertificateStore;
  private readonly server: AgentServer;
  private readonly http: AgentHttpServer;
  private reporter: StatusReporter | undefined;
  private readonly shipper: LogShipper | undefined;
  private readonly shipperTlsWatcher: TlsFileWatcher | undefined;
  /** The agent's metrics (/metrics on its HTTP port), when something measures. */
  readonly registry: Registry | undefined;
  /** What the server presents now. */
  private servedTls: TlsMode;
  /** What the status reporter's client presents. */
  private reporterTls: TlsMode | undefined;
  private readonly tlsWatcher: TlsFileWatcher | undefined;
  private readonly logger: Logger;
  private readonly listen: HostPort;
  private grpcPort = 0;
  private boundHttpPort = 0;

  constructor(private readonly options: GatewayAgentOptions) {
    const listen = parseHostPort(options.listen);
    if (!listen) throw new Error(`listen address "${options.listen}" is not HOST:PORT`);
    if (options.tlsFiles && options.tls === 'insecure-development-only')
      throw new Error('TLS files cannot be watched in insecure-development-only mode');
    this.listen = listen;
    this.logger = (options.logger ?? silentLogger).child({ gateway: options.name });
    this.state = new ConfigState(options.dir, this.logger);
    this.certificates = new CertificateStore(join(options.dir, 'certs'), this.logger);
    this.server = new AgentServer({
      name: options.name,
      tls: options.tls,
      state: this.state,
      certificates: this.certificates,
      logger: this.logger,
    });
    const { logShipping, worker } = options;
    if (logShipping && !worker) throw new Error('log shipping needs a worker to ship to');
    this.registry = logShipping ? new Registry() : undefined;
    this.http = new AgentHttpServer({
      host: listen.host,
      port: options.httpPort,
      keyAuthorization: (token) => this.state.challenges.keyAuthorization(token),
      logger: this.logger,
      ...(this.registry ? { registry: this.registry } : {}),
    });
    this.shipper =
      logShipping && worker
        ? new LogShipper({
            ...logShipping,
            gateway: options.name,
            worker: { address: worker.address, tls: logShipping.tls ?? worker.tls },
            logger: this.logger,
            ...(this.registry ? { registry: this.registry } : {}),
            ...(options.clock ? { clock: options.clock } : {}),
          })
        : undefined;
    const shipperTls = logShipping?.tls;
    this.shipperTlsWatcher =
      logShipping?.tlsFiles && shipperTls && shipperTls !== 'insecure-development-only'
        ? new TlsFileWatcher({
            paths: logShipping.tlsFiles,
            current: shipperTls,
            apply: (material) => this.shipper?.setTls(material),
            logger: this.logger,
            ...(options.clock ? { clock: options.clock } : {}),
          })
        : undefined;
    this.servedTls = options.tls;
    this.reporterTls = options.worker?.tls;
    this.reporter = options.worker ? this.newReporter(options.worker, options.worker.tls) : undefined;
    const { tlsFiles, tls } = options;
    this.tlsWatcher =
      tlsFiles && tls !== 'insecure-development-only'
        ? new TlsFileWatcher({
            paths: tlsFiles.paths,
            current: tls,
            apply: (material) => this.rotateTls(material),
            logger: this.logger,
            ...(tlsFiles.checkIntervalMs === undefined ? {} : { checkIntervalMs: tlsFiles.checkIntervalMs }),
            ...(options.clock ? { clock: options.clock } : {}),
          })
        : undefined;
  }

  async start(): Promise<void> {
    await mkdir(join(this.options.dir, 'certs'), { recursive: true, mode: 0o755 });
    await this.state.load();
    this.grpcPort = await this.server.listen(formatHostPort(this.listen.host, this.listen.port));
    this.boundHttpPort = await this.http.start();
    this.reporter?.start();
    this.tlsWatcher?.start();
    await this.shipper?.start();
    this.shipperTlsWatcher?.start();
    this.logger.info('gateway agent started', {
      dir: this.options.dir,
      grpc: this.address,
      http: this.httpAddress,
      mode: this.options.tls === 'insecure-development-only' ? 'insecure-development-only' : 'mTLS',
    });
  }

  async stop(): Promise<void> {
    this.tlsWatcher?.stop();
    this.shipperTlsWatcher?.stop();
    this.reporter?.stop();
    await this.shipper?.stop();
    await Promise.all([this.server.stop(), this.http.stop()]);
  }

  /** host:port the gRPC server listens on (the bound port after start). */
  get address(): string {
    return formatHostPort(this.listen.host, this.grpcPort);
  }

  get httpAddress(): string {
    return formatHostPort(this.listen.host, this.boundHttpPort);
  }

  get dir(): string {
    return this.options.dir;
  }

  /** Versions served: config types by their proto name, certificates as `certificate/<name>`. */
  appliedVersions(): Record<string, string> {
    const versions = this.state.appliedVersions();
    for (const [name, version] of this.certificates.applied()) versions[`certificate/${name}`] = version;
    return versions;
  }

  /** The log shipper, when the agent ships its gateway's access log. */
  get logShipper(): LogShipper | undefined {
    return this.shipper;
  }

  rejectNext(type: ResourceType, message: string): void {
    this.state.rejectNext(type, message);
  }

  private newReporter(worker: WorkerLink, tls: TlsMode): StatusReporter {
    return new StatusReporter({
      address: worker.address,
      tls,
      gateway: this.options.name,
      intervalMs: worker.intervalMs,
      versions: () => this.appliedVersions(),
      logger: this.logger,
      ...(this.options.clock ? { clock: this.options.clock } : {}),
    });
  }

  /**
   * The server takes the new set first: if it refuses, nothing else changes. A status reporter
   * that used the same files follows them; its client keeps its credentials for life, so it is
   * replaced, and the next report goes out on a new connection with the new certificate, before
   * the old one can expire or lose its CA.
   */
  private rotateTls(material: TlsMaterial): void {
    const previous = this.servedTls;
    this.server.updateTls(material);
    this.servedTls = material;
    const worker = this.options.worker;
    if (this.reporter && worker && this.reporterTls && sameMaterial(this.reporterTls, previous)) {
      this.reporter.stop();
      this.reporterTls = material;
      this.reporter = this.newReporter(worker, material);
      this.reporter.start();
    }
    // The shipper follows the agent's files unless it has a certificate of its own.
    if (this.shipper && !this.options.logShipping?.tls) this.shipper.setTls(material);
  }
}

function sameMaterial(a: TlsMode, b: TlsMode): boolean {
  if (a === 'insecure-development-only' || b === 'insecure-development-only') return a === b;
  return a.caPem === b.caPem && a.certPem === b.certPem && a.keyPem === b.keyPem;
}
