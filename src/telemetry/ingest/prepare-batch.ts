/**
 * A received LogBatch checked and made ready to store: its header, its gateway against the
 * stream's identity, and every record (decoded once, stored as sent).
 */
import { batchHeaderProblem } from '../../domain/telemetry/batch-rules.js';
import { resolveGateway, type ShipperIdentity } from '../../domain/telemetry/identity.js';
import { typeLabel } from '../../domain/telemetry/log-entry.js';
import { LogType } from '../../generated/gateway/worker/v1/telemetry.js';
import type { BatchToStore } from './batch-store.js';
import {
  encodeLogEntries,
  MalformedBatchError,
  readEntry,
  readLogBatch,
  type ReceivedEntry,
} from './log-batch-wire.js';

/** The batch names a gateway its connection may not ship for. */
export class ForeignGatewayError extends Error {}

export interface PreparedBatch {
  readonly batch: BatchToStore;
  /** Records by log type label, for metrics once stored. */
  readonly types: ReadonlyMap<string, number>;
}

export function prepareShippedBatch(bytes: Uint8Array, identity: ShipperIdentity): PreparedBatch {
  const received = readLogBatch(bytes);
  const header = batchHeaderProblem(received.stream, received.sequence);
  if (header) throw new MalformedBatchError(header);
  const what = `batch ${received.sequence} of stream ${received.stream}`;
  const gateway = resolveGateway(identity, received.gatewayId);
  if (!gateway.ok) throw new ForeignGatewayError(`${what}: ${gateway.reason}`);
  const entries: ReceivedEntry[] = [];
  const types = new Map<string, number>();
  let securityCount = 0;
  received.entries.forEach((bytesOfEntry, index) => {
    const entry = readEntry(bytesOfEntry, index);
    if (entry.gatewayId !== '' && entry.gatewayId !== gateway.gatewayId) {
      throw new ForeignGatewayError(
        `${what}: entry ${index} names gateway "${entry.gatewayId}", but the batch is gateway "${gateway.gatewayId}"'s`,
      );
    }
    if (entry.logType === LogType.LOG_TYPE_SECURITY) securityCount += 1;
    const label = typeLabel(entry.logType);
    types.set(label, (types.get(label) ?? 0) + 1);
    entries.push(entry);
  });
  return {
    batch: {
      gatewayId: gateway.gatewayId,
      stream: received.stream,
      sequence: received.sequence,
      entryCount: entries.length,
      securityCount,
      droppedAccess: received.droppedAccess,
      droppedSecurity: received.droppedSecurity,
      malformed: received.malformed,
      source: 'ship_logs',
      entries: encodeLogEntries(entries, gateway.gatewayId),
    },
    types,
  };
}
