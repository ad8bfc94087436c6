/**
 * Fixtures for the reference agent's tests: a throwaway channel PKI from src/pki/x509.ts, a real
 * grpc-js GatewayAgent client playing the worker, and builders for SyncConfig updates whose
 * version is computed the way the worker computes it.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServiceError } from '@grpc/grpc-js';
import {
  GatewayAgentClient,
  type ApplyCertificateResponse,
  type SyncConfigRequest,
  type SyncConfigResponse,
} from '../../src/generated/gateway/worker/v1/agent.js';
import type { Certificate, Resource, ResourceType } from '../../src/generated/gateway/worker/v1/resources.js';
import { GatewayAgentProcess, type GatewayAgentOptions } from '../../src/agent/agent.js';
import { configVersion, payloadVersion } from '../../src/agent/versioning.js';
import {
  GATEWAY_SERVER_NAME,
  WORKER_SERVER_NAME,
  channelOptions,
  clientCredentials,
  type TlsMaterial,
  type TlsMode,
} from '../../src/grpc/credentials.js';
import { createCertificateAuthority, issueCertificate, type KeyAndCert } from '../../src/pki/x509.js';
import type { LogFields, Logger } from '../../src/runtime/logger.js';

const HOUR_MS = 3_600_000;

export interface AgentPki {
  readonly ca: KeyAndCert;
  /** The agent's certificate: GATEWAY_SERVER_NAME, server and client use (it also reports). */
  readonly agent: TlsMaterial;
  /** The worker's client certificate. */
  readonly worker: TlsMaterial;
  /** A client certificate from another CA that trusts ours, so only the agent can refuse it. */
  readonly stranger: TlsMaterial;
  /** The worker's server certificate (WORKER_SERVER_NAME), for a stand-in WorkerService. */
  readonly workerServer: TlsMaterial;
}

let pki: Promise<AgentPki> | undefined;

/** One PKI per test run: ECDSA keys are cheap, but not free. */
export function agentPki(): Promise<AgentPki> {
  pki ??= (async () => {
    const notBefore = new Date(Date.now() - HOUR_MS);
    const notAfter = new Date(Date.now() + 24 * HOUR_MS);
    const ca = await createCertificateAuthority('gateway-worker test CA', notBefore, notAfter);
    const other = await createCertificateAuthority('some other CA', notBefore, notAfter);
    const agent = await issueCertificate(ca, {
      commonName: 'gateway-agent',
      dnsNames: [GATEWAY_SERVER_NAME],
      usage: 'both',
      notBefore,
      notAfter,
    });
    const worker = await issueCertificate(ca, {
      commonName: 'gateway-worker',
      usage: 'client',
      notBefore,
      notAfter,
    });
    const stranger = await issueCertificate(other, {
      commonName: 'intruder',
      usage: 'client',
      notBefore,
      notAfter,
    });
    const workerServer = await issueCertificate(ca, {
      commonName: WORKER_SERVER_NAME,
      dnsNames: [WORKER_SERVER_NAME],
      usage: 'server',
      notBefore,
      notAfter,
    });
    const material = (leaf: KeyAndCert): TlsMaterial => ({
      caPem: ca.certPem,
      certPem: leaf.certPem,
      keyPem: leaf.keyPem,
    });
    return {
      ca,
      agent: material(agent),
      worker: material(worker),
      stranger: material(stranger),
      workerServer: material(workerServer),
    };
  })();
  return pki;
}

export function agentClient(address: string, tls: TlsMode): GatewayAgentClient {
  return new GatewayAgentClient(address, clientCredentials(tls), {
    ...channelOptions(GATEWAY_SERVER_NAME),
    // Fail fast instead of retrying, so refusal tests see the refusal.
    'grpc.initial_reconnect_backoff_ms': 100,
  });
}

export function applyCertificate(
  client: GatewayAgentClient,
  certificate: Certificate,
): Promise<ApplyCertificateResponse> {
  return new Promise((resolve, reject) => {
    client.applyCertificate({ certificate }, (error: ServiceError | null, response) =>
      error ? reject(error) : resolve(response),
    );
  });
}

/** A SyncConfig stream with answers read one at a time. */
export class SyncSession {
  private readonly stream;
  private readonly answers: SyncConfigResponse[] = [];
  private readonly waiters: ((answer: SyncConfigResponse | Error) => void)[] = [];
  private failure: Error | undefined;

  constructor(client: GatewayAgentClient) {
    this.stream = client.syncConfig();
    this.stream.on('data', (answer: SyncConfigResponse) => {
      const waiter = this.waiters.shift();
      if (waiter) waiter(answer);
      else this.answers.push(answer);
    });
    this.stream.on('error', (error: Error) => {
      this.failure = error;
      for (const waiter of this.waiters.splice(0)) waiter(error);
    });
  }

  send(request: SyncConfigRequest): void {
    this.stream.write(request);
  }

  /** The next answer, or the stream's error. */
  next(timeoutMs = 10_000): Promise<SyncConfigResponse> {
    const ready = this.answers.shift();
    if (ready) return Promise.resolve(ready);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push((answer) => {
        clearTimeout(timer);
        if (answer instanceof Error) reject(answer);
        else resolve(answer);
      });
    });
  }

  /** Sends one update and waits for its answer. */
  async exchange(request: SyncConfigRequest): Promise<SyncConfigResponse> {
    this.send(request);
    return this.next();
  }

  close(): void {
    this.stream.cancel();
  }
}

export function jsonResource(name: string, content: unknown): Resource {
  const payload = Buffer.from(JSON.stringify(content));
  return { name, version: payloadVersion(payload), payload };
}

/** A complete, correctly versioned, unchunked update. */
export function update(
  type: ResourceType,
  resources: Resource[],
  extra: Partial<SyncConfigRequest> = {},
): SyncConfigRequest {
  return {
    type,
    version: configVersion(resources),
    nonce: randomUUID(),
    resources,
    chunkIndex: 0,
    chunkCount: 1,
    baseVersion: '',
    removed: [],
    ...extra,
  };
}

/** A WAF rule in the gateway's model with one condition; override what a test is about. */
export function wafRule(id: string, condition: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    name: `Rule ${id}`,
    description: 'test rule',
    severity: 'high',
    enabled: true,
    conditions: [
      { field: 'uri', operator: 'contains', value: '/admin', case_sensitive: false, ...condition },
    ],
    action: { action_type: 'block', message: 'blocked', score: 10 },
  };
}

export interface TestAgent {
  readonly agent: GatewayAgentProcess;
  readonly dir: string;
  /** Every log entry as a JSON line, to check what reaches the logs. */
  readonly logs: string[];
  stop(): Promise<void>;
}

/** An agent with mutual TLS on 127.0.0.1 and free ports, in a fresh temporary folder. */
export async function startTestAgent(options: Partial<GatewayAgentOptions> = {}): Promise<TestAgent> {
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'gateway-agent-')));
  const logs: string[] = [];
  const agent = new GatewayAgentProcess({
    dir,
    listen: '127.0.0.1:0',
    httpPort: 0,
    tls: (await agentPki()).agent,
    name: 'gateway-test',
    logger: recordingLogger(logs),
    ...options,
  });
  // The caller owns a folder it passed in; only a folder made here is removed on stop.
  const owned = options.dir === undefined;
  await agent.start();
  return {
    agent,
    dir,
    logs,
    stop: async () => {
      await agent.stop();
      if (owned) await rm(dir, { recursive: true, force: true });
    },
  };
}

export function recordingLogger(lines: string[], bound: LogFields = {}): Logger {
  const write =
    (level: string) =>
    (msg: string, fields: LogFields = {}): void => {
      lines.push(JSON.stringify({ level, msg, ...bound, ...fields }));
    };
  return {
    error: write('error'),
    warn: write('warn'),
    info: write('info'),
    debug: write('debug'),
    child: (fields) => recordingLogger(lines, { ...bound, ...fields }),
  };
}
