/**
 * Reads a stored batch (gateway.worker.v1.LogEntries) into the records the aggregation takes.
 * LogEntry.timestamp is declared `[jstype = JS_STRING]`, so the generated decoder keeps the
 * nanoseconds (1.7·10^18, above 2^53) exact as a decimal string; milliseconds fit a number.
 */
import {
  LogEntries,
  LogType,
  type RequestLogData as RequestData,
  type SecurityLogData as SecurityData,
} from '../generated/gateway/worker/v1/telemetry.js';

/** The parts of a LogEntry the processor reads. */
export interface DecodedEntry {
  readonly gatewayId: string;
  /** Milliseconds since the epoch; 0 when the gateway gave none. */
  readonly timeMs: number;
  readonly logType: LogType;
  readonly request: RequestData | undefined;
  readonly security: SecurityData | undefined;
}

export function decodeLogEntries(bytes: Uint8Array): DecodedEntry[] {
  return LogEntries.decode(bytes).entries.map((entry) => ({
    gatewayId: entry.gatewayId,
    timeMs: nanosToMillis(entry.timestamp),
    logType: entry.logType,
    request: entry.requestData,
    security: entry.securityData,
  }));
}

function nanosToMillis(text: string): number {
  const nanos = BigInt(text);
  return nanos <= 0n ? 0 : Number(nanos / 1_000_000n);
}
