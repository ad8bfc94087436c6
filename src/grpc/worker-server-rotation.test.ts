import { expect } from 'chai';
import { status, type ServiceError } from '@grpc/grpc-js';
import {
  WorkerServiceClient,
  type ReportStatusRequest,
  type ReportStatusResponse,
} from '../generated/gateway/worker/v1/worker.js';
import { createCertificateAuthority, issueCertificate } from '../pki/x509.js';
import { silentLogger } from '../runtime/logger.js';
import { createMetricsRegistry } from '../runtime/metrics.js';
import { channelOptions, clientCredentials, WORKER_SERVER_NAME, type TlsMaterial } from './credentials.js';
import { GatewayReports } from './gateway-reports.js';
import { InMemoryJobRegistry } from './job-registry.js';
import {
  createWorkerPki,
  eventually,
  normalizeSerial,
  presentedSerial,
  type WorkerPki,
} from '../../test/support/grpc-fixtures.js';
import { WorkerServer } from './worker-server.js';

function report(requests: number): ReportStatusRequest {
  return { gateway: 'gateway-r', healthy: true, timeUnix: 0, versions: {}, counters: { requests } };
}

function listJobs(client: WorkerServiceClient): Promise<ServiceError | undefined> {
  return new Promise((resolve) => {
    client.listJobs({ state: '', kind: '', limit: 0 }, (err) => resolve(err ?? undefined));
  });
}

describe('WorkerServer certificate rotation', () => {
  let pki: WorkerPki;
  let server: WorkerServer;
  let reports: GatewayReports;
  let clients: WorkerServiceClient[];

  before(async () => {
    pki = await createWorkerPki();
  });

  beforeEach(async () => {
    reports = new GatewayReports();
    clients = [];
    server = new WorkerServer({
      port: 0,
      host: '127.0.0.1',
      tls: pki.server,
      reports,
      certificates: { list: () => [], get: () => undefined },
      jobs: new InMemoryJobRegistry(),
      registry: createMetricsRegistry(),
      logger: silentLogger,
      shutdownGraceMs: 500,
    });
    await server.start();
  });

  afterEach(async () => {
    for (const client of clients) client.close();
    await server.stop();
  });

  function workerClient(material: TlsMaterial): WorkerServiceClient {
    const client = new WorkerServiceClient(
      `127.0.0.1:${server.port}`,
      clientCredentials(material),
      // grpc-js shares connections between clients with equal credentials; a private pool makes
      // each client dial its own, which is what these tests are about.
      { ...channelOptions(WORKER_SERVER_NAME), 'grpc.use_local_subchannel_pool': 1 },
    );
    clients.push(client);
    return client;
  }

  function openReportStream(client: WorkerServiceClient) {
    let settle!: (outcome: ReportStatusResponse | ServiceError) => void;
    const outcome = new Promise<ReportStatusResponse | ServiceError>((resolve) => (settle = resolve));
    const stream = client.reportStatus((err, res) => settle(err ?? res));
    return { stream, outcome };
  }

  it('presents a new server certificate to new connections while an open stream keeps flowing', async () => {
    const { stream, outcome } = openReportStream(workerClient(pki.client));
    stream.write(report(1));
    await eventually('the first report arrives', () => reports.latest('gateway-r')?.counters.requests === 1);
    expect(await presentedSerial(server.port, pki.client)).to.equal(normalizeSerial(pki.server.serialNumber));

    const rotated = await pki.issueServer();
    server.updateTls(rotated);

    expect(await presentedSerial(server.port, pki.client)).to.equal(normalizeSerial(rotated.serialNumber));
    // A stream survives only on the connection it started on, so this proves that one stayed up.
    stream.write(report(2));
    await eventually('the second report arrives', () => reports.latest('gateway-r')?.counters.requests === 2);
    stream.end();
    expect(await outcome).to.deep.equal({ reportsReceived: 2 });
    // And a new gRPC client accepts the new certificate.
    expect(await listJobs(workerClient(pki.client))).to.equal(undefined);
  });

  it('trusts the new CA, and only it, for new connections after a CA rotation', async () => {
    const { stream, outcome } = openReportStream(workerClient(pki.client));
    stream.write(report(1));
    await eventually('the first report arrives', () => reports.latest('gateway-r') !== undefined);

    const now = Date.now();
    const validity = { notBefore: new Date(now - 60_000), notAfter: new Date(now + 3_600_000) };
    const newCa = await createCertificateAuthority(
      'gateway-worker test CA 2',
      validity.notBefore,
      validity.notAfter,
    );
    const leaf = (usage: 'server' | 'client') =>
      issueCertificate(newCa, {
        commonName: WORKER_SERVER_NAME,
        dnsNames: [WORKER_SERVER_NAME],
        usage,
        ...validity,
      });
    const [serverLeaf, clientLeaf] = await Promise.all([leaf('server'), leaf('client')]);
    server.updateTls({ caPem: newCa.certPem, certPem: serverLeaf.certPem, keyPem: serverLeaf.keyPem });

    const newClient = { caPem: newCa.certPem, certPem: clientLeaf.certPem, keyPem: clientLeaf.keyPem };
    expect(await listJobs(workerClient(newClient))).to.equal(undefined);
    // The old client trusts only the old CA: a new connection of its own now fails.
    expect((await listJobs(workerClient(pki.client)))?.code).to.equal(status.UNAVAILABLE);

    stream.write(report(2));
    stream.end();
    expect(await outcome).to.deep.equal({ reportsReceived: 2 });
  });

  it('keeps serving the current certificate when the new one is unusable', async () => {
    const other = await pki.issueServer();
    expect(() => server.updateTls({ ...pki.server, keyPem: other.keyPem })).to.throw(/unusable TLS material/);
    expect(await presentedSerial(server.port, pki.client)).to.equal(normalizeSerial(pki.server.serialNumber));
    expect(await listJobs(workerClient(pki.client))).to.equal(undefined);
  });
});
