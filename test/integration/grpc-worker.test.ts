/**
 * The worker's gRPC server against the real clients operators will point at it: grpcurl through
 * server reflection and grpc-health-probe, both over mutual TLS with files on disk.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { findAsset } from '../../src/envtest/assets.js';
import { WORKER_SERVER_NAME } from '../../src/grpc/credentials.js';
import { GatewayReports } from '../../src/grpc/gateway-reports.js';
import { InMemoryJobRegistry } from '../../src/grpc/job-registry.js';
import { createWorkerPki } from '../support/grpc-fixtures.js';
import { WorkerServer } from '../../src/grpc/worker-server.js';
import { silentLogger } from '../../src/runtime/logger.js';
import { createMetricsRegistry } from '../../src/runtime/metrics.js';

interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

// Asynchronous on purpose: the server under test runs in this process and must keep answering.
function run(binary: string, args: readonly string[]): Promise<ToolResult> {
  return new Promise((resolve) => {
    execFile(binary, args, { timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

function ok(result: ToolResult, what: string): string {
  if (result.code !== 0) throw new Error(`${what} exited ${result.code}:\n${result.stderr}${result.stdout}`);
  return result.stdout;
}

describe('worker gRPC server with grpcurl and grpc-health-probe', function () {
  this.timeout(60_000);

  let dir: string;
  let server: WorkerServer | undefined;
  let address: string;
  let files: { ca: string; cert: string; key: string };
  const jobs = new InMemoryJobRegistry();

  before(async () => {
    const pki = await createWorkerPki();
    dir = mkdtempSync(join(tmpdir(), 'gw-grpc-tools-'));
    files = { ca: join(dir, 'ca.crt'), cert: join(dir, 'tls.crt'), key: join(dir, 'tls.key') };
    writeFileSync(files.ca, pki.client.caPem);
    writeFileSync(files.cert, pki.client.certPem);
    writeFileSync(files.key, pki.client.keyPem, { mode: 0o600 });
    server = new WorkerServer({
      port: 0,
      host: '127.0.0.1',
      tls: pki.server,
      reports: new GatewayReports(),
      certificates: { list: () => [], get: () => undefined },
      jobs,
      registry: createMetricsRegistry(),
      logger: silentLogger,
      shutdownGraceMs: 500,
    });
    await server.start();
    address = `127.0.0.1:${server.port}`;
  });

  after(async () => {
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const grpcurl = (...args: string[]): Promise<ToolResult> =>
    run(findAsset('grpcurl'), [
      '-cacert',
      files.ca,
      '-cert',
      files.cert,
      '-key',
      files.key,
      '-servername',
      WORKER_SERVER_NAME,
      ...args,
    ]);

  it('grpcurl lists WorkerService, health and reflection through server reflection', async () => {
    const services = ok(await grpcurl(address, 'list'), 'grpcurl list')
      .trim()
      .split('\n');
    // Exactly these: GatewayAgent is in the descriptor set too, but only gateway pods serve it.
    expect(services).to.have.members([
      'gateway.worker.v1.WorkerService',
      'grpc.health.v1.Health',
      'grpc.reflection.v1.ServerReflection',
      'grpc.reflection.v1alpha.ServerReflection',
    ]);
  });

  it('grpcurl describes WorkerService from reflection alone', async () => {
    const described = ok(
      await grpcurl(address, 'describe', 'gateway.worker.v1.WorkerService'),
      'grpcurl describe',
    );
    expect(described).to.include('rpc ReportStatus ( stream .gateway.worker.v1.ReportStatusRequest )');
  });

  it('grpcurl calls grpc.health.v1.Health/Check and gets SERVING', async () => {
    const reply = ok(await grpcurl('-d', '{}', address, 'grpc.health.v1.Health/Check'), 'grpcurl Check');
    expect(JSON.parse(reply)).to.deep.equal({ status: 'SERVING' });
  });

  it('grpcurl calls WorkerService/ListJobs', async () => {
    const id = jobs.start('issue', 'shop/storefront');
    const reply = ok(
      await grpcurl('-d', '{}', address, 'gateway.worker.v1.WorkerService/ListJobs'),
      'ListJobs',
    );
    const { jobs: listed } = JSON.parse(reply) as { jobs: Record<string, unknown>[] };
    expect(listed).to.have.length(1);
    expect(listed[0]).to.include({ id, kind: 'issue', target: 'shop/storefront', state: 'running' });
  });

  it('grpcurl without a client certificate is refused', async () => {
    const result = await run(findAsset('grpcurl'), [
      '-connect-timeout',
      '2',
      '-cacert',
      files.ca,
      '-servername',
      WORKER_SERVER_NAME,
      address,
      'list',
    ]);
    expect(result.code).not.to.equal(0);
    // grpcurl retries the handshake until its connect timeout and then reports only that.
    expect(result.stderr).to.match(/Failed to dial target host/);
  });

  it('grpc-health-probe passes with the TLS flags', async () => {
    const probe = await run(findAsset('grpc-health-probe'), [
      '-addr',
      address,
      '-tls',
      '-tls-ca-cert',
      files.ca,
      '-tls-client-cert',
      files.cert,
      '-tls-client-key',
      files.key,
      '-tls-server-name',
      WORKER_SERVER_NAME,
    ]);
    expect(ok(probe, 'grpc-health-probe') + probe.stderr).to.include('SERVING');
  });
});
