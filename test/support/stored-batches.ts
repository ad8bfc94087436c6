/**
 * Stored telemetry batches for tests, as the ingest side stores them: a LogEntries message,
 * protobuf-encoded, in a telemetry_batches row. Records are built with small defaults.
 */
import {
  LogEntries,
  LogEntry,
  LogType,
  type RequestLogData,
  type SecurityLogData,
} from '../../src/generated/gateway/worker/v1/telemetry.js';
import { identifier, type Queryable } from '../../src/storage/database.js';

export interface AccessInput extends Partial<RequestLogData> {
  readonly timeMs: number;
}

export interface SecurityInput extends Partial<SecurityLogData> {
  readonly timeMs: number;
}

export function accessEntry(gatewayId: string, input: AccessInput): LogEntry {
  const { timeMs, ...request } = input;
  return LogEntry.fromPartial({
    gatewayId,
    timestamp: (BigInt(timeMs) * 1_000_000n).toString(),
    logType: LogType.LOG_TYPE_ACCESS,
    requestData: {
      method: 'GET',
      uri: '/',
      statusCode: 200,
      responseTimeMs: 10,
      clientIp: '192.0.2.1',
      userAgent: 'curl/8',
      host: 'shop.example.com',
      requestSize: 100,
      responseSize: 1000,
      ...request,
    },
  });
}

export function securityEntry(gatewayId: string, input: SecurityInput): LogEntry {
  const { timeMs, ...security } = input;
  return LogEntry.fromPartial({
    gatewayId,
    timestamp: (BigInt(timeMs) * 1_000_000n).toString(),
    logType: LogType.LOG_TYPE_SECURITY,
    securityData: {
      ruleId: 'sqli-1',
      ruleDescription: 'SQL injection',
      threatType: 'sql_injection',
      severity: 'high',
      actionTaken: 'blocked',
      clientIp: '198.51.100.7',
      host: 'shop.example.com',
      uri: '/search?q=1%27%20or%201=1',
      method: 'GET',
      statusCode: 403,
      ...security,
    },
  });
}

export interface BatchInput {
  readonly gatewayId: string;
  readonly stream?: string;
  readonly sequence: number;
  readonly receivedAt: Date;
  readonly entries: readonly LogEntry[];
  readonly droppedAccess?: number;
  readonly droppedSecurity?: number;
}

export async function insertBatch(db: Queryable, schema: string, batch: BatchInput): Promise<void> {
  const bytes = LogEntries.encode({ entries: [...batch.entries] }).finish();
  await db.query(
    `INSERT INTO ${identifier(schema)}.telemetry_batches
       (gateway_id, stream, sequence, received_at, entry_count, dropped_access, dropped_security, entries)
     VALUES ($1, $2, $3, $4, $5, $6, $7, decode($8, 'base64'))`,
    [
      batch.gatewayId,
      batch.stream ?? 's1',
      batch.sequence,
      batch.receivedAt,
      batch.entries.length,
      batch.droppedAccess ?? 0,
      batch.droppedSecurity ?? 0,
      Buffer.from(bytes).toString('base64'),
    ],
  );
}
