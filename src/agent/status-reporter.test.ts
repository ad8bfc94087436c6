import { Server, type ServerReadableStream, type sendUnaryData } from '@grpc/grpc-js';
import { expect } from 'chai';
import { ResourceType } from '../generated/gateway/worker/v1/resources.js';
import {
  WorkerServiceService,
  type ReportStatusRequest,
  type ReportStatusResponse,
} from '../generated/gateway/worker/v1/worker.js';
import { serverCredentials, serverOptions } from '../grpc/credentials.js';
import {
  SyncSession,
  agentClient,
  agentPki,
  startTestAgent,
  update,
  type TestAgent,
} from '../../test/support/agent-fixtures.js';

/** A stand-in for the worker's WorkerService that records every report. */
async function fakeWorker(port = 0): Promise<{ port: number; reports: ReportStatusRequest[]; stop(): void }> {
  const reports: ReportStatusRequest[] = [];
  const server = new Server(serverOptions);
  server.addService(WorkerServiceService, {
    reportStatus: (
      call: ServerReadableStream<ReportStatusRequest, ReportStatusResponse>,
      callback: sendUnaryData<ReportStatusResponse>,
    ) => {
      let received = 0;
      call.on('data', (report: ReportStatusRequest) => {
        received += 1;
        reports.push(report);
      });
      call.on('end', () => callback(null, { reportsReceived: received }));
    },
  });
  const tls = (await agentPki()).workerServer;
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${port}`, serverCredentials(tls), (error, p) =>
      error ? reject(error) : resolve(p),
    ),
  );
  return { port: bound, reports, stop: () => server.forceShutdown() };
}

async function until(check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('agent status reports', () => {
  let worker: Awaited<ReturnType<typeof fakeWorker>>;
  let agent: TestAgent;

  before(async () => {
    worker = await fakeWorker();
    const pki = await agentPki();
    agent = await startTestAgent({
      worker: { address: `127.0.0.1:${worker.port}`, tls: pki.agent, intervalMs: 100 },
    });
  });

  after(async () => {
    await agent.stop();
    worker.stop();
  });

  it('reports health and the versions it serves, every interval', async () => {
    const client = agentClient(agent.agent.address, (await agentPki()).worker);
    const session = new SyncSession(client);
    const request = update(ResourceType.RESOURCE_TYPE_ROUTES, []);
    await session.exchange(request);
    session.close();
    client.close();
    await until(() => worker.reports.some((r) => r.versions.RESOURCE_TYPE_ROUTES === request.version));
    const last = worker.reports.at(-1)!;
    expect(last).to.include({ gateway: 'gateway-test', healthy: true });
    expect(last.timeUnix).to.be.closeTo(Date.now() / 1000, 5);
  });

  it('reconnects and goes on reporting after the worker comes back', async () => {
    worker.stop();
    const port = worker.port;
    worker = await fakeWorker(port);
    await until(() => worker.reports.length >= 2);
    expect(worker.reports[0]!.gateway).to.equal('gateway-test');
  });
});
