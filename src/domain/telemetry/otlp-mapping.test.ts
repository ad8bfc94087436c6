import { expect } from 'chai';
import type { AnyValue, KeyValue } from '../../generated/opentelemetry/proto/common/v1/common.js';
import type { ExportLogsServiceRequest } from '../../generated/opentelemetry/proto/collector/logs/v1/logs_service.js';
import { SeverityNumber, type LogRecord } from '../../generated/opentelemetry/proto/logs/v1/logs.js';
import type { ShipperIdentity } from './identity.js';
import { LogLevel, LogType } from './log-entry.js';
import { levelOfSeverity, mapOtlpRequest, type OtlpMapping } from './otlp-mapping.js';

const NOW = '1748772100000000000';
const T = '1748772000000000123';

function value(v: string | number | boolean | string[] | Record<string, string | number>): AnyValue {
  if (typeof v === 'string') return { value: { $case: 'stringValue', value: v } };
  if (typeof v === 'boolean') return { value: { $case: 'boolValue', value: v } };
  if (typeof v === 'number') {
    return Number.isInteger(v)
      ? { value: { $case: 'intValue', value: String(v) } }
      : { value: { $case: 'doubleValue', value: v } };
  }
  if (Array.isArray(v)) return { value: { $case: 'arrayValue', value: { values: v.map(value) } } };
  return { value: { $case: 'kvlistValue', value: { values: attrs(v) } } };
}

function attrs(map: Record<string, string | number | boolean | string[]>): KeyValue[] {
  return Object.entries(map).map(([key, v]) => ({ key, value: value(v) }));
}

function record(overrides: Partial<LogRecord> = {}): LogRecord {
  return {
    timeUnixNano: T,
    observedTimeUnixNano: '0',
    severityNumber: SeverityNumber.SEVERITY_NUMBER_UNSPECIFIED,
    severityText: '',
    attributes: [],
    droppedAttributesCount: 0,
    flags: 0,
    traceId: Buffer.alloc(0),
    spanId: Buffer.alloc(0),
    eventName: '',
    ...overrides,
  };
}

function request(resource: Record<string, string>, records: LogRecord[]): ExportLogsServiceRequest {
  return {
    resourceLogs: [
      {
        resource: { attributes: attrs(resource), droppedAttributesCount: 0, entityRefs: [] },
        scopeLogs: [{ logRecords: records, schemaUrl: '' }],
        schemaUrl: '',
      },
    ],
  };
}

const collector: ShipperIdentity = { kind: 'collector', name: 'node-1' };
const gateway1: ShipperIdentity = { kind: 'gateway', gatewayId: 'gateway-1' };

function mapping(req: ExportLogsServiceRequest, identity = collector): OtlpMapping {
  const result = mapOtlpRequest(req, identity, NOW);
  if (!result.ok) throw new Error(result.reason);
  return result.mapping;
}

describe('OTLP log records → the contract', () => {
  it('reads an access record from semantic-convention attributes, the body as its message', () => {
    const { byGateway, rejected } = mapping(
      request({ 'k8s.pod.name': 'gateway-3' }, [
        record({
          severityNumber: SeverityNumber.SEVERITY_NUMBER_WARN,
          body: value('GET /v1/users 503'),
          attributes: attrs({
            'http.request.method': 'GET',
            'url.path': '/v1/users',
            'url.query': 'page=2',
            'http.response.status_code': 503,
            'client.address': '203.0.113.7',
            'user_agent.original': 'curl/8.5.0',
            'server.address': 'api.example.com',
            'http.request.header.referer': ['https://example.com/'],
            'http.request.body.size': 10,
            'http.response.body.size': 2048,
            'gateway.response_time_ms': 7.25,
            'gateway.request_id': 'req-9',
            'gateway.backend_address': '10.0.0.5:8080',
            'gateway.cache_hit': true,
          }),
        }),
      ]),
    );
    expect(rejected).to.equal(0);
    const [entry] = byGateway.get('gateway-3') ?? [];
    expect(entry).to.deep.include({
      gatewayId: 'gateway-3',
      timestamp: T,
      level: LogLevel.LOG_LEVEL_WARN,
      logType: LogType.LOG_TYPE_ACCESS,
      message: 'GET /v1/users 503',
    });
    expect(entry?.requestData).to.deep.equal({
      requestId: 'req-9',
      method: 'GET',
      uri: '/v1/users?page=2',
      statusCode: 503,
      responseTimeMs: 7,
      responseTimeUs: 7250,
      clientIp: '203.0.113.7',
      userAgent: 'curl/8.5.0',
      referer: 'https://example.com/',
      requestSize: 10,
      responseSize: 2048,
      backendAddress: '10.0.0.5:8080',
      cacheHit: true,
      host: 'api.example.com',
    });
  });

  it("parses a string body as a log line: the gateway's tracing WAF events and JSON lines", () => {
    const { byGateway } = mapping(
      request({ 'service.instance.id': 'gateway-4' }, [
        record({ body: value('2025-06-01T10:00:00.5Z  INFO WAF rule sqli-001 triggered: SQL injection') }),
        record({
          body: value('{"timestamp":"2025-06-01T10:00:01Z","method":"GET","uri":"/","status_code":200}'),
        }),
      ]),
    );
    const [waf, json] = byGateway.get('gateway-4') ?? [];
    expect(waf?.logType).to.equal(LogType.LOG_TYPE_SECURITY);
    expect(waf?.timestamp).to.equal('1748772000500000000');
    expect(waf?.securityData?.ruleId).to.equal('sqli-001');
    expect(json?.requestData?.statusCode).to.equal(200);
  });

  it('reads a key-value body with the JSON line fields (Fluent Bit, Vector), timed by the record', () => {
    const { byGateway } = mapping(
      request({ 'host.name': 'gateway-5' }, [
        record({
          body: value({ log_type: 'security', rule_id: 'xss-1', action_taken: 'blocked', status_code: 403 }),
        }),
      ]),
    );
    const [entry] = byGateway.get('gateway-5') ?? [];
    expect(entry?.timestamp).to.equal(T);
    expect(entry?.securityData).to.include({ ruleId: 'xss-1', actionTaken: 'blocked', statusCode: 403 });
  });

  it('uses the observed time, then the time of arrival, when a record has none', () => {
    const { byGateway } = mapping(
      request({ 'k8s.pod.name': 'gateway-1' }, [
        record({
          timeUnixNano: '0',
          observedTimeUnixNano: '1748772000000000999',
          attributes: attrs({
            'http.request.method': 'GET',
            'url.path': '/',
            'http.response.status_code': 200,
          }),
        }),
        record({
          timeUnixNano: '0',
          attributes: attrs({
            'http.request.method': 'GET',
            'url.path': '/',
            'http.response.status_code': 200,
          }),
        }),
      ]),
    );
    expect(byGateway.get('gateway-1')?.map((e) => e.timestamp)).to.deep.equal(['1748772000000000999', NOW]);
  });

  it("counts and skips what it cannot read, keeping the rest (OTLP's partial success)", () => {
    const { byGateway, rejected, firstProblem } = mapping(
      request({ 'k8s.pod.name': 'gateway-1' }, [
        record({ body: value('just some words') }),
        record({}),
        record({ attributes: attrs({ 'http.request.method': 'GET', 'url.path': '/' }) }),
        record({ body: value('2025-06-01T10:00:00Z  INFO fine') }),
      ]),
    );
    expect(rejected).to.equal(3);
    expect(firstProblem).to.contain('not a JSON access-log line, a tracing line or Common');
    expect(byGateway.get('gateway-1')).to.have.length(1);
  });

  it("rejects a collector's records whose resource names no gateway, keeping other resources'", () => {
    const req = request({ 'k8s.namespace.name': 'edge' }, [
      record({ body: value('2025-06-01T10:00:00Z  INFO a') }),
    ]);
    req.resourceLogs.push(
      ...request({ 'k8s.pod.name': 'gateway-2' }, [record({ body: value('2025-06-01T10:00:00Z  INFO b') })])
        .resourceLogs,
    );
    const { byGateway, rejected, firstProblem } = mapping(req);
    expect(rejected).to.equal(1);
    expect(firstProblem).to.contain(
      'a resource must name its gateway (one of k8s.pod.name, service.instance.id, host.name)',
    );
    expect([...byGateway.keys()]).to.deep.equal(['gateway-2']);
  });

  it("gives a gateway's own certificate its records, and refuses the request if a resource names another", () => {
    const own = mapping(request({}, [record({ body: value('2025-06-01T10:00:00Z  INFO a') })]), gateway1);
    expect([...own.byGateway.keys()]).to.deep.equal(['gateway-1']);
    const foreign = mapOtlpRequest(
      request({ 'k8s.pod.name': 'gateway-2' }, [record({ body: value('2025-06-01T10:00:00Z  INFO a') })]),
      gateway1,
      NOW,
    );
    expect(foreign).to.deep.equal({
      ok: false,
      reason: 'this connection\'s certificate names gateway "gateway-1"; records for "gateway-2" are refused',
    });
  });

  it("refuses a record whose own gateway_id is not its resource's", () => {
    const result = mapOtlpRequest(
      request({ 'k8s.pod.name': 'gateway-1' }, [
        record({
          body: value('{"timestamp":1,"gateway_id":"gateway-2","method":"GET","uri":"/","status_code":200}'),
        }),
      ]),
      collector,
      NOW,
    );
    expect(result).to.deep.include({ ok: false });
  });

  it('maps OTLP severity bands to levels', () => {
    expect([0, 1, 4, 5, 9, 13, 17, 21, 24, 25].map(levelOfSeverity)).to.deep.equal([
      undefined,
      LogLevel.LOG_LEVEL_TRACE,
      LogLevel.LOG_LEVEL_TRACE,
      LogLevel.LOG_LEVEL_DEBUG,
      LogLevel.LOG_LEVEL_INFO,
      LogLevel.LOG_LEVEL_WARN,
      LogLevel.LOG_LEVEL_ERROR,
      LogLevel.LOG_LEVEL_FATAL,
      LogLevel.LOG_LEVEL_FATAL,
      undefined,
    ]);
  });
});
