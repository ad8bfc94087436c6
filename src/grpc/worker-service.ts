/**
 * WorkerService handlers: gateways stream their status in, and ask about certificates and jobs.
 * Everything they read comes from injected interfaces, so this file knows nothing about
 * Kubernetes and is tested with plain in-memory stand-ins.
 */
import { status, type sendUnaryData, type StatusObject } from '@grpc/grpc-js';
import { Counter, Gauge, type Registry } from 'prom-client';
import type {
  CertificateInfo,
  ReportStatusRequest,
  WorkerServiceServer,
} from '../generated/gateway/worker/v1/worker.js';
import type { Logger } from '../runtime/logger.js';
import type { GatewayReports } from './gateway-reports.js';
import type { JobRegistry } from './job-registry.js';
import { StatusError } from './status-error.js';

type Awaitable<T> = T | Promise<T>;

/** The certificates the worker manages, as gateways may see them: public facts only. */
export interface CertificateDirectory {
  /** Every certificate, or those of one namespace. */
  list(namespace?: string): Awaitable<readonly CertificateInfo[]>;
  get(namespace: string, name: string): Awaitable<CertificateInfo | undefined>;
}

export interface WorkerServiceDependencies {
  reports: GatewayReports;
  certificates: CertificateDirectory;
  jobs: JobRegistry;
  registry: Registry;
  logger: Logger;
}

/** ShipLogs is served by the telemetry ingest (src/telemetry/ingest), registered beside these. */
export type WorkerServiceCoreServer = Pick<
  WorkerServiceServer,
  'reportStatus' | 'getCertificate' | 'listCertificates' | 'listJobs'
>;

export interface WorkerServiceHandlers {
  readonly implementation: WorkerServiceCoreServer;
  /** Ends every open ReportStatus stream with UNAVAILABLE so its gateway reconnects elsewhere. */
  endReportStreams(reason: string): void;
}

/** A pod name is a DNS subdomain; the bound also caps what one peer can add as a label value. */
const MAX_GATEWAY_NAME = 253;

interface ReportMetrics {
  reports: Counter<'gateway'>;
  connected: Gauge;
}

const metricsByRegistry = new WeakMap<Registry, ReportMetrics>();

// One set per registry: several servers in one process (tests) would otherwise collide on names.
function reportMetrics(registry: Registry): ReportMetrics {
  let metrics = metricsByRegistry.get(registry);
  if (!metrics) {
    metrics = {
      reports: new Counter({
        name: 'gateway_worker_gateway_reports_total',
        help: 'Status reports received from gateways over WorkerService.ReportStatus.',
        labelNames: ['gateway'],
        registers: [registry],
      }),
      connected: new Gauge({
        name: 'gateway_worker_reporting_gateways',
        help: 'Gateways with at least one open ReportStatus stream to this worker.',
        registers: [registry],
      }),
    };
    metricsByRegistry.set(registry, metrics);
  }
  return metrics;
}

/** Copies the declared fields only, so whatever else a directory's objects carry never leaves. */
function publicInfo(info: CertificateInfo): CertificateInfo {
  return {
    namespace: info.namespace,
    name: info.name,
    dnsNames: [...info.dnsNames],
    notAfterUnix: info.notAfterUnix,
    ready: info.ready,
    temporary: info.temporary,
    revision: info.revision,
  };
}

function reportProblem(request: ReportStatusRequest, streamGateway: string | undefined): string | undefined {
  if (request.gateway === '') return 'gateway is required';
  if (request.gateway.length > MAX_GATEWAY_NAME)
    return `gateway is longer than ${MAX_GATEWAY_NAME} characters`;
  if (streamGateway !== undefined && request.gateway !== streamGateway) {
    return `one stream reports for one gateway: began as "${streamGateway}", got "${request.gateway}"`;
  }
  return undefined;
}

export function createWorkerService(deps: WorkerServiceDependencies): WorkerServiceHandlers {
  const metrics = reportMetrics(deps.registry);
  const logger = deps.logger;
  // Streams per gateway: a gateway that reconnects may briefly hold two.
  const openStreams = new Map<string, number>();
  const enders = new Set<(reason: string) => void>();

  // inc/dec on a gateway's first and last stream, rather than set(size), so that servers sharing
  // a registry add up instead of overwriting each other.
  const connect = (gateway: string): void => {
    const streams = (openStreams.get(gateway) ?? 0) + 1;
    openStreams.set(gateway, streams);
    if (streams === 1) metrics.connected.inc();
  };
  const disconnect = (gateway: string): void => {
    const streams = (openStreams.get(gateway) ?? 1) - 1;
    if (streams > 0) {
      openStreams.set(gateway, streams);
      return;
    }
    openStreams.delete(gateway);
    metrics.connected.dec();
  };

  /** Runs a unary handler body and turns its outcome into exactly one callback. */
  function answer<T>(method: string, callback: sendUnaryData<T>, work: () => Awaitable<T>): void {
    Promise.resolve()
      .then(work)
      .then(
        (response) => callback(null, response),
        (err: unknown) => {
          if (err instanceof StatusError) {
            callback({ code: err.code, details: err.message });
            return;
          }
          logger.error('WorkerService call failed', { method, err });
          const details = `${method} failed: ${err instanceof Error ? err.message : String(err)}`;
          callback({ code: status.INTERNAL, details });
        },
      );
  }

  const implementation: WorkerServiceCoreServer = {
    reportStatus(call, callback) {
      let gateway: string | undefined;
      let received = 0;
      let done = false;
      const finish = (error: Partial<StatusObject> | null): void => {
        if (done) return;
        done = true;
        enders.delete(end);
        if (gateway !== undefined) disconnect(gateway);
        logger.debug('gateway report stream closed', { gateway, reports: received, code: error?.code });
        if (error) callback(error);
        else callback(null, { reportsReceived: received });
      };
      const end = (reason: string): void => finish({ code: status.UNAVAILABLE, details: reason });
      enders.add(end);

      call.on('data', (request: ReportStatusRequest) => {
        if (done) return;
        const problem = reportProblem(request, gateway);
        if (problem) {
          finish({ code: status.INVALID_ARGUMENT, details: problem });
          return;
        }
        if (gateway === undefined) {
          gateway = request.gateway;
          connect(gateway);
          logger.debug('gateway report stream opened', { gateway, peer: call.getPeer() });
        }
        deps.reports.record(request);
        metrics.reports.inc({ gateway });
        received += 1;
      });
      call.on('end', () => finish(null));
      // A cancelled or broken stream has no one to answer; the callback then goes nowhere.
      call.on('close', () => finish({ code: status.CANCELLED, details: 'stream closed' }));
      call.on('error', (err: unknown) => {
        logger.debug('gateway report stream failed', { gateway, err });
        finish({ code: status.CANCELLED, details: 'stream failed' });
      });
    },

    getCertificate(call, callback) {
      answer('GetCertificate', callback, async () => {
        const { namespace, name } = call.request;
        if (namespace === '' || name === '') {
          throw new StatusError(status.INVALID_ARGUMENT, 'namespace and name are required');
        }
        const info = await deps.certificates.get(namespace, name);
        if (!info) throw new StatusError(status.NOT_FOUND, `certificate ${namespace}/${name} not found`);
        return { certificate: publicInfo(info) };
      });
    },

    listCertificates(call, callback) {
      answer('ListCertificates', callback, async () => {
        const namespace = call.request.namespace === '' ? undefined : call.request.namespace;
        const infos = await deps.certificates.list(namespace);
        return { certificates: infos.map(publicInfo) };
      });
    },

    listJobs(call, callback) {
      answer('ListJobs', callback, async () => {
        const { state, kind, limit } = call.request;
        return { jobs: await deps.jobs.list({ state, kind, limit }) };
      });
    },
  };

  return {
    implementation,
    endReportStreams(reason) {
      for (const end of [...enders]) end(reason);
    },
  };
}
