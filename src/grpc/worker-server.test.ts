import { expect } from 'chai';
import {
  ChannelCredentials,
  Metadata,
  status,
  type CallOptions,
  type ClientUnaryCall,
  type ServiceError,
} from '@grpc/grpc-js';
import type { Registry } from 'prom-client';
import {
  WorkerServiceClient,
  type CertificateInfo,
  type ReportStatusRequest,
  type ReportStatusResponse,
} from '../generated/gateway/worker/v1/worker.js';
import { FakeClock } from '../runtime/clock.js';
import { silentLogger } from '../runtime/logger.js';
import { createMetricsRegistry } from '../runtime/metrics.js';
import { channelOptions, clientCredentials, WORKER_SERVER_NAME } from './credentials.js';
import { GatewayReports } from './gateway-reports.js';
import { InMemoryJobRegistry } from './job-registry.js';
import {
  createWorkerPki,
  eventually,
  HealthClient,
  ServingStatus,
  type WorkerPki,
} from '../../test/support/grpc-fixtures.js';
import type { CertificateDirectory } from './worker-service.js';
import { WorkerServer } from './worker-server.js';

type Callback<Res> = (err: ServiceError | null, response: Res) => void;
type UnaryMethod<Req, Res> = (
  req: Req,
  md: Metadata,
  opts: Partial<CallOptions>,
  cb: Callback<Res>,
) => ClientUnaryCall;

/** Calls a unary method with a deadline, as every unary call should have. */
function unary<Req, Res>(method: UnaryMethod<Req, Res>, request: Req): Promise<Res> {
  return new Promise((resolve, reject) => {
    method(request, new Metadata(), { deadline: Date.now() + 5_000 }, (err, res) => {
      if (err) reject(err);
      else resolve(res);
    });
  });
}

async function failure(promise: Promise<unknown>): Promise<ServiceError> {
  try {
    await promise;
  } catch (err) {
    return err as ServiceError;
  }
  throw new Error('the call succeeded');
}

function report(gateway: string, requests: number): ReportStatusRequest {
  return {
    gateway,
    healthy: true,
    timeUnix: 1_767_225_600,
    versions: { routes: 'v1' },
    counters: { requests },
  };
}

function openReportStream(client: WorkerServiceClient) {
  let resolveResponse!: (r: ReportStatusResponse) => void;
  let rejectResponse!: (e: ServiceError) => void;
  const response = new Promise<ReportStatusResponse>((resolve, reject) => {
    resolveResponse = resolve;
    rejectResponse = reject;
  });
  const stream = client.reportStatus((err, res) => (err ? rejectResponse(err) : resolveResponse(res)));
  return { stream, response };
}

async function metricValues(registry: Registry, name: string) {
  const metric = registry.getSingleMetric(name);
  if (!metric) throw new Error(`metric ${name} is not registered`);
  return (await metric.get()).values;
}

const certificate: CertificateInfo = {
  namespace: 'shop',
  name: 'storefront',
  dnsNames: ['shop.example'],
  notAfterUnix: 1_800_000_000,
  ready: true,
  temporary: false,
  revision: '3',
};

const directory: CertificateDirectory = {
  list: (namespace) => [certificate].filter((c) => namespace === undefined || c.namespace === namespace),
  get: (namespace, name) => (namespace === 'shop' && name === 'storefront' ? certificate : undefined),
};

describe('WorkerServer', () => {
  let pki: WorkerPki;
  let server: WorkerServer;
  let registry: Registry;
  let reports: GatewayReports;
  let jobs: InMemoryJobRegistry;
  let clients: { close(): void }[];

  before(async () => {
    pki = await createWorkerPki();
  });

  beforeEach(async () => {
    registry = createMetricsRegistry();
    reports = new GatewayReports({ clock: new FakeClock() });
    jobs = new InMemoryJobRegistry({ clock: new FakeClock(), newId: () => `job-${jobs.size + 1}` });
    clients = [];
    server = new WorkerServer({
      port: 0,
      host: '127.0.0.1',
      tls: pki.server,
      reports,
      certificates: directory,
      jobs,
      registry,
      logger: silentLogger,
      shutdownGraceMs: 500,
    });
    await server.start();
  });

  afterEach(async () => {
    for (const client of clients) client.close();
    await server.stop();
  });

  function workerClient(
    credentials: ChannelCredentials = clientCredentials(pki.client),
  ): WorkerServiceClient {
    const client = new WorkerServiceClient(
      `127.0.0.1:${server.port}`,
      credentials,
      channelOptions(WORKER_SERVER_NAME),
    );
    clients.push(client);
    return client;
  }

  describe('ReportStatus', () => {
    it('keeps the latest report per gateway, counts each one and answers with the number received', async () => {
      const { stream, response } = openReportStream(workerClient());
      stream.write(report('gateway-a', 1));
      stream.write(report('gateway-a', 2));
      stream.write(report('gateway-a', 3));
      stream.end();
      expect(await response).to.deep.equal({ reportsReceived: 3 });
      expect(reports.latest('gateway-a')).to.deep.include({
        gateway: 'gateway-a',
        counters: { requests: 3 },
      });
      const counted = await metricValues(registry, 'gateway_worker_gateway_reports_total');
      expect(counted).to.deep.include({ value: 3, labels: { gateway: 'gateway-a' } });
    });

    it('counts a gateway as reporting while its stream is open', async () => {
      const connected = async () =>
        (await metricValues(registry, 'gateway_worker_reporting_gateways'))[0]?.value;
      const { stream, response } = openReportStream(workerClient());
      stream.write(report('gateway-b', 1));
      await eventually('the report arrives', () => reports.latest('gateway-b') !== undefined);
      expect(await connected()).to.equal(1);
      stream.end();
      await response;
      expect(await connected()).to.equal(0);
    });

    it('refuses a report that names no gateway with INVALID_ARGUMENT', async () => {
      const { stream, response } = openReportStream(workerClient());
      stream.write(report('', 1));
      const err = await failure(response);
      expect(err.code).to.equal(status.INVALID_ARGUMENT);
      expect(err.details).to.equal('gateway is required');
    });
  });

  describe('certificate and job queries', () => {
    it('describes one certificate', async () => {
      const client = workerClient();
      const res = await unary(client.getCertificate.bind(client), { namespace: 'shop', name: 'storefront' });
      expect(res.certificate).to.deep.equal(certificate);
    });

    it('answers NOT_FOUND naming the certificate it could not find', async () => {
      const client = workerClient();
      const err = await failure(
        unary(client.getCertificate.bind(client), { namespace: 'shop', name: 'missing' }),
      );
      expect(err.code).to.equal(status.NOT_FOUND);
      expect(err.details).to.equal('certificate shop/missing not found');
    });

    it('lists certificates of one namespace, or of all when none is given', async () => {
      const client = workerClient();
      const list = client.listCertificates.bind(client);
      expect((await unary(list, { namespace: '' })).certificates).to.have.length(1);
      expect((await unary(list, { namespace: 'shop' })).certificates).to.have.length(1);
      expect((await unary(list, { namespace: 'elsewhere' })).certificates).to.deep.equal([]);
    });

    it('lists the jobs the registry holds', async () => {
      const id = jobs.start('issue', 'shop/storefront');
      jobs.finish(id, 'succeeded', 'issued');
      const client = workerClient();
      const res = await unary(client.listJobs.bind(client), { state: '', kind: '', limit: 0 });
      expect(res.jobs).to.deep.equal([
        {
          id,
          kind: 'issue',
          target: 'shop/storefront',
          state: 'succeeded',
          message: 'issued',
          startedUnix: 1_767_225_600,
          attempts: 1,
          maxAttempts: 1,
          createdUnix: 1_767_225_600,
          runAtUnix: 1_767_225_600,
          finishedUnix: 1_767_225_600,
          schedule: '',
        },
      ]);
    });
  });

  describe('mutual TLS', () => {
    const refusals: [string, (pki: WorkerPki) => ChannelCredentials][] = [
      ['a plaintext client', () => ChannelCredentials.createInsecure()],
      ['a client with a certificate from another CA', (p) => clientCredentials(p.stranger)],
      ['a client without a certificate', (p) => ChannelCredentials.createSsl(Buffer.from(p.ca.certPem))],
    ];
    for (const [who, credentials] of refusals) {
      it(`refuses ${who}`, async () => {
        const client = workerClient(credentials(pki));
        const err = await failure(unary(client.listJobs.bind(client), { state: '', kind: '', limit: 0 }));
        expect(err.code).to.equal(status.UNAVAILABLE);
      });
    }
  });

  describe('health', () => {
    it('says SERVING for the whole server and for WorkerService, NOT_SERVING to watchers on stop', async () => {
      const health = new HealthClient(`127.0.0.1:${server.port}`, clientCredentials(pki.client));
      clients.push(health);
      expect(await health.check('')).to.equal(ServingStatus.SERVING);
      expect(await health.check('gateway.worker.v1.WorkerService')).to.equal(ServingStatus.SERVING);

      const seen: number[] = [];
      const watch = health.watch('');
      watch.on('data', (s: number) => seen.push(s));
      watch.on('error', () => undefined); // cancelled below, or cut off by the shutdown
      await eventually('the watch reports SERVING', () => seen.includes(ServingStatus.SERVING));
      const stopping = server.stop();
      await eventually('the watch reports NOT_SERVING', () => seen.includes(ServingStatus.NOT_SERVING));
      watch.cancel();
      await stopping;
    });
  });
});
