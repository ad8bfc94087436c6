/**
 * A LogBatch read at the wire level, so each record is stored exactly as the gateway sent it —
 * fields a newer gateway adds survive the worker — rather than decoded and re-encoded. Every
 * record is still decoded once, to check it and read its gateway and type. LogBatch keeps its
 * records in field 1 like LogEntries, so the stored LogEntries is the records' field-1 frames.
 */
import { BinaryReader, BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { LogEntry, LogType } from '../../generated/gateway/worker/v1/telemetry.js';

export class MalformedBatchError extends Error {}

export interface ReceivedBatch {
  readonly gatewayId: string;
  readonly stream: string;
  readonly sequence: number;
  readonly droppedAccess: number;
  readonly droppedSecurity: number;
  readonly malformed: number;
  /** Each record's encoded bytes, as received. */
  readonly entries: readonly Uint8Array[];
}

/** A record's bytes with what the worker needs to know about it. */
export interface ReceivedEntry {
  readonly bytes: Uint8Array;
  readonly gatewayId: string;
  readonly logType: LogType;
}

function count(value: bigint | string, field: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new MalformedBatchError(`${field} ${String(value)} is out of range`);
  return n;
}

/** Reads a LogBatch's fields; unknown fields are skipped. Throws MalformedBatchError. */
export function readLogBatch(bytes: Uint8Array): ReceivedBatch {
  const reader = new BinaryReader(bytes);
  const entries: Uint8Array[] = [];
  let gatewayId = '';
  let stream = '';
  let sequence = 0;
  let droppedAccess = 0;
  let droppedSecurity = 0;
  let malformed = 0;
  try {
    while (reader.pos < reader.len) {
      const [field, wireType] = reader.tag();
      if (field === 1 && wireType === WireType.LengthDelimited) entries.push(reader.bytes());
      else if (field === 2 && wireType === WireType.LengthDelimited) gatewayId = reader.string();
      else if (field === 3 && wireType === WireType.LengthDelimited) stream = reader.string();
      else if (field === 4 && wireType === WireType.Varint) sequence = count(reader.uint64(), 'sequence');
      else if (field === 5 && wireType === WireType.Varint)
        droppedAccess = count(reader.uint64(), 'dropped_access');
      else if (field === 6 && wireType === WireType.Varint)
        droppedSecurity = count(reader.uint64(), 'dropped_security');
      else if (field === 7 && wireType === WireType.Varint) malformed = count(reader.uint64(), 'malformed');
      else reader.skip(wireType, field);
    }
  } catch (error) {
    if (error instanceof MalformedBatchError) throw error;
    throw new MalformedBatchError(`not a valid LogBatch: ${(error as Error).message}`);
  }
  return { gatewayId, stream, sequence, droppedAccess, droppedSecurity, malformed, entries };
}

/** Decodes one record to check it; throws MalformedBatchError naming its position. */
export function readEntry(bytes: Uint8Array, index: number): ReceivedEntry {
  let entry: LogEntry;
  try {
    entry = LogEntry.decode(bytes);
  } catch (error) {
    throw new MalformedBatchError(`entry ${index} is not a valid LogEntry: ${(error as Error).message}`);
  }
  return { bytes, gatewayId: entry.gatewayId, logType: entry.logType };
}

/**
 * The records as LogEntries, each stored as received; a record without a gateway_id gets
 * `gatewayId` in front (a field may appear anywhere in a message, and an empty string is absent
 * from the wire), so every stored record names its gateway.
 */
export function encodeLogEntries(entries: readonly ReceivedEntry[], gatewayId: string): Uint8Array {
  const writer = new BinaryWriter();
  for (const entry of entries) {
    writer.uint32((1 << 3) | WireType.LengthDelimited);
    if (entry.gatewayId === '') {
      writer.fork();
      writer.uint32((1 << 3) | WireType.LengthDelimited).string(gatewayId);
      writer.raw(entry.bytes);
      writer.join();
    } else {
      writer.bytes(entry.bytes);
    }
  }
  return writer.finish();
}
