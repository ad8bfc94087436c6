import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { COMBINED_LOG, TRACING_LOG } from '../../../test/fixtures/telemetry/paths.js';
import { parseCommonLogFormat } from './common-log-format.js';
import { LogLevel, LogType, type LogEntry, type ParseResult } from './log-entry.js';
import { parseLogLine } from './log-line.js';
import { parseTracingLine } from './tracing-line.js';

function lines(path: string): string[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line !== '');
}

function ok(result: ParseResult): LogEntry {
  if (!result.ok) throw new Error(`expected a record, got: ${result.reason}`);
  return result.entry;
}

function expectMalformed(result: ParseResult, reason: string): void {
  expect(result.ok).to.equal(false);
  if (!result.ok) expect(result.reason).to.contain(reason);
}

describe('Common and Combined Log Format', () => {
  const [combined, common401, quoted, nginx] = lines(COMBINED_LOG).map((line) =>
    ok(parseCommonLogFormat(line)),
  );

  it('reads a Combined line: address, user, time with its offset, request, status, size, referer, agent', () => {
    expect(combined?.timestamp).to.equal(String(Date.UTC(2000, 9, 10, 20, 55, 36) * 1e6));
    expect(combined?.logType).to.equal(LogType.LOG_TYPE_ACCESS);
    expect(combined?.metadata).to.deep.equal({ remote_user: 'frank' });
    expect(combined?.requestData).to.include({
      clientIp: '203.0.113.7',
      method: 'GET',
      uri: '/apache_pb.gif',
      statusCode: 200,
      responseSize: 2326,
      referer: 'http://www.example.com/start.html',
      userAgent: 'Mozilla/4.08 [en] (Win98; I ;Nav)',
    });
  });

  it('reads "-" as empty and a size of "-" as 0', () => {
    expect(common401?.requestData).to.include({
      statusCode: 401,
      responseSize: 0,
      referer: '',
      userAgent: 'curl/8.5.0',
    });
    expect(common401?.metadata).to.deep.equal({});
  });

  it('reads a Common line (no referer, agent) and unescapes quotes in the request', () => {
    expect(quoted?.timestamp).to.equal(String(Date.UTC(2025, 5, 1, 8, 0, 1) * 1e6));
    expect(quoted?.requestData).to.include({ uri: '/search?q="quoted"', responseSize: 512, userAgent: '' });
  });

  it("ignores fields after Combined's (nginx's forwarded-for)", () => {
    expect(nginx?.requestData).to.include({ method: 'DELETE', statusCode: 204, userAgent: 'nginx-test' });
  });

  const malformedLines: [string, string, string][] = [
    ['an empty line', '', 'not a Common or Combined'],
    ['JSON', '{"method":"GET"}', 'not a Common or Combined'],
    [
      'no brackets round the time',
      '1.2.3.4 - - 10/Oct/2000:13:55:36 -0700 "GET / HTTP/1.0" 200 1',
      'not a Common or Combined',
    ],
    [
      'a month that does not exist',
      '1.2.3.4 - - [10/Foo/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 1',
      'is not dd/Mon/yyyy',
    ],
    [
      'a day that does not exist',
      '1.2.3.4 - - [31/Feb/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 1',
      'is not dd/Mon/yyyy',
    ],
    [
      'binary junk as the request',
      '1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "\\x16\\x03\\x01" 400 0',
      'request line is not',
    ],
    [
      'a status of 999',
      '1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 999 1',
      'is not an HTTP status',
    ],
    [
      'an unterminated quote',
      '1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0 200 1',
      'not a Common or Combined',
    ],
  ];
  for (const [what, line, reason] of malformedLines) {
    it(`counts ${what} as malformed: ${reason}`, () => expectMalformed(parseCommonLogFormat(line), reason));
  }
});

describe("the gateway's tracing lines", () => {
  const entries = lines(TRACING_LOG).map((line) => ok(parseTracingLine(line)));
  const security = (i: number): Record<string, unknown> => ({ ...entries[i]?.securityData });

  it('reads "WAF rule <id> triggered: <message>" (INFO) as a logged security event', () => {
    expect(entries[0]).to.deep.include({
      timestamp: '1748772000123456000',
      level: LogLevel.LOG_LEVEL_INFO,
      logType: LogType.LOG_TYPE_SECURITY,
      message: 'WAF rule sqli-001 triggered: SQL injection attempt detected',
    });
    expect(security(0)).to.include({
      ruleId: 'sqli-001',
      ruleDescription: 'SQL injection attempt detected',
      actionTaken: 'logged',
      threatType: '',
    });
  });

  it('reads "ModSecurity triggered:" with its (Rule ID: n), and the CRS threat type', () => {
    expect(security(1)).to.include({ ruleId: '942100', actionTaken: 'logged', threatType: 'sql_injection' });
    expect(security(1).ruleDescription).to.equal(
      'SQL Injection Attack Detected via libinjection (Rule ID: 942100)',
    );
  });

  it('reads "Request blocked by WAF:" (WARN) as blocked, with or without a rule id', () => {
    expect(entries[2]?.level).to.equal(LogLevel.LOG_LEVEL_WARN);
    expect(security(2)).to.include({ ruleId: '941100', actionTaken: 'blocked', threatType: 'xss' });
    expect(security(3)).to.include({
      ruleId: '',
      actionTaken: 'blocked',
      ruleDescription: 'IP 192.0.2.66 is blocked',
    });
  });

  it('reads "Request rate limited:" as rate_limited', () => {
    expect(security(4)).to.include({ actionTaken: 'rate_limited', ruleDescription: 'Rate limit exceeded' });
  });

  it('looks past entered span names and ANSI colours', () => {
    expect(security(5)).to.include({ ruleId: 'xss-002', ruleDescription: 'script tag in query' });
    expect(entries[6]?.timestamp).to.equal('1748772006000000000');
    expect(security(6)).to.include({ ruleId: 'scanner-1', actionTaken: 'logged' });
  });

  it('keeps other lines as SYSTEM, or ERROR_LOG at ERROR level', () => {
    expect(entries[7]).to.deep.include({
      logType: LogType.LOG_TYPE_SYSTEM,
      message: 'Starting Pingora-based API Gateway v0.1.0',
    });
    expect(entries[7]?.securityData).to.equal(undefined);
    expect(entries[8]).to.deep.include({
      logType: LogType.LOG_TYPE_ERROR_LOG,
      level: LogLevel.LOG_LEVEL_ERROR,
    });
  });

  const malformedLines: [string, string, string][] = [
    ['an empty line', '', 'not a tracing line'],
    ['no level', '2025-06-01T10:00:00Z WAF rule a triggered: b', 'not a tracing line'],
    ['a lowercase level', '2025-06-01T10:00:00Z info WAF rule a triggered: b', 'not a tracing line'],
    ['a time without a zone', '2025-06-01T10:00:00  INFO WAF rule a triggered: b', 'is not RFC 3339'],
    ['a time of day only', '10:00:00.123  INFO WAF rule a triggered: b', 'is not RFC 3339'],
  ];
  for (const [what, line, reason] of malformedLines) {
    it(`counts ${what} as malformed: ${reason}`, () => expectMalformed(parseTracingLine(line), reason));
  }
});

describe('recognising a line (auto)', () => {
  it('picks the parser by the look of the line', () => {
    expect(
      ok(parseLogLine('{"timestamp":1,"method":"GET","uri":"/","status_code":200}', 'auto')).logType,
    ).to.equal(LogType.LOG_TYPE_ACCESS);
    expect(ok(parseLogLine('2025-06-01T10:00:00Z  INFO WAF rule r triggered: m', 'auto')).logType).to.equal(
      LogType.LOG_TYPE_SECURITY,
    );
    expect(
      ok(parseLogLine('1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 1', 'auto')).requestData
        ?.method,
    ).to.equal('GET');
  });

  it('says which formats it tried, and refuses a line over 64 KiB in any format', () => {
    expectMalformed(
      parseLogLine('hello world', 'auto'),
      'not a JSON access-log line, a tracing line or Common',
    );
    expectMalformed(parseLogLine(`{"x":"${'a'.repeat(70_000)}"}`, 'json'), 'line longer than 65536 bytes');
  });
});
