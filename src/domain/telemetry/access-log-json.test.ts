import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { ACCESS_LOG_JSONL } from '../../../test/fixtures/telemetry/paths.js';
import { parseAccessLogJson } from './access-log-json.js';
import { LogLevel, LogType, type LogEntry } from './log-entry.js';

function lines(path: string): string[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line !== '');
}

function entry(line: string): LogEntry {
  const result = parseAccessLogJson(line);
  if (!result.ok) throw new Error(`expected a record, got: ${result.reason}`);
  return result.entry;
}

describe('the JSON access-log line', () => {
  const [access, minimal, security, performance, error] = lines(ACCESS_LOG_JSONL).map(entry);

  it('fills request_data from an access line, with nanosecond time and fractional milliseconds', () => {
    expect(access).to.deep.include({
      gatewayId: 'gateway-0',
      timestamp: '1748772000123456789',
      level: LogLevel.LOG_LEVEL_INFO,
      logType: LogType.LOG_TYPE_ACCESS,
    });
    expect(access?.requestData).to.deep.equal({
      requestId: 'req-1',
      method: 'GET',
      uri: '/v1/users?id=7',
      statusCode: 200,
      responseTimeMs: 12,
      responseTimeUs: 12500,
      clientIp: '203.0.113.7',
      userAgent: 'curl/8.5.0',
      referer: 'https://example.com/',
      requestSize: 120,
      responseSize: 5120,
      backendAddress: '10.0.0.5:8080',
      cacheHit: false,
      host: 'api.example.com',
    });
  });

  it('defaults log_type to access and level to info, keeps response_time_us, ignores unknown keys', () => {
    expect(minimal?.logType).to.equal(LogType.LOG_TYPE_ACCESS);
    expect(minimal?.timestamp).to.equal('1748772001000000000');
    expect(minimal?.requestData).to.include({
      method: 'POST',
      statusCode: 401,
      responseTimeUs: 3210,
      cacheHit: true,
    });
  });

  it('fills security_data from a security line, with integer nanoseconds', () => {
    expect(security?.timestamp).to.equal('1748772002000000000');
    expect(security?.level).to.equal(LogLevel.LOG_LEVEL_WARN);
    expect(security?.requestData).to.equal(undefined);
    expect(security?.securityData).to.deep.equal({
      ruleId: 'sqli-001',
      ruleDescription: 'SQL injection attempt',
      threatType: 'sql_injection',
      severity: 'high',
      actionTaken: 'blocked',
      clientIp: '192.0.2.66',
      payload: "id=1' OR '1'='1",
      country: 'BR',
      asn: 'AS28573',
      host: 'api.example.com',
      uri: '/v1/users?id=1%27%20OR',
      method: 'GET',
      statusCode: 403,
      requestId: 'req-3',
    });
  });

  it('fills performance_data, reading a time zone offset', () => {
    expect(performance?.timestamp).to.equal('1748772003500000000');
    expect(performance?.performanceData).to.deep.equal({
      component: 'waf',
      executionTimeMs: 2,
      memoryUsageBytes: 1048576,
      operation: 'evaluate',
      wasCached: false,
      threadId: 4,
    });
  });

  it('keeps the message and metadata of other types', () => {
    expect(error).to.deep.include({
      logType: LogType.LOG_TYPE_ERROR_LOG,
      level: LogLevel.LOG_LEVEL_ERROR,
      message: 'upstream 10.0.0.5:8080 refused the connection',
      metadata: { upstream: '10.0.0.5:8080' },
    });
  });

  const t = '"timestamp":"2025-06-01T10:00:00Z"';
  const malformedLines: [string, string, string][] = [
    ['an empty line', '', 'not JSON'],
    ['text', 'GET /index.html 200', 'not JSON'],
    ['a cut-off line', `{${t},"method":"GET","uri":"/a","status_co`, 'not JSON'],
    ['an array', '[1,2]', 'not a JSON object'],
    ['a string', '"hello"', 'not a JSON object'],
    ['no timestamp', '{"method":"GET","uri":"/","status_code":200}', 'timestamp is required'],
    [
      'a date that does not exist',
      '{"timestamp":"2025-02-30T00:00:00Z","method":"GET","uri":"/","status_code":200}',
      'timestamp must be',
    ],
    [
      'a timestamp in words',
      '{"timestamp":"yesterday","method":"GET","uri":"/","status_code":200}',
      'timestamp must be',
    ],
    [
      'a negative timestamp',
      '{"timestamp":-5,"method":"GET","uri":"/","status_code":200}',
      'timestamp must be',
    ],
    ['an unknown log_type', `{${t},"log_type":"metrics"}`, 'log_type must be one of access, security'],
    [
      'an unknown level',
      `{${t},"level":"loud","method":"GET","uri":"/","status_code":200}`,
      'level must be one of',
    ],
    [
      'a quoted status',
      `{${t},"method":"GET","uri":"/","status_code":"200"}`,
      'status_code must be an integer',
    ],
    [
      'a status out of range',
      `{${t},"method":"GET","uri":"/","status_code":700}`,
      'status_code must be an integer from 0 to 599',
    ],
    [
      'access without a status',
      `{${t},"method":"GET","uri":"/"}`,
      'status_code is required on access records',
    ],
    ['access without a method', `{${t},"uri":"/","status_code":200}`, 'method is required on access records'],
    [
      'a negative size',
      `{${t},"method":"GET","uri":"/","status_code":200,"response_size":-1}`,
      'response_size must be an integer',
    ],
    [
      'a latency in words',
      `{${t},"method":"GET","uri":"/","status_code":200,"response_time_ms":"fast"}`,
      'response_time_ms must be',
    ],
    [
      'cache_hit as a string',
      `{${t},"method":"GET","uri":"/","status_code":200,"cache_hit":"yes"}`,
      'cache_hit must be true or false',
    ],
    ['a numeric method', `{${t},"method":7,"uri":"/","status_code":200}`, 'method must be a string'],
    [
      'security naming nothing',
      `{${t},"log_type":"security","action_taken":"blocked"}`,
      'security records need rule_id',
    ],
    ['performance without component', `{${t},"log_type":"performance"}`, 'component is required'],
    ['system without message', `{${t},"log_type":"system"}`, 'message is required on system records'],
    [
      'metadata of numbers',
      `{${t},"log_type":"system","message":"m","metadata":{"a":1}}`,
      'metadata.a must be a string',
    ],
  ];

  for (const [what, line, reason] of malformedLines) {
    it(`counts ${what} as malformed: ${reason}`, () => {
      const result = parseAccessLogJson(line);
      expect(result.ok).to.equal(false);
      if (!result.ok) expect(result.reason).to.contain(reason);
    });
  }
});
