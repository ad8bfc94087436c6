/**
 * The gateway's JSON access-log line (docs/telemetry.md, "Formats"): one flat JSON object per
 * line whose keys are the field names of the gateway's log contract. `log_type` says which of
 * request_data, security_data or performance_data the other keys fill. Unknown keys are ignored,
 * so a gateway may log more than the contract holds; a known key of the wrong type makes the line
 * malformed, with a reason naming the key.
 */
import {
  emptyEntry,
  emptyPerformance,
  emptyRequest,
  emptySecurity,
  levelFromName,
  LOG_LEVEL_NAMES,
  LOG_TYPE_NAMES,
  LogType,
  malformed,
  nanosFromInteger,
  nanosFromRfc3339,
  parsed,
  typeFromName,
  type LogEntry,
  type ParseResult,
} from './log-entry.js';

type Fields = Readonly<Record<string, unknown>>;

class FieldError extends Error {}

function str(fields: Fields, key: string): string {
  const value = fields[key];
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw new FieldError(`${key} must be a string`);
  return value;
}

/** A non-negative integer; JSON numbers only (a quoted number is a producer bug worth seeing). */
function int(fields: Fields, key: string, max = Number.MAX_SAFE_INTEGER): number {
  const value = fields[key];
  if (value === undefined || value === null) return 0;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) {
    throw new FieldError(`${key} must be an integer from 0 to ${max}`);
  }
  return value;
}

/** Durations may be fractional milliseconds (12.5); returns [whole ms, µs]. */
function millis(fields: Fields, key: string): [number, number] {
  const value = fields[key];
  if (value === undefined || value === null) return [0, 0];
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 1e12) {
    throw new FieldError(`${key} must be a non-negative number of milliseconds`);
  }
  return [Math.floor(value), Math.round(value * 1000)];
}

function bool(fields: Fields, key: string): boolean {
  const value = fields[key];
  if (value === undefined || value === null) return false;
  if (typeof value !== 'boolean') throw new FieldError(`${key} must be true or false`);
  return value;
}

function timestamp(fields: Fields): string {
  const value = fields.timestamp;
  if (value === undefined || value === null) throw new FieldError('timestamp is required');
  const ns =
    typeof value === 'string'
      ? (nanosFromRfc3339(value) ?? nanosFromInteger(value))
      : typeof value === 'number'
        ? nanosFromInteger(value)
        : undefined;
  if (ns === undefined) {
    throw new FieldError(
      'timestamp must be an RFC 3339 time (2025-01-02T03:04:05.123Z) or integer nanoseconds since the epoch',
    );
  }
  return ns;
}

function metadata(fields: Fields): Record<string, string> {
  const value = fields.metadata;
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new FieldError('metadata must be an object');
  const out: Record<string, string> = {};
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    if (typeof item !== 'string') throw new FieldError(`metadata.${key} must be a string`);
    out[key] = item;
  }
  return out;
}

/** ASNs are logged as "AS15169", "15169" or 15169. */
function asn(fields: Fields): string {
  const value = fields.asn;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return String(value);
  return str(fields, 'asn');
}

const HTTP_STATUS_MAX = 599;

function required(value: string, key: string, type: string): string {
  if (value === '') throw new FieldError(`${key} is required on ${type} records`);
  return value;
}

function fillRecord(entry: LogEntry, fields: Fields): void {
  switch (entry.logType) {
    case LogType.LOG_TYPE_ACCESS: {
      const [ms, us] = millis(fields, 'response_time_ms');
      const status = int(fields, 'status_code', HTTP_STATUS_MAX);
      if (status < 100) throw new FieldError('status_code is required on access records (100-599)');
      entry.requestData = {
        ...emptyRequest(),
        requestId: str(fields, 'request_id'),
        method: required(str(fields, 'method'), 'method', 'access'),
        uri: required(str(fields, 'uri'), 'uri', 'access'),
        statusCode: status,
        responseTimeMs: ms,
        responseTimeUs: fields.response_time_us === undefined ? us : int(fields, 'response_time_us'),
        clientIp: str(fields, 'client_ip'),
        userAgent: str(fields, 'user_agent'),
        referer: str(fields, 'referer'),
        requestSize: int(fields, 'request_size'),
        responseSize: int(fields, 'response_size'),
        backendAddress: str(fields, 'backend_address'),
        cacheHit: bool(fields, 'cache_hit'),
        host: str(fields, 'host'),
      };
      return;
    }
    case LogType.LOG_TYPE_SECURITY: {
      const security = {
        ...emptySecurity(),
        ruleId: str(fields, 'rule_id'),
        ruleDescription: str(fields, 'rule_description'),
        threatType: str(fields, 'threat_type'),
        severity: str(fields, 'severity'),
        actionTaken: str(fields, 'action_taken'),
        clientIp: str(fields, 'client_ip'),
        payload: str(fields, 'payload'),
        country: str(fields, 'country'),
        asn: asn(fields),
        host: str(fields, 'host'),
        uri: str(fields, 'uri'),
        method: str(fields, 'method'),
        statusCode: int(fields, 'status_code', HTTP_STATUS_MAX),
        requestId: str(fields, 'request_id'),
      };
      if (security.ruleId === '' && security.ruleDescription === '' && entry.message === '') {
        throw new FieldError('security records need rule_id, rule_description or message');
      }
      entry.securityData = security;
      return;
    }
    case LogType.LOG_TYPE_PERFORMANCE: {
      const [ms] = millis(fields, 'execution_time_ms');
      entry.performanceData = {
        ...emptyPerformance(),
        component: required(str(fields, 'component'), 'component', 'performance'),
        executionTimeMs: ms,
        memoryUsageBytes: int(fields, 'memory_usage_bytes'),
        operation: str(fields, 'operation'),
        wasCached: bool(fields, 'was_cached'),
        threadId: int(fields, 'thread_id', 2_147_483_647),
      };
      return;
    }
    default:
      required(entry.message, 'message', LOG_TYPE_NAMES[entry.logType - 1] ?? 'these');
  }
}

/**
 * One decoded JSON object (or an OTLP key-value body) → a record. `log_type` defaults to access
 * and `level` to info.
 */
export function entryFromFields(fields: Fields): ParseResult {
  try {
    const entry = emptyEntry();
    const typeName = str(fields, 'log_type') || 'access';
    const type = typeFromName(typeName);
    if (type === undefined) throw new FieldError(`log_type must be one of ${LOG_TYPE_NAMES.join(', ')}`);
    const levelName = str(fields, 'level') || 'info';
    const level = levelFromName(levelName);
    if (level === undefined) throw new FieldError(`level must be one of ${LOG_LEVEL_NAMES.join(', ')}`);
    entry.logType = type;
    entry.level = level;
    entry.timestamp = timestamp(fields);
    entry.gatewayId = str(fields, 'gateway_id');
    entry.message = str(fields, 'message');
    entry.metadata = metadata(fields);
    fillRecord(entry, fields);
    return parsed(entry);
  } catch (error) {
    if (error instanceof FieldError) return malformed(error.message);
    throw error;
  }
}

/** One line of the JSON access log. */
export function parseAccessLogJson(line: string): ParseResult {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    return malformed(`not JSON: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return malformed('not a JSON object');
  }
  return entryFromFields(value as Fields);
}
