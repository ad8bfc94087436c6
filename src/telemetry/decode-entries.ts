/**
 * Reads a stored batch (gateway.worker.v1.LogEntries) into the records the aggregation takes.
 * The generated LogEntry decoder turns int64 fields into JavaScript numbers and throws above
 * 2^53, which every real nanosecond timestamp is (1.7·10^18): so LogEntry's own fields are read
 * here with the wire reader, the timestamp as a 64-bit integer, and the nested messages with
 * their generated decoders (their int64 fields — sizes, milliseconds — stay far below 2^53).
 */
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import {
  LogType,
  logTypeFromJSON,
  RequestLogData,
  SecurityLogData,
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

const WIRE_TYPES = [
  WireType.Varint,
  WireType.Bit64,
  WireType.LengthDelimited,
  WireType.StartGroup,
  WireType.EndGroup,
  WireType.Bit32,
] as const;

function wireOf(tag: number): WireType {
  const wire = WIRE_TYPES[tag & 7];
  if (wire === undefined) throw new Error(`invalid protobuf wire type ${tag & 7}`);
  return wire;
}

export function decodeLogEntries(bytes: Uint8Array): DecodedEntry[] {
  const reader = new BinaryReader(bytes);
  const entries: DecodedEntry[] = [];
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    const wire = wireOf(tag);
    if (tag >>> 3 === 1 && wire === WireType.LengthDelimited) entries.push(decodeEntry(reader.bytes()));
    else reader.skip(wire);
  }
  return entries;
}

function decodeEntry(bytes: Uint8Array): DecodedEntry {
  const reader = new BinaryReader(bytes);
  let gatewayId = '';
  let timeMs = 0;
  let logType: LogType = LogType.LOG_TYPE_UNSPECIFIED;
  let request: RequestData | undefined;
  let security: SecurityData | undefined;
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    const field = tag >>> 3;
    const wire = wireOf(tag);
    if (field === 1 && wire === WireType.LengthDelimited) gatewayId = reader.string();
    else if (field === 2 && wire === WireType.Varint) timeMs = nanosToMillis(reader.int64().toString());
    else if (field === 4 && wire === WireType.Varint) logType = logTypeFromJSON(reader.int32());
    else if (field === 7 && wire === WireType.LengthDelimited)
      request = RequestLogData.decode(reader.bytes());
    else if (field === 8 && wire === WireType.LengthDelimited)
      security = SecurityLogData.decode(reader.bytes());
    else reader.skip(wire);
  }
  return { gatewayId, timeMs, logType, request, security };
}

function nanosToMillis(text: string): number {
  const nanos = BigInt(text);
  return nanos <= 0n ? 0 : Number(nanos / 1_000_000n);
}
