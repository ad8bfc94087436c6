import { expect } from 'chai';
import { LogEntries, LogEntry, LogType } from '../generated/gateway/worker/v1/telemetry.js';
import { decodeLogEntries } from './decode-entries.js';

describe('decodeLogEntries', () => {
  it('keeps nanosecond timestamps above 2^53 exact and converts them to milliseconds', () => {
    const bytes = LogEntries.encode({
      entries: [
        LogEntry.fromPartial({
          gatewayId: 'gw-1',
          timestamp: '1767607200123999999',
          logType: LogType.LOG_TYPE_ACCESS,
          requestData: { method: 'GET', uri: '/a', statusCode: 404 },
        }),
        LogEntry.fromPartial({
          gatewayId: 'gw-1',
          timestamp: '0',
          logType: LogType.LOG_TYPE_SECURITY,
          securityData: { ruleId: '942100' },
        }),
      ],
    }).finish();
    const [access, security] = decodeLogEntries(bytes);
    expect(access?.timeMs).to.equal(1767607200123);
    expect(access?.logType).to.equal(LogType.LOG_TYPE_ACCESS);
    expect(access?.request?.statusCode).to.equal(404);
    expect(access?.security).to.equal(undefined);
    expect(security?.timeMs).to.equal(0);
    expect(security?.security?.ruleId).to.equal('942100');
  });
});
