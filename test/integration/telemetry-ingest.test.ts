/**
 * ShipLogs against a real PostgreSQL over real mutual TLS: what is stored and acknowledged,
 * duplicates, and each refusal with the status and message an operator reads.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { expect } from 'chai';
import pg from 'pg';
import {
  LogBatch,
  LogBatchOutcome,
  LogEntry,
  LogType,
} from '../../src/generated/gateway/worker/v1/telemetry.js';
import type { WorkerServiceClient } from '../../src/generated/gateway/worker/v1/worker.js';
import { findAsset } from '../../src/envtest/assets.js';
import { WORKER_SERVER_NAME, type TlsMaterial } from '../../src/grpc/credentials.js';
import { TELEMETRY_NOTIFY_CHANNEL, type StoredBatch } from '../../src/telemetry/ingest/batch-store.js';
import { migratedStore, type TestStore } from '../support/job-fixtures.js';
import { sharedDatabaseUrl } from '../support/shared-postgres.js';
import {
  accessEntry,
  batch,
  createTelemetryPki,
  metricValue,
  ship,
  startIngestServer,
  storedRows,
  workerClient,
  type IngestServer,
  type TelemetryPki,
} from '../support/telemetry-fixtures.js';

describe('telemetry ingest: ShipLogs into PostgreSQL', function () {
  this.timeout(60_000);
  let pki: TelemetryPki;
  let store: TestStore;
  let server: IngestServer;
  const clients: WorkerServiceClient[] = [];
  const client = (tls: TlsMaterial): WorkerServiceClient => {
    const c = workerClient(server.address, tls);
    clients.push(c);
    return c;
  };

  before(async () => {
    pki = await createTelemetryPki();
  });

  beforeEach(async () => {
    store = await migratedStore('ingest');
    server = await startIngestServer(store.db, store.schema, pki.server, { maxBatchBytes: 64 * 1024 });
  });

  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await server.stop();
    await store.db.close();
  });

  it('stores each batch once committed, records byte for byte, filling in the gateway, and ACKs it', async () => {
    const named = accessEntry({ gatewayId: 'gateway-1', message: 'named' });
    const unnamed = accessEntry({ message: 'unnamed' });
    const security = accessEntry({
      logType: LogType.LOG_TYPE_SECURITY,
      requestData: undefined,
      message: 'waf',
    });
    const result = await ship(client(await pki.gateway('gateway-1')), [
      batch({ sequence: 1, entries: [named, unnamed], droppedAccess: 3, malformed: 2 }),
      batch({ sequence: 2, entries: [security], droppedSecurity: 1, gatewayId: 'gateway-1' }),
    ]);
    expect(result.error).to.equal(undefined);
    expect(result.acks.map((a) => [a.sequence, a.outcome, a.entriesStored]).sort()).to.deep.equal([
      [1, LogBatchOutcome.LOG_BATCH_OUTCOME_STORED, 2],
      [2, LogBatchOutcome.LOG_BATCH_OUTCOME_STORED, 1],
    ]);
    const rows = await storedRows(store.db, store.schema);
    expect(
      rows.map((r) => [
        r.gatewayId,
        r.stream,
        r.sequence,
        r.entryCount,
        r.droppedAccess,
        r.droppedSecurity,
        r.malformed,
      ]),
    ).to.deep.equal([
      ['gateway-1', 'stream-a', 1, 2, 3, 0, 2],
      ['gateway-1', 'stream-a', 2, 1, 0, 1, 0],
    ]);
    expect(rows[0]?.entries.map((e) => [e.gatewayId, e.message])).to.deep.equal([
      ['gateway-1', 'named'],
      ['gateway-1', 'unnamed'],
    ]);
    // A record that named its gateway is stored exactly as it was encoded.
    const firstFrame = LogEntry.encode(named).finish();
    expect(Buffer.from(rows[0]?.bytes ?? []).includes(Buffer.from(firstFrame))).to.equal(true);
    expect(
      await metricValue(server.registry, 'gateway_worker_telemetry_records_total', { log_type: 'access' }),
    ).to.equal(2);
    expect(
      await metricValue(server.registry, 'gateway_worker_telemetry_records_total', { log_type: 'security' }),
    ).to.equal(1);
    expect(
      await metricValue(server.registry, 'gateway_worker_telemetry_agent_dropped_records_total', {
        log_type: 'access',
      }),
    ).to.equal(3);
    expect(
      await metricValue(server.registry, 'gateway_worker_telemetry_agent_dropped_records_total', {
        log_type: 'security',
      }),
    ).to.equal(1);
    expect(
      await metricValue(server.registry, 'gateway_worker_telemetry_malformed_total', { source: 'ship_logs' }),
    ).to.equal(2);
  });

  it('ACKs a resent batch as a duplicate without a second row or second counts', async () => {
    const tls = await pki.gateway('gateway-1');
    const batches = [batch({ sequence: 1, droppedAccess: 5 }), batch({ sequence: 2 })];
    await ship(client(tls), batches);
    // A reconnect resends what it holds; the same key in one insert is claimed once, too.
    const again = await ship(client(tls), [
      batches[0]!,
      batches[1]!,
      batch({ sequence: 3 }),
      batch({ sequence: 3 }),
    ]);
    expect(again.error).to.equal(undefined);
    const outcomes = again.acks.map((a) => `${a.sequence}:${LogBatchOutcome[a.outcome]}`).sort();
    expect(outcomes).to.deep.equal([
      '1:LOG_BATCH_OUTCOME_DUPLICATE',
      '2:LOG_BATCH_OUTCOME_DUPLICATE',
      '3:LOG_BATCH_OUTCOME_DUPLICATE',
      '3:LOG_BATCH_OUTCOME_STORED',
    ]);
    expect((await storedRows(store.db, store.schema)).map((r) => r.sequence)).to.deep.equal([1, 2, 3]);
    expect(
      await metricValue(server.registry, 'gateway_worker_telemetry_agent_dropped_records_total', {
        log_type: 'access',
      }),
    ).to.equal(5);
    expect(
      await metricValue(server.registry, 'gateway_worker_telemetry_batches_total', { outcome: 'duplicate' }),
    ).to.equal(3);
  });

  it('tells in-process listeners and LISTENers on PostgreSQL of each stored batch', async () => {
    const heard: StoredBatch[] = [];
    server.ingest.onBatchStored((stored) => heard.push(...stored));
    const listener = new pg.Client({ connectionString: await sharedDatabaseUrl() });
    await listener.connect();
    const payloads: string[] = [];
    listener.on('notification', (n) => payloads.push(n.payload ?? ''));
    await listener.query(`LISTEN ${TELEMETRY_NOTIFY_CHANNEL}`);
    try {
      const security = accessEntry({
        logType: LogType.LOG_TYPE_SECURITY,
        requestData: undefined,
        message: 'x',
      });
      await ship(client(await pki.gateway('gateway-2')), [batch({ entries: [security, accessEntry()] })]);
      expect(heard).to.deep.equal([
        {
          gatewayId: 'gateway-2',
          stream: 'stream-a',
          sequence: 1,
          entryCount: 2,
          securityCount: 1,
          droppedAccess: 0,
          droppedSecurity: 0,
          malformed: 0,
          source: 'ship_logs',
        },
      ]);
      // NOTIFY is sent at COMMIT, before the ACK: a round trip on the listener's own connection
      // is enough for it to have arrived.
      await listener.query('SELECT 1');
      expect(payloads.map((p) => JSON.parse(p) as unknown)).to.deep.equal([
        { schema: store.schema, batches: 1, entries: 2, security: 1 },
      ]);
    } finally {
      await listener.end();
    }
  });

  const refusals: [string, () => Promise<{ tls: TlsMaterial; batches: LogBatch[] }>, status, string][] = [
    [
      'a batch claiming another gateway',
      async () => ({ tls: await pki.gateway('gateway-1'), batches: [batch({ gatewayId: 'gateway-2' })] }),
      status.PERMISSION_DENIED,
      'batch 1 of stream stream-a: this connection\'s certificate names gateway "gateway-1"; records for "gateway-2" are refused',
    ],
    [
      'a record claiming another gateway',
      async () => ({
        tls: await pki.gateway('gateway-1'),
        batches: [batch({ entries: [accessEntry(), accessEntry({ gatewayId: 'gateway-9' })] })],
      }),
      status.PERMISSION_DENIED,
      'batch 1 of stream stream-a: entry 1 names gateway "gateway-9", but the batch is gateway "gateway-1"\'s',
    ],
    [
      "the fleet's shared agent certificate",
      async () => ({ tls: await pki.gateway('gateway-agent'), batches: [batch()] }),
      status.PERMISSION_DENIED,
      'is shared by the whole fleet and names no gateway',
    ],
    [
      'a batch over the size limit',
      async () => ({
        tls: await pki.gateway('gateway-1'),
        batches: [batch({ entries: [accessEntry({ message: 'x'.repeat(70_000) })] })],
      }),
      status.RESOURCE_EXHAUSTED,
      'is over the limit of 65536 bytes (TELEMETRY_MAX_BATCH_BYTES); send smaller batches',
    ],
    [
      'a batch without a stream',
      async () => ({ tls: await pki.gateway('gateway-1'), batches: [batch({ stream: '' })] }),
      status.INVALID_ARGUMENT,
      'stream is required',
    ],
    [
      'a batch numbered 0',
      async () => ({ tls: await pki.gateway('gateway-1'), batches: [batch({ sequence: 0 })] }),
      status.INVALID_ARGUMENT,
      'sequence must be 1 or more',
    ],
  ];
  for (const [what, setup, code, message] of refusals) {
    it(`refuses ${what} with ${status[code]}, storing nothing of it`, async () => {
      const { tls, batches } = await setup();
      const result = await ship(client(tls), batches);
      expect(result.error?.code, result.error?.details).to.equal(code);
      expect(result.error?.details).to.contain(message);
      expect(await storedRows(store.db, store.schema)).to.deep.equal([]);
      expect(
        await metricValue(server.registry, 'gateway_worker_telemetry_batches_total', { outcome: 'refused' }),
      ).to.equal(1);
    });
  }

  it('refuses a record that is not a LogEntry, naming it', async () => {
    // Field 1 of a LogBatch holding bytes that are no LogEntry (a truncated varint).
    const broken = Buffer.concat([
      Buffer.from([0x0a, 0x02, 0x10, 0xff]),
      Buffer.from(LogBatch.encode(batch({ entries: [] })).finish()),
    ]);
    const c = client(await pki.gateway('gateway-1'));
    const error = await new Promise<{ code: number; details: string }>((resolve) => {
      c.makeBidiStreamRequest(
        '/gateway.worker.v1.WorkerService/ShipLogs',
        (b: Buffer) => b,
        (b: Buffer) => b,
      )
        .on('error', (e: { code: number; details: string }) => resolve(e))
        .on('data', () => undefined)
        .write(broken);
    });
    expect(error.code).to.equal(status.INVALID_ARGUMENT);
    expect(error.details).to.contain('entry 0 is not a valid LogEntry');
  });

  it('lets a collector ship for the gateways it names', async () => {
    const result = await ship(client(await pki.collector('node-1')), [
      batch({ gatewayId: 'gateway-5', sequence: 1 }),
      batch({ gatewayId: 'gateway-6', sequence: 1 }),
    ]);
    expect(result.error).to.equal(undefined);
    expect((await storedRows(store.db, store.schema)).map((r) => r.gatewayId)).to.deep.equal([
      'gateway-5',
      'gateway-6',
    ]);
  });

  it('is listed and described by grpcurl through reflection: ShipLogs and OTLP LogsService', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ingest-grpcurl-'));
    try {
      const tls = await pki.gateway('gateway-1');
      await writeFile(join(dir, 'ca.crt'), tls.caPem);
      await writeFile(join(dir, 'tls.crt'), tls.certPem);
      await writeFile(join(dir, 'tls.key'), tls.keyPem);
      const grpcurl = (...args: string[]): Promise<string> =>
        new Promise((resolve, reject) => {
          const files = [
            '-cacert',
            join(dir, 'ca.crt'),
            '-cert',
            join(dir, 'tls.crt'),
            '-key',
            join(dir, 'tls.key'),
          ];
          execFile(
            findAsset('grpcurl'),
            [...files, '-servername', WORKER_SERVER_NAME, ...args],
            (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)),
          );
        });
      expect((await grpcurl(server.address, 'list')).trim().split('\n')).to.include.members([
        'gateway.worker.v1.WorkerService',
        'opentelemetry.proto.collector.logs.v1.LogsService',
      ]);
      expect(await grpcurl(server.address, 'describe', 'gateway.worker.v1.WorkerService')).to.include(
        'rpc ShipLogs ( stream .gateway.worker.v1.LogBatch ) returns ( stream .gateway.worker.v1.LogBatchAck )',
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
