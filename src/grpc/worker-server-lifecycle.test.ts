import { expect } from 'chai';
import { ChannelCredentials, status, type ServiceError } from '@grpc/grpc-js';
import { WorkerServiceClient, type ReportStatusResponse } from '../generated/gateway/worker/v1/worker.js';
import { silentLogger } from '../runtime/logger.js';
import { createMetricsRegistry } from '../runtime/metrics.js';
import { GatewayReports } from './gateway-reports.js';
import { InMemoryJobRegistry } from './job-registry.js';
import { eventually } from '../../test/support/grpc-fixtures.js';
import { WorkerServer } from './worker-server.js';
import type { TlsMaterial } from './credentials.js';

// Plaintext keeps these tests about the lifecycle; TLS has its own tests.
function plaintextServer(reports = new GatewayReports()): WorkerServer {
  return new WorkerServer({
    port: 0,
    host: '127.0.0.1',
    tls: 'insecure-development-only',
    reports,
    certificates: { list: () => [], get: () => undefined },
    jobs: new InMemoryJobRegistry(),
    registry: createMetricsRegistry(),
    logger: silentLogger,
    shutdownGraceMs: 2_000,
  });
}

function listJobs(client: WorkerServiceClient): Promise<ServiceError | null> {
  return new Promise((resolve) => {
    client.listJobs({ state: '', kind: '', limit: 0 }, (err) => resolve(err));
  });
}

describe('WorkerServer lifecycle', () => {
  it('serves plaintext in insecure-development-only mode and refuses to rotate a certificate it lacks', async () => {
    const server = plaintextServer();
    await server.start();
    const client = new WorkerServiceClient(`127.0.0.1:${server.port}`, ChannelCredentials.createInsecure());
    try {
      expect(await listJobs(client)).to.equal(null);
      expect(() => server.updateTls({} as TlsMaterial)).to.throw(/plaintext/);
    } finally {
      client.close();
      await server.stop();
    }
  });

  it('ends open ReportStatus streams with UNAVAILABLE on stop, without waiting out the grace period', async () => {
    const reports = new GatewayReports();
    const server = plaintextServer(reports);
    await server.start();
    const client = new WorkerServiceClient(`127.0.0.1:${server.port}`, ChannelCredentials.createInsecure());
    try {
      let outcome: ServiceError | ReportStatusResponse | undefined;
      const stream = client.reportStatus((err, res) => (outcome = err ?? res));
      stream.write({ gateway: 'gw-1', healthy: true, timeUnix: 0, versions: {}, counters: {} });
      await eventually('the report arrives', () => reports.latest('gw-1') !== undefined);
      const started = Date.now();
      await server.stop();
      expect(Date.now() - started).to.be.below(1_500);
      await eventually('the stream ends', () => outcome !== undefined);
      expect(outcome).to.include({ code: status.UNAVAILABLE });
      expect((outcome as ServiceError).details).to.match(/shutting down/);
    } finally {
      client.close();
    }
  });

  it('knows no port before it starts, and does not start again once stopped', async () => {
    const server = plaintextServer();
    expect(() => server.port).to.throw(/not started/);
    await server.start();
    await server.stop();
    await server.stop(); // a second stop is harmless
    let failure: unknown;
    await server.start().catch((err: unknown) => (failure = err));
    expect(failure).to.match(/do not restart/);
  });

  it('settles a start that a stop overtakes', async () => {
    const server = plaintextServer();
    const starting = server.start().then(
      () => 'started',
      (err: unknown) => (err instanceof Error ? err.message : String(err)),
    );
    await server.stop();
    expect(await starting).to.match(/stopped while starting/);
  });

  it('says which address it could not listen on', async () => {
    const first = plaintextServer();
    await first.start();
    const second = new WorkerServer({
      port: first.port,
      host: '127.0.0.1',
      tls: 'insecure-development-only',
      reports: new GatewayReports(),
      certificates: { list: () => [], get: () => undefined },
      jobs: new InMemoryJobRegistry(),
      registry: createMetricsRegistry(),
      logger: silentLogger,
    });
    try {
      let failure: unknown;
      await second.start().catch((err: unknown) => (failure = err));
      expect(failure).to.match(new RegExp(`cannot listen on 127\\.0\\.0\\.1:${first.port}`));
    } finally {
      await second.stop();
      await first.stop();
    }
  });
});
