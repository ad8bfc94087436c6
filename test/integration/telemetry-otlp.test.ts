/**
 * OTLP/gRPC LogsService.Export on the worker's port, driven by a real OTLP client: the
 * OpenTelemetry JS SDK's OTLP/gRPC log exporter over mutual TLS, as a node log collector would
 * send, into a real PostgreSQL.
 */
import { credentials, status } from '@grpc/grpc-js';
import { SeverityNumber, type LogRecord as ApiLogRecord } from '@opentelemetry/api-logs';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-grpc';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { expect } from 'chai';
import { LogType } from '../../src/generated/gateway/worker/v1/telemetry.js';
import {
  ExportLogsServiceRequest,
  LogsServiceClient,
  type ExportLogsServiceResponse,
} from '../../src/generated/opentelemetry/proto/collector/logs/v1/logs_service.js';
import {
  channelOptions,
  clientCredentials,
  WORKER_SERVER_NAME,
  type TlsMaterial,
} from '../../src/grpc/credentials.js';
import { migratedStore, type TestStore } from '../support/job-fixtures.js';
import {
  createTelemetryPki,
  metricValue,
  startIngestServer,
  storedRows,
  type IngestServer,
  type TelemetryPki,
} from '../support/telemetry-fixtures.js';

interface Sdk {
  emit(record: ApiLogRecord): void;
  /** Flushes; resolves with the export's error, if any. */
  flush(): Promise<Error | undefined>;
  shutdown(): Promise<void>;
}

/** A LoggerProvider exporting with OTLPLogExporter to the worker, as a collector's OTLP exporter. */
function sdk(port: number, tls: TlsMaterial, resource: Record<string, string>): Sdk {
  const exporter = new OTLPLogExporter({
    // The test server certificate names localhost too, which the exporter checks.
    url: `https://localhost:${port}`,
    credentials: credentials.createSsl(
      Buffer.from(tls.caPem),
      Buffer.from(tls.keyPem),
      Buffer.from(tls.certPem),
    ),
  });
  let lastError: Error | undefined;
  const original = exporter.export.bind(exporter);
  exporter.export = (records, done) =>
    original(records, (result) => {
      lastError = result.error;
      done(result);
    });
  const provider = new LoggerProvider({
    resource: resourceFromAttributes(resource),
    processors: [new BatchLogRecordProcessor({ exporter })],
  });
  const logger = provider.getLogger('gateway-log-collector');
  return {
    emit: (record) => logger.emit(record),
    flush: async () => {
      lastError = undefined;
      await provider.forceFlush();
      return lastError;
    },
    shutdown: () => provider.shutdown(),
  };
}

describe('telemetry ingest: OTLP logs from the OpenTelemetry SDK exporter', function () {
  this.timeout(60_000);
  let pki: TelemetryPki;
  let store: TestStore;
  let server: IngestServer;
  const sdks: Sdk[] = [];

  before(async () => {
    pki = await createTelemetryPki();
  });

  beforeEach(async () => {
    store = await migratedStore('otlp');
    server = await startIngestServer(store.db, store.schema, pki.server);
  });

  afterEach(async () => {
    await Promise.all(sdks.splice(0).map((s) => s.shutdown()));
    await server.stop();
    await store.db.close();
  });

  it("stores a collector's records per gateway, read from attributes and from log lines", async () => {
    const collector = await pki.collector('node-a');
    const gateway7 = sdk(server.port, collector, { 'k8s.pod.name': 'gateway-7', 'service.name': 'gateway' });
    const gateway8 = sdk(server.port, collector, { 'k8s.pod.name': 'gateway-8' });
    sdks.push(gateway7, gateway8);
    gateway7.emit({
      timestamp: [1748772000, 123456789],
      severityNumber: SeverityNumber.INFO,
      body: 'GET /v1/users 200',
      attributes: {
        'http.request.method': 'GET',
        'url.path': '/v1/users',
        'http.response.status_code': 200,
        'client.address': '203.0.113.7',
        'user_agent.original': 'curl/8.5.0',
        'server.address': 'api.example.com',
        'gateway.response_time_ms': 4,
      },
    });
    gateway7.emit({
      body: '2025-06-01T10:00:00.5Z  INFO WAF rule sqli-001 triggered: SQL injection attempt',
    });
    gateway7.emit({ body: 'this is no log line anyone knows' });
    gateway8.emit({
      body: '2025-06-01T10:00:01Z  WARN Request blocked by WAF: XSS Attack (Rule ID: 941100)',
    });
    expect(await gateway7.flush()).to.equal(undefined);
    expect(await gateway8.flush()).to.equal(undefined);

    const rows = await storedRows(store.db, store.schema);
    expect(rows.map((r) => [r.gatewayId, r.entryCount])).to.deep.equal([
      ['gateway-7', 2],
      ['gateway-8', 1],
    ]);
    expect(rows.every((r) => /^otlp\/[0-9a-f]{64}$/.test(r.stream) && r.sequence === 1)).to.equal(true);
    const [access, waf] = rows[0]?.entries ?? [];
    expect(access).to.deep.include({
      gatewayId: 'gateway-7',
      timestamp: '1748772000123456789',
      logType: LogType.LOG_TYPE_ACCESS,
    });
    expect(access?.requestData).to.include({
      method: 'GET',
      uri: '/v1/users',
      statusCode: 200,
      clientIp: '203.0.113.7',
      userAgent: 'curl/8.5.0',
      host: 'api.example.com',
      responseTimeMs: 4,
    });
    expect(waf?.securityData).to.include({ ruleId: 'sqli-001', actionTaken: 'logged' });
    expect(rows[1]?.entries[0]?.securityData).to.include({
      ruleId: '941100',
      actionTaken: 'blocked',
      threatType: 'xss',
    });
    // The line nobody could read was counted and reported back (OTLP partial success), not stored.
    expect(
      await metricValue(server.registry, 'gateway_worker_telemetry_malformed_total', { source: 'otlp' }),
    ).to.equal(1);
    expect(
      await metricValue(server.registry, 'gateway_worker_telemetry_records_total', {
        source: 'otlp',
        log_type: 'security',
      }),
    ).to.equal(2);
  });

  it("refuses a gateway's certificate sending records of another gateway", async () => {
    const own = sdk(server.port, await pki.gateway('gateway-1'), { 'k8s.pod.name': 'gateway-1' });
    const foreign = sdk(server.port, await pki.gateway('gateway-1'), { 'k8s.pod.name': 'gateway-2' });
    sdks.push(own, foreign);
    own.emit({ body: '2025-06-01T10:00:00Z  INFO WAF rule r1 triggered: m' });
    foreign.emit({ body: '2025-06-01T10:00:00Z  INFO WAF rule r1 triggered: m' });
    expect(await own.flush()).to.equal(undefined);
    const error = await foreign.flush();
    expect(error?.message).to.contain('records for "gateway-2" are refused');
    expect((await storedRows(store.db, store.schema)).map((r) => r.gatewayId)).to.deep.equal(['gateway-1']);
    expect(
      await metricValue(server.registry, 'gateway_worker_telemetry_refused_total', {
        source: 'otlp',
        reason: 'identity',
      }),
    ).to.equal(1);
  });

  it('stores a retried Export once, and answers partial success with the count and the first reason', async () => {
    const client = new LogsServiceClient(
      server.address,
      clientCredentials(await pki.collector('node-b')),
      channelOptions(WORKER_SERVER_NAME),
    );
    const request = ExportLogsServiceRequest.fromPartial({
      resourceLogs: [
        {
          resource: {
            attributes: [
              { key: 'k8s.pod.name', value: { value: { $case: 'stringValue', value: 'gateway-3' } } },
            ],
          },
          scopeLogs: [
            {
              logRecords: [
                {
                  body: {
                    value: {
                      $case: 'stringValue',
                      value: '2025-06-01T10:00:00Z  INFO WAF rule r triggered: m',
                    },
                  },
                },
                { body: { value: { $case: 'stringValue', value: 'garbage' } } },
              ],
            },
          ],
        },
      ],
    });
    const exportOnce = (): Promise<ExportLogsServiceResponse> =>
      new Promise((resolve, reject) => client.export(request, (e, r) => (e ? reject(e) : resolve(r))));
    try {
      const first = await exportOnce();
      const second = await exportOnce();
      for (const response of [first, second]) {
        expect(response.partialSuccess?.rejectedLogRecords).to.equal('1');
        expect(response.partialSuccess?.errorMessage).to.contain(
          '1 log record(s) rejected; the first: not a JSON access-log line',
        );
      }
      expect(await storedRows(store.db, store.schema)).to.have.length(1);
      expect(
        await metricValue(server.registry, 'gateway_worker_telemetry_batches_total', {
          source: 'otlp',
          outcome: 'duplicate',
        }),
      ).to.equal(1);
    } finally {
      client.close();
    }
  });

  it('refuses a request over the size limit with RESOURCE_EXHAUSTED naming the limit', async () => {
    await server.stop();
    server = await startIngestServer(store.db, store.schema, pki.server, { maxBatchBytes: 2048 });
    const client = new LogsServiceClient(
      server.address,
      clientCredentials(await pki.collector('node-c')),
      channelOptions(WORKER_SERVER_NAME),
    );
    const request = ExportLogsServiceRequest.fromPartial({
      resourceLogs: [
        {
          scopeLogs: [
            { logRecords: [{ body: { value: { $case: 'stringValue', value: 'x'.repeat(5000) } } }] },
          ],
        },
      ],
    });
    try {
      const error = await new Promise<{ code: number; details: string }>((resolve) =>
        client.export(request, (e) => resolve(e ?? { code: 0, details: '' })),
      );
      expect(error.code).to.equal(status.RESOURCE_EXHAUSTED);
      expect(error.details).to.match(
        /OTLP request of \d+ bytes is over the limit of 2048 bytes \(TELEMETRY_MAX_BATCH_BYTES\)/,
      );
    } finally {
      client.close();
    }
  });
});
