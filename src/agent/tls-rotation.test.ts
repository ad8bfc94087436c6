import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Server,
  status,
  type ServerReadableStream,
  type ServiceError,
  type sendUnaryData,
} from '@grpc/grpc-js';
import { expect } from 'chai';
import { GatewayAgentClient } from '../generated/gateway/worker/v1/agent.js';
import { ResourceType } from '../generated/gateway/worker/v1/resources.js';
import {
  WorkerServiceService,
  type ReportStatusRequest,
  type ReportStatusResponse,
} from '../generated/gateway/worker/v1/worker.js';
import {
  GATEWAY_SERVER_NAME,
  channelOptions,
  clientCredentials,
  serverCredentials,
  serverOptions,
  type TlsMaterial,
} from '../grpc/credentials.js';
import { createCertificateAuthority, issueCertificate, type KeyAndCert } from '../pki/x509.js';
import {
  SyncSession,
  agentPki,
  applyCertificate,
  jsonResource,
  startTestAgent,
  update,
  wafRule,
  type AgentPki,
  type TestAgent,
} from '../../test/support/agent-fixtures.js';
import { normalizeSerial } from '../../test/support/grpc-fixtures.js';
import { SecretVolume, agentSerial, tlsSecretFiles, waitFor } from '../../test/support/secret-volume.js';

const WAF = ResourceType.RESOURCE_TYPE_WAF_RULES;
const HOUR_MS = 3_600_000;
let edits = 0;

/** A new WAF rule set each time, so every answer is for a version the agent has not seen. */
function wafUpdate() {
  edits += 1;
  return update(WAF, [
    jsonResource('default/rules', { version: String(edits), rules: [wafRule(`r${edits}`)] }),
  ]);
}

/** A client with its own connection: grpc-js would otherwise reuse one made with equal credentials. */
function freshClient(address: string, tls: TlsMaterial): GatewayAgentClient {
  return new GatewayAgentClient(address, clientCredentials(tls), {
    ...channelOptions(GATEWAY_SERVER_NAME),
    'grpc.use_local_subchannel_pool': 1,
  });
}

const serialOr = (address: string, client: TlsMaterial) =>
  agentSerial(address, client).catch((error: unknown) => `refused: ${(error as Error).message}`);

/** What a certificate call over a new connection ends in: INVALID_ARGUMENT means the agent answered. */
async function callOutcome(address: string, tls: TlsMaterial, pki: AgentPki): Promise<number> {
  const client = freshClient(address, tls);
  try {
    await applyCertificate(client, {
      name: 'probe',
      version: 'v1',
      certificateChainPem: pki.worker.certPem,
      privateKeyPem: pki.agent.keyPem,
      dnsNames: [],
      notAfterUnix: 0,
      temporary: false,
    });
    return status.OK;
  } catch (error) {
    return (error as ServiceError).code;
  } finally {
    client.close();
  }
}

function leaf(ca: KeyAndCert, usage: 'both' | 'client'): Promise<KeyAndCert> {
  return issueCertificate(ca, {
    commonName: usage === 'both' ? 'gateway-agent' : 'gateway-worker',
    ...(usage === 'both' ? { dnsNames: [GATEWAY_SERVER_NAME] } : {}),
    usage,
    notBefore: new Date(Date.now() - HOUR_MS),
    notAfter: new Date(Date.now() + HOUR_MS),
  });
}

const serialOf = (pem: string): string => normalizeSerial(new X509Certificate(pem).serialNumber);

const material = (ca: KeyAndCert, cert: KeyAndCert): TlsMaterial => ({
  caPem: ca.certPem,
  certPem: cert.certPem,
  keyPem: cert.keyPem,
});

describe('agent TLS files rotation (Kubernetes Secret volume)', () => {
  let pki: AgentPki;
  let root: string;
  let volume: SecretVolume;
  let agent: TestAgent;
  let worker: GatewayAgentClient;
  let stream: SyncSession;

  beforeEach(async () => {
    pki = await agentPki();
    root = await mkdtemp(join(tmpdir(), 'agent-tls-'));
    volume = await SecretVolume.create(join(root, 'tls'), tlsSecretFiles(pki.agent));
    agent = await startTestAgent({
      dir: join(root, 'gateway'),
      tls: pki.agent,
      // An hour: only the folder watch can notice a change within these tests.
      tlsFiles: {
        paths: { ca: volume.path('ca.crt'), cert: volume.path('tls.crt'), key: volume.path('tls.key') },
        checkIntervalMs: HOUR_MS,
      },
    });
    worker = freshClient(agent.agent.address, pki.worker);
    stream = new SyncSession(worker);
    const first = wafUpdate();
    expect(await stream.exchange(first)).to.include({ version: first.version, errorMessage: '' });
  });

  afterEach(async () => {
    stream.close();
    worker.close();
    await agent.stop();
    await rm(root, { recursive: true, force: true });
  });

  const warnings = () => agent.logs.filter((line) => line.includes('TLS files not usable'));

  it('serves a renewed certificate from the same CA to new connections while the open stream carries on', async () => {
    expect(await agentSerial(agent.agent.address, pki.worker)).to.equal(serialOf(pki.agent.certPem));
    const renewed = await leaf(pki.ca, 'both');
    await volume.update(tlsSecretFiles(material(pki.ca, renewed)));

    const serial = normalizeSerial(renewed.cert.serialNumber);
    await waitFor('new connections see the renewed certificate', async () => {
      return (await serialOr(agent.agent.address, pki.worker)) === serial;
    });
    // The stream's connection was accepted before the swap; it still answers.
    const next = wafUpdate();
    expect(await stream.exchange(next)).to.include({ version: next.version, errorMessage: '' });
    // And a new gRPC client, on its own connection, is served with the renewed certificate.
    const other = new SyncSession(freshClient(agent.agent.address, pki.worker));
    try {
      const third = wafUpdate();
      expect(await other.exchange(third)).to.include({ version: third.version, errorMessage: '' });
    } finally {
      other.close();
    }
    const reloads = agent.logs
      .map((line) => JSON.parse(line) as { msg: string; serialNumber?: string })
      .filter((entry) => entry.msg.startsWith('TLS files reloaded'));
    expect(reloads.map((entry) => normalizeSerial(entry.serialNumber ?? ''))).to.deep.equal([serial]);
  });

  it('trusts only the new CA for new connections after a CA rotation; the open stream carries on', async () => {
    const now = Date.now();
    const newCa = await createCertificateAuthority(
      'gateway-worker test CA 2',
      new Date(now - HOUR_MS),
      new Date(now + HOUR_MS),
    );
    const [newAgent, newWorker] = await Promise.all([leaf(newCa, 'both'), leaf(newCa, 'client')]);
    await volume.update(tlsSecretFiles(material(newCa, newAgent)));
    const newWorkerTls = material(newCa, newWorker);

    const serial = normalizeSerial(newAgent.cert.serialNumber);
    await waitFor('new connections see the new CA', async () => {
      return (await serialOr(agent.agent.address, newWorkerTls)) === serial;
    });
    // A worker trusting only the old CA can no longer open a connection; one of the new CA can.
    expect(await callOutcome(agent.agent.address, pki.worker, pki)).to.equal(status.UNAVAILABLE);
    expect(await callOutcome(agent.agent.address, newWorkerTls, pki)).to.equal(status.INVALID_ARGUMENT);

    const next = wafUpdate();
    expect(await stream.exchange(next)).to.include({ version: next.version, errorMessage: '' });
  });

  it('ignores a half-written set with a warning, keeps its certificate, and takes the next complete set', async () => {
    const original = await agentSerial(agent.agent.address, pki.worker);
    const renewed = await leaf(pki.ca, 'both');
    // The new certificate with the old key.
    await volume.update({ ...tlsSecretFiles(pki.agent), 'tls.crt': renewed.certPem });
    await waitFor('the mismatched key is reported', () => Promise.resolve(warnings().length === 1));
    expect(warnings()[0]).to.match(/key values mismatch/);
    // A new CA whose certificate has not been written yet.
    const newCa = await createCertificateAuthority(
      'CA 3',
      new Date(Date.now() - HOUR_MS),
      new Date(Date.now() + HOUR_MS),
    );
    await volume.update({ ...tlsSecretFiles(pki.agent), 'ca.crt': newCa.certPem });
    await waitFor('the foreign CA is reported', () => Promise.resolve(warnings().length === 2));
    expect(warnings()[1]).to.include('was not issued by a CA in the CA file');
    // An empty certificate file.
    await volume.update({ ...tlsSecretFiles(pki.agent), 'tls.crt': '' });
    await waitFor('the empty file is reported', () => Promise.resolve(warnings().length === 3));
    expect(warnings()[2]).to.include('holds no PEM certificate');

    expect(await agentSerial(agent.agent.address, pki.worker)).to.equal(original);
    const next = wafUpdate();
    expect(await stream.exchange(next)).to.include({ version: next.version, errorMessage: '' });
    expect(await callOutcome(agent.agent.address, pki.worker, pki)).to.equal(status.INVALID_ARGUMENT);

    await volume.update(tlsSecretFiles(material(pki.ca, renewed)));
    const serial = normalizeSerial(renewed.cert.serialNumber);
    await waitFor('the complete set is served', async () => {
      return (await serialOr(agent.agent.address, pki.worker)) === serial;
    });
  });
});

describe('agent TLS files rotation and status reports', () => {
  it('reports to the worker with the renewed certificate, on a new stream', async () => {
    const pki = await agentPki();
    // A stand-in WorkerService that records the client certificate of each report stream.
    const serials: string[] = [];
    const server = new Server(serverOptions);
    server.addService(WorkerServiceService, {
      reportStatus: (
        call: ServerReadableStream<ReportStatusRequest, ReportStatusResponse>,
        callback: sendUnaryData<ReportStatusResponse>,
      ) => {
        const serial = normalizeSerial(call.getAuthContext().sslPeerCertificate?.serialNumber ?? '');
        call.on('data', () => serials.push(serial));
        call.on('end', () => callback(null, { reportsReceived: 0 }));
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', serverCredentials(pki.workerServer), (error, p) =>
        error ? reject(error) : resolve(p),
      ),
    );
    const root = await mkdtemp(join(tmpdir(), 'agent-tls-'));
    const volume = await SecretVolume.create(join(root, 'tls'), tlsSecretFiles(pki.agent));
    const agent = await startTestAgent({
      dir: join(root, 'gateway'),
      tls: pki.agent,
      tlsFiles: {
        paths: { ca: volume.path('ca.crt'), cert: volume.path('tls.crt'), key: volume.path('tls.key') },
      },
      worker: { address: `127.0.0.1:${port}`, tls: pki.agent, intervalMs: 100 },
    });
    try {
      const original = serialOf(pki.agent.certPem);
      await waitFor('a report with the original certificate', () =>
        Promise.resolve(serials.includes(original)),
      );
      const renewed = await leaf(pki.ca, 'both');
      await volume.update(tlsSecretFiles(material(pki.ca, renewed)));
      const serial = normalizeSerial(renewed.cert.serialNumber);
      await waitFor('a report with the renewed certificate', () => Promise.resolve(serials.includes(serial)));
      // Once replaced, the old stream sends nothing more.
      const from = serials.indexOf(serial);
      await waitFor('two more reports', () => Promise.resolve(serials.length >= from + 3));
      expect(new Set(serials.slice(from))).to.deep.equal(new Set([serial]));
    } finally {
      await agent.stop();
      server.forceShutdown();
      await rm(root, { recursive: true, force: true });
    }
  });
});
