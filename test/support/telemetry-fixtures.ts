/**
 * The telemetry ingest's test setup: a channel PKI whose client certificates name gateways (or a
 * collector, or the fleet's shared certificate), the worker's gRPC server with the ingest on a
 * real database, a ShipLogs client, and the stored rows read back.
 */
import type { PayloadRoute } from '../../src/domain/routes/types.js';
import { Registry } from 'prom-client';
import type { ClientDuplexStream, ServiceError } from '@grpc/grpc-js';
import {
  channelOptions,
  clientCredentials,
  WORKER_SERVER_NAME,
  type TlsMaterial,
} from '../../src/grpc/credentials.js';
import { GatewayReports } from '../../src/grpc/gateway-reports.js';
import { InMemoryJobRegistry } from '../../src/grpc/job-registry.js';
import { WorkerServer } from '../../src/grpc/worker-server.js';
import {
  LogBatch,
  LogEntries,
  LogLevel,
  LogType,
  type LogBatchAck,
  type LogEntry,
} from '../../src/generated/gateway/worker/v1/telemetry.js';
import { WorkerServiceClient } from '../../src/generated/gateway/worker/v1/worker.js';
import { COLLECTOR_URI_PREFIX } from '../../src/domain/telemetry/identity.js';
import { createCertificateAuthority, issueCertificate, type KeyAndCert } from '../../src/pki/x509.js';
import { silentLogger } from '../../src/runtime/logger.js';
import { identifier, type Database } from '../../src/storage/database.js';
import { TelemetryIngest, type TelemetryIngestOptions } from '../../src/telemetry/ingest/telemetry-ingest.js';

const HOUR_MS = 3_600_000;

export interface TelemetryPki {
  readonly ca: KeyAndCert;
  /** The worker's server certificate, valid for WORKER_SERVER_NAME and localhost. */
  readonly server: TlsMaterial;
  /** A client certificate whose CN is the gateway's name. */
  gateway(name: string): Promise<TlsMaterial>;
  /** A node log collector's client certificate (URI urn:gateway-worker:collector:NAME). */
  collector(name: string): Promise<TlsMaterial>;
}

export async function createTelemetryPki(): Promise<TelemetryPki> {
  const now = Date.now();
  const validity = { notBefore: new Date(now - HOUR_MS), notAfter: new Date(now + 24 * HOUR_MS) };
  const ca = await createCertificateAuthority('telemetry test CA', validity.notBefore, validity.notAfter);
  const material = (leaf: KeyAndCert): TlsMaterial => ({
    caPem: ca.certPem,
    certPem: leaf.certPem,
    keyPem: leaf.keyPem,
  });
  const server = await issueCertificate(ca, {
    commonName: WORKER_SERVER_NAME,
    dnsNames: [WORKER_SERVER_NAME, 'localhost'],
    usage: 'server',
    ...validity,
  });
  return {
    ca,
    server: material(server),
    gateway: async (name) =>
      material(await issueCertificate(ca, { commonName: name, usage: 'client', ...validity })),
    collector: async (name) =>
      material(
        await issueCertificate(ca, {
          commonName: name,
          uris: [`${COLLECTOR_URI_PREFIX}${name}`],
          usage: 'client',
          ...validity,
        }),
      ),
  };
}

export interface IngestServer {
  readonly ingest: TelemetryIngest;
  readonly registry: Registry;
  readonly address: string;
  readonly port: number;
  stop(): Promise<void>;
}

export async function startIngestServer(
  db: Database,
  schema: string,
  tls: TlsMaterial,
  options: Partial<TelemetryIngestOptions> = {},
): Promise<IngestServer> {
  const registry = new Registry();
  const ingest = new TelemetryIngest({
    store: { database: db, status: 'ready' },
    schema,
    registry,
    logger: silentLogger,
    ...options,
  });
  const server = new WorkerServer({
    port: 0,
    host: '127.0.0.1',
    tls,
    reports: new GatewayReports(),
    certificates: { list: () => [], get: () => undefined },
    jobs: new InMemoryJobRegistry(),
    registry,
    logger: silentLogger,
    extensions: [ingest],
    shutdownGraceMs: 500,
  });
  await server.start();
  return {
    ingest,
    registry,
    address: `127.0.0.1:${server.port}`,
    port: server.port,
    stop: () => server.stop(),
  };
}

export function workerClient(address: string, tls: TlsMaterial): WorkerServiceClient {
  return new WorkerServiceClient(address, clientCredentials(tls), channelOptions(WORKER_SERVER_NAME));
}

export interface ShipResult {
  readonly acks: LogBatchAck[];
  readonly error: ServiceError | undefined;
}

/** Opens one ShipLogs stream, writes the batches, and waits until every one is answered or the stream fails. */
export function ship(client: WorkerServiceClient, batches: readonly LogBatch[]): Promise<ShipResult> {
  return new Promise((resolve) => {
    const acks: LogBatchAck[] = [];
    const call: ClientDuplexStream<LogBatch, LogBatchAck> = client.shipLogs();
    let settled = false;
    const settle = (error: ServiceError | undefined): void => {
      if (settled) return;
      settled = true;
      call.end();
      resolve({ acks, error });
    };
    call.on('data', (ack: LogBatchAck) => {
      acks.push(ack);
      if (acks.length === batches.length) settle(undefined);
    });
    call.on('error', (error: ServiceError) => settle(error));
    call.on('end', () => settle(undefined));
    for (const batch of batches) call.write(batch);
    if (batches.length === 0) settle(undefined);
  });
}

export function accessEntry(overrides: Partial<LogEntry> = {}): LogEntry {
  return {
    gatewayId: '',
    timestamp: '1748772000000000000',
    level: LogLevel.LOG_LEVEL_INFO,
    logType: LogType.LOG_TYPE_ACCESS,
    message: '',
    metadata: {},
    requestData: {
      requestId: 'r',
      method: 'GET',
      uri: '/',
      statusCode: 200,
      responseTimeMs: 1,
      clientIp: '203.0.113.1',
      userAgent: 'test',
      referer: '',
      requestSize: 0,
      responseSize: 10,
      backendAddress: '',
      cacheHit: false,
      host: 'example.com',
      responseTimeUs: 0,
    },
    ...overrides,
  };
}

export function batch(overrides: Partial<LogBatch> = {}): LogBatch {
  return {
    entries: [accessEntry()],
    gatewayId: '',
    stream: 'stream-a',
    sequence: 1,
    droppedAccess: 0,
    droppedSecurity: 0,
    malformed: 0,
    ...overrides,
  };
}

export interface StoredRow {
  readonly gatewayId: string;
  readonly stream: string;
  readonly sequence: number;
  readonly entryCount: number;
  readonly droppedAccess: number;
  readonly droppedSecurity: number;
  readonly malformed: number;
  readonly entries: LogEntry[];
  readonly bytes: Uint8Array;
}

interface Row {
  gateway_id: string;
  stream: string;
  sequence: string | number;
  entry_count: number;
  dropped_access: string | number;
  dropped_security: string | number;
  malformed: string | number;
  entries: string;
}

/** Every stored batch, oldest sequence first, with its records decoded. */
export async function storedRows(db: Database, schema: string): Promise<StoredRow[]> {
  const { rows } = await db.query<Row>(
    `SELECT gateway_id, stream, sequence, entry_count, dropped_access, dropped_security, malformed,
            encode(entries, 'base64') AS entries
       FROM ${identifier(schema)}.telemetry_batches ORDER BY gateway_id, stream, sequence`,
  );
  return rows.map((row) => {
    const bytes = Buffer.from(row.entries, 'base64');
    return {
      gatewayId: row.gateway_id,
      stream: row.stream,
      sequence: Number(row.sequence),
      entryCount: row.entry_count,
      droppedAccess: Number(row.dropped_access),
      droppedSecurity: Number(row.dropped_security),
      malformed: Number(row.malformed),
      entries: LogEntries.decode(bytes).entries,
      bytes,
    };
  });
}

/** The value of a metric with exactly these labels, or 0. */
export async function metricValue(
  registry: Registry,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  const values = (metric?.values ?? []) as { labels: Record<string, string | number>; value: number }[];
  const match = values.find((v) => Object.entries(labels).every(([k, l]) => String(v.labels[k]) === l));
  return match?.value ?? 0;
}

/** A RouteConfig route by path prefix, as the gateways receive it, for route-matching fixtures. */
export function prefixRoute(name: string, prefix: string): PayloadRoute {
  return {
    name,
    match: { path: { type: 'prefix', value: prefix } },
    backends: [],
    load_balancer: 'round_robin',
    timeout: '30s',
    retries: 0,
  };
}
