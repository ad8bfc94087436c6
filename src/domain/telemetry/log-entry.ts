/**
 * The shared vocabulary of the log parsers: level and type names as they appear in log lines,
 * nanosecond timestamps (decimal strings: they exceed 2^53), and the empty record each parser
 * fills in. Pure; no I/O.
 */
import {
  LogLevel,
  LogType,
  type LogEntry,
  type PerformanceLogData,
  type RequestLogData,
  type SecurityLogData,
} from '../../generated/gateway/worker/v1/telemetry.js';

export { LogLevel, LogType, type LogEntry };

/** What every parser returns: a record, or why the line is not one (the line is counted and skipped). */
export type ParseResult =
  { readonly ok: true; readonly entry: LogEntry } | { readonly ok: false; readonly reason: string };

export const parsed = (entry: LogEntry): ParseResult => ({ ok: true, entry });
export const malformed = (reason: string): ParseResult => ({ ok: false, reason });

const LEVELS: Readonly<Record<string, LogLevel>> = {
  trace: LogLevel.LOG_LEVEL_TRACE,
  debug: LogLevel.LOG_LEVEL_DEBUG,
  info: LogLevel.LOG_LEVEL_INFO,
  warn: LogLevel.LOG_LEVEL_WARN,
  warning: LogLevel.LOG_LEVEL_WARN,
  error: LogLevel.LOG_LEVEL_ERROR,
  fatal: LogLevel.LOG_LEVEL_FATAL,
};

const TYPES: Readonly<Record<string, LogType>> = {
  access: LogType.LOG_TYPE_ACCESS,
  security: LogType.LOG_TYPE_SECURITY,
  error_log: LogType.LOG_TYPE_ERROR_LOG,
  error: LogType.LOG_TYPE_ERROR_LOG,
  performance: LogType.LOG_TYPE_PERFORMANCE,
  audit: LogType.LOG_TYPE_AUDIT,
  system: LogType.LOG_TYPE_SYSTEM,
};

/** The names accepted for log_type, for error messages and docs. */
export const LOG_TYPE_NAMES = ['access', 'security', 'error_log', 'performance', 'audit', 'system'] as const;
export const LOG_LEVEL_NAMES = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;

/** `info`, `INFO`, `LOG_LEVEL_INFO` → the enum; undefined when unknown. */
export function levelFromName(name: string): LogLevel | undefined {
  const key = name.toLowerCase().replace(/^log_level_/, '');
  return LEVELS[key];
}

/** `access`, `ACCESS`, `LOG_TYPE_ACCESS`, `error` (for error_log) → the enum; undefined when unknown. */
export function typeFromName(name: string): LogType | undefined {
  const key = name.toLowerCase().replace(/^log_type_/, '');
  return TYPES[key];
}

/** The bounded label value of a type, for metrics: access, security, error_log, ... or unspecified. */
export function typeLabel(type: LogType): string {
  switch (type) {
    case LogType.LOG_TYPE_ACCESS:
      return 'access';
    case LogType.LOG_TYPE_SECURITY:
      return 'security';
    case LogType.LOG_TYPE_ERROR_LOG:
      return 'error_log';
    case LogType.LOG_TYPE_PERFORMANCE:
      return 'performance';
    case LogType.LOG_TYPE_AUDIT:
      return 'audit';
    case LogType.LOG_TYPE_SYSTEM:
      return 'system';
    default:
      return 'unspecified';
  }
}

export function emptyEntry(): LogEntry {
  return {
    gatewayId: '',
    timestamp: '0',
    level: LogLevel.LOG_LEVEL_INFO,
    logType: LogType.LOG_TYPE_UNSPECIFIED,
    message: '',
    metadata: {},
  };
}

export function emptyRequest(): RequestLogData {
  return {
    requestId: '',
    method: '',
    uri: '',
    statusCode: 0,
    responseTimeMs: 0,
    clientIp: '',
    userAgent: '',
    referer: '',
    requestSize: 0,
    responseSize: 0,
    backendAddress: '',
    cacheHit: false,
    host: '',
    responseTimeUs: 0,
  };
}

export function emptySecurity(): SecurityLogData {
  return {
    ruleId: '',
    ruleDescription: '',
    threatType: '',
    severity: '',
    actionTaken: '',
    clientIp: '',
    payload: '',
    country: '',
    asn: '',
    host: '',
    uri: '',
    method: '',
    statusCode: 0,
    requestId: '',
  };
}

export function emptyPerformance(): PerformanceLogData {
  return {
    component: '',
    executionTimeMs: 0,
    memoryUsageBytes: 0,
    operation: '',
    wasCached: false,
    threadId: 0,
  };
}

const NS_PER_MS = 1_000_000n;
/** int64 nanoseconds reach year 2262; anything later, or before 1970, is a broken clock. */
const MAX_NS = 9_223_372_036_854_775_807n;

/** Milliseconds since the epoch → nanoseconds as a decimal string. */
export function nanosFromMillis(ms: number): string {
  return (BigInt(Math.trunc(ms)) * NS_PER_MS).toString();
}

/**
 * A decimal string or an integer of nanoseconds since the epoch; undefined when out of range. A
 * JSON number of today's nanoseconds is past 2^53, so it arrives rounded to 256 ns: good enough
 * for a log, and a string keeps every digit.
 */
export function nanosFromInteger(value: string | number): string | undefined {
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0 || value > Number(MAX_NS)) return undefined;
    return BigInt(value).toString();
  }
  if (!/^\d{1,19}$/.test(value)) return undefined;
  const ns = BigInt(value);
  return ns <= MAX_NS ? ns.toString() : undefined;
}

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:?\d{2})$/;

/**
 * RFC 3339 (`2025-01-02T03:04:05.123456789Z`, `+02:00` offsets, up to nanoseconds) → nanoseconds
 * since the epoch as a decimal string; undefined when it is not such a time.
 */
export function nanosFromRfc3339(text: string): string | undefined {
  const match = RFC3339.exec(text);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s, fraction = '', zone = 'Z'] = match;
  const offset =
    zone.toUpperCase() === 'Z' ? 'Z' : zone.length === 5 ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone;
  const ms = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s}${offset}`);
  if (Number.isNaN(ms) || !sameCalendarFields(ms, offset, [y, mo, d, h, mi, s])) return undefined;
  if (ms < 0) return undefined;
  return (BigInt(ms) * NS_PER_MS + BigInt(fraction.padEnd(9, '0'))).toString();
}

/** Date.parse rolls 2025-02-30 over to March; a timestamp with impossible fields is malformed. */
function sameCalendarFields(ms: number, offset: string, fields: readonly (string | undefined)[]): boolean {
  const offsetMinutes =
    offset === 'Z'
      ? 0
      : (offset.startsWith('-') ? -1 : 1) * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(4, 6)));
  const local = new Date(ms + offsetMinutes * 60_000);
  const actual = [
    local.getUTCFullYear(),
    local.getUTCMonth() + 1,
    local.getUTCDate(),
    local.getUTCHours(),
    local.getUTCMinutes(),
    local.getUTCSeconds(),
  ];
  return actual.every((value, i) => value === Number(fields[i]));
}
