import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { status, type ServiceError } from '@grpc/grpc-js';
import { expect } from 'chai';
import { findAsset } from '../envtest/assets.js';
import { ResourceType } from '../generated/gateway/worker/v1/resources.js';
import { GATEWAY_SERVER_NAME, type TlsMode } from '../grpc/credentials.js';
import {
  agentClient,
  agentPki,
  applyCertificate,
  startTestAgent,
  update,
  type TestAgent,
} from '../../test/support/agent-fixtures.js';

const run = promisify(execFile);

async function callWith(address: string, tls: TlsMode): Promise<ServiceError> {
  const client = agentClient(address, tls);
  try {
    const { worker, agent } = await agentPki();
    // A key that does not match: only an agent that really received the call can say so.
    await applyCertificate(client, {
      name: 'probe',
      version: 'v1',
      certificateChainPem: worker.certPem,
      privateKeyPem: agent.keyPem,
      dnsNames: [],
      notAfterUnix: 0,
      temporary: false,
    });
  } catch (error) {
    return error as ServiceError;
  } finally {
    client.close();
  }
  throw new Error('the agent answered');
}

describe('agent transport', () => {
  let agent: TestAgent;
  let files: string;

  before(async () => {
    agent = await startTestAgent();
    const pki = await agentPki();
    files = await mkdtemp(join(tmpdir(), 'agent-probe-'));
    await writeFile(join(files, 'ca.crt'), pki.ca.certPem);
    await writeFile(join(files, 'tls.crt'), pki.worker.certPem);
    await writeFile(join(files, 'tls.key'), pki.worker.keyPem);
  });

  after(async () => {
    await agent.stop();
    await rm(files, { recursive: true, force: true });
  });

  it('refuses a plaintext client', async () => {
    const error = await callWith(agent.agent.address, 'insecure-development-only');
    expect(error.code).to.equal(status.UNAVAILABLE);
  });

  it('refuses a client whose certificate comes from another CA', async () => {
    const error = await callWith(agent.agent.address, (await agentPki()).stranger);
    expect(error.code).to.equal(status.UNAVAILABLE);
    expect(await readdir(join(agent.dir, 'certs'))).to.deep.equal([]);
  });

  it('passes grpc-health-probe with the TLS flags, for the server and for GatewayAgent', async () => {
    const probe = findAsset('grpc-health-probe');
    const flags = [
      `-addr=${agent.agent.address}`,
      '-tls',
      `-tls-ca-cert=${join(files, 'ca.crt')}`,
      `-tls-client-cert=${join(files, 'tls.crt')}`,
      `-tls-client-key=${join(files, 'tls.key')}`,
      `-tls-server-name=${GATEWAY_SERVER_NAME}`,
    ];
    for (const service of [[], ['-service=gateway.worker.v1.GatewayAgent']]) {
      // It exits 0 only for SERVING, and says so on stderr.
      const { stdout, stderr } = await run(probe, [...flags, ...service]);
      expect((stdout + stderr).trim()).to.equal('status: SERVING');
    }
  });

  it('answers /health on its HTTP port', async () => {
    const response = await fetch(`http://${agent.agent.httpAddress}/health`);
    expect(response.status).to.equal(200);
  });

  it('stops promptly with a config stream open, ending the stream for the worker', async () => {
    const stopping = await startTestAgent();
    const client = agentClient(stopping.agent.address, (await agentPki()).worker);
    try {
      const stream = client.syncConfig();
      const ended = new Promise<number>((resolve) =>
        stream.on('status', (s: { code: number }) => resolve(s.code)),
      );
      stream.on('error', () => undefined);
      const answered = new Promise((resolve) => stream.once('data', resolve));
      stream.write(update(ResourceType.RESOURCE_TYPE_ROUTES, []));
      await answered;
      const started = Date.now();
      await stopping.stop();
      expect(Date.now() - started).to.be.below(1_000);
      expect(await ended).to.equal(status.OK);
    } finally {
      client.close();
      await stopping.stop();
    }
  });

  it('serves plaintext gRPC only when told --insecure-development-only', async () => {
    const insecure = await startTestAgent({ tls: 'insecure-development-only' });
    try {
      // The certificate is refused for its content, which proves the call got through.
      const error = await callWith(insecure.agent.address, 'insecure-development-only');
      expect(error.code).to.equal(status.INVALID_ARGUMENT);
    } finally {
      await insecure.stop();
    }
  });
});
