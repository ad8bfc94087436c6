/**
 * OTLP logs (an ExportLogsServiceRequest) → the contract's records, per gateway.
 *
 * A record is read from its attributes when they describe an HTTP request in OpenTelemetry's
 * semantic conventions (`http.request.method`, `url.path`, `http.response.status_code`, ...) or
 * name a type (`gateway.log_type`); otherwise its body is a log line, parsed like the agent
 * parses files (JSON access line, tracing line, Common/Combined Log Format), or a key-value body
 * holding the JSON access line's fields. A record none of that fits is rejected and counted
 * (OTLP's partial success); the rest are kept. See docs/telemetry.md, "OpenTelemetry".
 *
 * The gateway of a record: a gateway's own certificate names it; a collector's records name it
 * in the resource (`k8s.pod.name`, else `service.instance.id`, else `host.name`).
 */
import type { AnyValue, KeyValue } from '../../generated/opentelemetry/proto/common/v1/common.js';
import type { ExportLogsServiceRequest } from '../../generated/opentelemetry/proto/collector/logs/v1/logs_service.js';
import type { LogRecord } from '../../generated/opentelemetry/proto/logs/v1/logs.js';
import { entryFromFields } from './access-log-json.js';
import { describeIdentity, resolveGateway, type ShipperIdentity } from './identity.js';
import { LogLevel, type LogEntry, type ParseResult } from './log-entry.js';
import { parseLogLine } from './log-line.js';

/** OpenTelemetry semantic-convention attribute → the JSON access line's field it fills. */
export const OTLP_ATTRIBUTES: Readonly<Record<string, string>> = {
  'http.request.method': 'method',
  'url.path': 'uri',
  'http.response.status_code': 'status_code',
  'client.address': 'client_ip',
  'user_agent.original': 'user_agent',
  'server.address': 'host',
  'http.request.header.referer': 'referer',
  'http.request.body.size': 'request_size',
  'http.response.body.size': 'response_size',
};

/** Fields without an OpenTelemetry convention travel as `gateway.<field>`. */
export const GATEWAY_ATTRIBUTE_PREFIX = 'gateway.';

const HTTP_ATTRIBUTES = ['http.request.method', 'url.path', 'http.response.status_code'];

/** Resource attributes that name the gateway, in order of preference. */
export const GATEWAY_RESOURCE_ATTRIBUTES = ['k8s.pod.name', 'service.instance.id', 'host.name'] as const;

export interface OtlpMapping {
  /** Records by gateway, each with its gateway_id set. */
  readonly byGateway: ReadonlyMap<string, LogEntry[]>;
  readonly rejected: number;
  /** The first rejection's reason, for the partial-success message. */
  readonly firstProblem: string | undefined;
}

export type OtlpMappingResult =
  | { readonly ok: true; readonly mapping: OtlpMapping }
  /** The request claims a gateway its certificate may not ship for: refuse all of it. */
  | { readonly ok: false; readonly reason: string };

type Plain = string | number | boolean | Plain[] | { [key: string]: Plain } | undefined;

function plain(value: AnyValue | undefined): Plain {
  const v = value?.value;
  switch (v?.$case) {
    case 'stringValue':
    case 'boolValue':
    case 'doubleValue':
      return v.value;
    case 'intValue': {
      const n = Number(v.value);
      return Number.isSafeInteger(n) ? n : v.value;
    }
    case 'arrayValue':
      return v.value.values.map(plain);
    case 'kvlistValue':
      return objectOf(v.value.values);
    default:
      return undefined;
  }
}

function objectOf(values: readonly KeyValue[]): { [key: string]: Plain } {
  const out: { [key: string]: Plain } = {};
  for (const kv of values) out[kv.key] = plain(kv.value);
  return out;
}

const SEVERITY_BANDS: readonly LogLevel[] = [
  LogLevel.LOG_LEVEL_TRACE,
  LogLevel.LOG_LEVEL_DEBUG,
  LogLevel.LOG_LEVEL_INFO,
  LogLevel.LOG_LEVEL_WARN,
  LogLevel.LOG_LEVEL_ERROR,
  LogLevel.LOG_LEVEL_FATAL,
];

/** OTLP severity numbers 1-24 in six bands of four: TRACE, DEBUG, INFO, WARN, ERROR, FATAL. */
export function levelOfSeverity(severityNumber: number): LogLevel | undefined {
  if (severityNumber < 1 || severityNumber > 24) return undefined;
  return SEVERITY_BANDS[Math.floor((severityNumber - 1) / 4)];
}

function recordTime(record: LogRecord, nowNanos: string): string {
  if (record.timeUnixNano !== '0' && record.timeUnixNano !== '') return record.timeUnixNano;
  if (record.observedTimeUnixNano !== '0' && record.observedTimeUnixNano !== '')
    return record.observedTimeUnixNano;
  return nowNanos;
}

/** The contract's flat fields from a record's attributes, and its body as the message. */
function fieldsFromAttributes(
  attributes: Readonly<Record<string, Plain>>,
  record: LogRecord,
  nowNanos: string,
): Record<string, Plain> {
  const fields: Record<string, Plain> = {};
  for (const [key, value] of Object.entries(attributes)) {
    const field =
      OTLP_ATTRIBUTES[key] ??
      (key.startsWith(GATEWAY_ATTRIBUTE_PREFIX) ? key.slice(GATEWAY_ATTRIBUTE_PREFIX.length) : undefined);
    // Header attributes are arrays of values (one per header line): the first is the header.
    if (field !== undefined) fields[field] = Array.isArray(value) ? value[0] : value;
  }
  const query = attributes['url.query'];
  if (typeof fields.uri === 'string' && typeof query === 'string' && query !== '')
    fields.uri = `${fields.uri}?${query}`;
  fields.timestamp = recordTime(record, nowNanos);
  const body = plain(record.body);
  if (typeof body === 'string' && fields.message === undefined) fields.message = body;
  return fields;
}

function recordToEntry(record: LogRecord, nowNanos: string): ParseResult {
  const attributes = objectOf(record.attributes);
  let result: ParseResult;
  if (
    `${GATEWAY_ATTRIBUTE_PREFIX}log_type` in attributes ||
    HTTP_ATTRIBUTES.some((key) => key in attributes)
  ) {
    result = entryFromFields(fieldsFromAttributes(attributes, record, nowNanos));
  } else {
    const body = plain(record.body);
    if (typeof body === 'string') result = parseLogLine(body, 'auto');
    else if (body !== undefined && typeof body === 'object' && !Array.isArray(body)) {
      result = entryFromFields({ timestamp: recordTime(record, nowNanos), ...body });
    } else {
      return { ok: false, reason: 'neither HTTP attributes nor a body (string or key-value list) to read' };
    }
  }
  if (!result.ok) return result;
  const level = levelOfSeverity(record.severityNumber);
  if (level !== undefined) result.entry.level = level;
  return result;
}

function resourceGateway(attributes: KeyValue[] | undefined): string {
  const values = objectOf(attributes ?? []);
  for (const key of GATEWAY_RESOURCE_ATTRIBUTES) {
    const value = values[key];
    if (typeof value === 'string' && value !== '') return value;
  }
  return '';
}

export function mapOtlpRequest(
  request: ExportLogsServiceRequest,
  identity: ShipperIdentity,
  nowNanos: string,
): OtlpMappingResult {
  const byGateway = new Map<string, LogEntry[]>();
  let rejected = 0;
  let firstProblem: string | undefined;
  const reject = (n: number, problem: string): void => {
    rejected += n;
    firstProblem ??= problem;
  };
  for (const resourceLogs of request.resourceLogs) {
    const records = resourceLogs.scopeLogs.flatMap((scope) => scope.logRecords);
    const claimed = resourceGateway(resourceLogs.resource?.attributes);
    // A gateway's own certificate speaks for that gateway: a resource naming another is refused,
    // one naming none is its own. A collector's records must say whose they are.
    const gateway = resolveGateway(identity, claimed);
    if (!gateway.ok) {
      if (identity.kind === 'gateway') return { ok: false, reason: gateway.reason };
      reject(
        records.length,
        `${describeIdentity(identity)}: a resource must name its gateway (one of ${GATEWAY_RESOURCE_ATTRIBUTES.join(', ')}): ${gateway.reason}`,
      );
      continue;
    }
    const entries = byGateway.get(gateway.gatewayId) ?? [];
    for (const record of records) {
      const result = recordToEntry(record, nowNanos);
      if (!result.ok) {
        reject(1, result.reason);
        continue;
      }
      const { entry } = result;
      if (entry.gatewayId !== '' && entry.gatewayId !== gateway.gatewayId) {
        return {
          ok: false,
          reason: `a log record names gateway "${entry.gatewayId}" in a resource of gateway "${gateway.gatewayId}"`,
        };
      }
      entry.gatewayId = gateway.gatewayId;
      entries.push(entry);
    }
    if (entries.length > 0) byGateway.set(gateway.gatewayId, entries);
  }
  return { ok: true, mapping: { byGateway, rejected, firstProblem } };
}
