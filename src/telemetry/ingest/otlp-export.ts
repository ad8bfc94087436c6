/**
 * OTLP/gRPC `LogsService.Export` on the worker's port: the request is checked like a batch (size,
 * identity), mapped to records per gateway (domain/telemetry/otlp-mapping.ts) and stored as one
 * row per gateway. OTLP has no sequence numbers, so a row's stream is `otlp/` + the SHA-256 of
 * the gateway and the request's bytes: an exporter's retry of a request already stored is a
 * duplicate, not a second copy. Records that cannot be mapped are counted and reported in OTLP's
 * partial success; the answer comes once the rows are committed.
 */
import { createHash } from 'node:crypto';
import { status, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import { describeIdentity } from '../../domain/telemetry/identity.js';
import { nanosFromMillis, typeLabel } from '../../domain/telemetry/log-entry.js';
import { mapOtlpRequest } from '../../domain/telemetry/otlp-mapping.js';
import { LogEntries, LogType, type LogEntry } from '../../generated/gateway/worker/v1/telemetry.js';
import {
  ExportLogsServiceRequest,
  type ExportLogsServiceResponse,
} from '../../generated/opentelemetry/proto/collector/logs/v1/logs_service.js';
import type { Clock } from '../../runtime/clock.js';
import { StorageUnavailableError, type BatchToStore } from './batch-store.js';
import { notReady, Refusal, tooLarge, type IngestContext } from './ingest-context.js';
import { callIdentity } from './peer-identity.js';

export type ExportCall = ServerUnaryCall<Buffer, ExportLogsServiceResponse>;

/** The stream id of an OTLP row: `otlp/` and 64 hex digits, within the 128 a stream may have. */
export function otlpStream(gatewayId: string, request: Uint8Array): string {
  return `otlp/${createHash('sha256').update(gatewayId).update('\u0000').update(request).digest('hex')}`;
}

function batchOf(gatewayId: string, entries: LogEntry[], request: Uint8Array): BatchToStore {
  return {
    gatewayId,
    stream: otlpStream(gatewayId, request),
    sequence: 1,
    entryCount: entries.length,
    securityCount: entries.filter((e) => e.logType === LogType.LOG_TYPE_SECURITY).length,
    droppedAccess: 0,
    droppedSecurity: 0,
    malformed: 0,
    source: 'otlp',
    entries: LogEntries.encode({ entries }).finish(),
  };
}

async function exportLogs(
  context: IngestContext,
  clock: Clock,
  call: ExportCall,
): Promise<ExportLogsServiceResponse> {
  const { metrics } = context;
  const bytes = call.request;
  metrics.bytes.inc({ source: 'otlp' }, bytes.length);
  const identity = callIdentity(call, context.acceptUnauthenticated);
  if (!identity.ok) throw new Refusal(status.PERMISSION_DENIED, 'identity', identity.reason);
  const ready = context.ready();
  if (ready !== true) throw notReady(ready);
  if (bytes.length > context.maxBatchBytes)
    throw tooLarge(bytes.length, context.maxBatchBytes, 'OTLP request');
  let request: ExportLogsServiceRequest;
  try {
    request = ExportLogsServiceRequest.decode(bytes);
  } catch (error) {
    throw new Refusal(
      status.INVALID_ARGUMENT,
      'malformed',
      `not a valid ExportLogsServiceRequest: ${(error as Error).message}`,
    );
  }
  const mapped = mapOtlpRequest(request, identity.identity, nanosFromMillis(clock.now()));
  if (!mapped.ok) {
    throw new Refusal(
      status.PERMISSION_DENIED,
      'identity',
      `${describeIdentity(identity.identity)}: ${mapped.reason}`,
    );
  }
  const { byGateway, rejected, firstProblem } = mapped.mapping;
  const batches = [...byGateway].map(([gatewayId, entries]) => batchOf(gatewayId, entries, bytes));
  const outcomes = await Promise.all(batches.map((batch) => context.store.submit(batch)));
  batches.forEach((batch, i) => {
    const outcome = outcomes[i] ?? 'stored';
    metrics.batches.inc({ source: 'otlp', outcome });
    if (outcome !== 'stored') return;
    for (const entry of byGateway.get(batch.gatewayId) ?? []) {
      metrics.records.inc({ source: 'otlp', log_type: typeLabel(entry.logType) });
    }
  });
  if (rejected === 0) return {};
  metrics.malformed.inc({ source: 'otlp' }, rejected);
  return {
    partialSuccess: {
      rejectedLogRecords: String(rejected),
      errorMessage: `${rejected} log record(s) rejected; the first: ${firstProblem ?? 'unknown'} (docs/telemetry.md, "OpenTelemetry")`,
    },
  };
}

export function handleExport(
  context: IngestContext,
  clock: Clock,
): (call: ExportCall, callback: sendUnaryData<ExportLogsServiceResponse>) => void {
  return (call, callback) => {
    exportLogs(context, clock, call).then(
      (response) => callback(null, response),
      (error: unknown) => {
        const refusal =
          error instanceof Refusal
            ? error
            : error instanceof StorageUnavailableError
              ? new Refusal(status.UNAVAILABLE, 'unavailable', `${error.message}; retry`)
              : undefined;
        if (!refusal) {
          context.logger.error('OTLP export failed', { error: (error as Error).message });
          callback({ code: status.INTERNAL, details: `export failed: ${(error as Error).message}` });
          return;
        }
        context.metrics.refused.inc({ source: 'otlp', reason: refusal.reason });
        context.metrics.batches.inc({ source: 'otlp', outcome: 'refused' });
        context.logger.warn('OTLP export refused', { code: status[refusal.code], reason: refusal.message });
        callback({ code: refusal.code, details: refusal.message });
      },
    );
  };
}
