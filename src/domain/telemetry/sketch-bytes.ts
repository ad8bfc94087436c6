/**
 * Merges a stored latency sketch (DDSketch's protobuf encoding) into an open sketch straight from
 * its bytes. `DDSketch.fromProto` builds a whole sketch per row — a mapping (through a `require`
 * per call), and a store that grows and re-centres bin by bin, zero bins included — which made
 * decoding the largest cost of a report; here only the non-zero bins are added to the target's
 * stores. A sketch with another mapping falls back to decoding it, so nothing is merged wrongly.
 */
import { decodeSketch, mergeSketch, type LatencySketch } from './latency-sketch.js';

/** IndexMapping.Interpolation.NONE: the logarithmic mapping `newSketch` uses. */
const INTERPOLATION_NONE = 0;

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_BYTES = 2;
const WIRE_FIXED32 = 5;

class Reader {
  pos: number;
  private readonly view: DataView;

  constructor(
    private readonly bytes: Uint8Array,
    start = 0,
    readonly end = bytes.length,
  ) {
    this.pos = start;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  varint(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (this.pos >= this.end) throw new Error('truncated sketch');
      const byte = this.bytes[this.pos++] as number;
      // Past 2^53 a varint is not a length, key or enum this message can hold.
      if (shift > 49) throw new Error('varint too long in sketch');
      result += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return result;
      shift += 7;
    }
  }

  /** Any varint, up to uint64, without its value. */
  skipVarint(): void {
    while (this.pos < this.end && (this.bytes[this.pos++] as number) >= 0x80);
  }

  /** A zigzag-encoded sint32. */
  sint32(): number {
    const n = this.varint();
    return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
  }

  double(): number {
    if (this.pos + 8 > this.end) throw new Error('truncated sketch');
    const value = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return value;
  }

  /** The end of a length-delimited field that starts here. */
  delimited(): number {
    const length = this.varint();
    const end = this.pos + length;
    if (end > this.end) throw new Error('truncated sketch');
    return end;
  }

  skip(wire: number): void {
    if (wire === WIRE_VARINT) this.skipVarint();
    else if (wire === WIRE_FIXED64) this.pos += 8;
    else if (wire === WIRE_BYTES) this.pos = this.delimited();
    else if (wire === WIRE_FIXED32) this.pos += 4;
    else throw new Error(`unsupported wire type ${wire} in sketch`);
  }
}

interface Mapping {
  gamma: number;
  indexOffset: number;
  interpolation: number;
}

function readMapping(r: Reader, end: number): Mapping {
  const mapping: Mapping = { gamma: 0, indexOffset: 0, interpolation: INTERPOLATION_NONE };
  while (r.pos < end) {
    const tag = r.varint();
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    if (field === 1 && wire === WIRE_FIXED64) mapping.gamma = r.double();
    else if (field === 2 && wire === WIRE_FIXED64) mapping.indexOffset = r.double();
    else if (field === 3 && wire === WIRE_VARINT) mapping.interpolation = r.varint();
    else r.skip(wire);
  }
  return mapping;
}

/**
 * Adds a store's non-zero bins to `store` and returns their total count. Read twice, since its
 * contiguous bins' offset may follow them: collecting the bins first instead cost more in
 * garbage collection than the merge itself.
 */
function addStore(r: Reader, end: number, store: LatencySketch['store']): number {
  const start = r.pos;
  let offset = 0;
  while (r.pos < end) {
    const tag = r.varint();
    if (tag === 24) offset = r.sint32();
    else r.skip(tag & 7);
  }
  r.pos = start;
  let added = 0;
  let index = offset;
  while (r.pos < end) {
    const tag = r.varint();
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    if (field === 1 && wire === WIRE_BYTES) {
      // map<sint32, double> binCounts: one entry per message.
      const entryEnd = r.delimited();
      let key = 0;
      let count = 0;
      while (r.pos < entryEnd) {
        const entryTag = r.varint();
        if (entryTag === 8) key = r.sint32();
        else if (entryTag === 17) count = r.double();
        else r.skip(entryTag & 7);
      }
      if (count !== 0) store.add(key, count);
      added += count;
    } else if (field === 2 && wire === WIRE_BYTES) {
      const packedEnd = r.delimited();
      for (; r.pos < packedEnd; index++) {
        const count = r.double();
        if (count !== 0) store.add(index, count);
        added += count;
      }
    } else if (field === 2 && wire === WIRE_FIXED64) {
      const count = r.double();
      if (count !== 0) store.add(index, count);
      added += count;
      index++;
    } else {
      r.skip(wire);
    }
  }
  return added;
}

/**
 * Merges the encoded sketch `bytes` into `into` and returns `into`: the same bins and counts as
 * `mergeSketch(into, decodeSketch(bytes))`.
 */
export function mergeEncodedSketch(into: LatencySketch, bytes: Uint8Array): LatencySketch {
  const r = new Reader(bytes);
  // First the mapping, wherever it is: bins of another mapping must not be added.
  let mapping: Mapping | undefined;
  let zeroCount = 0;
  while (r.pos < r.end) {
    const tag = r.varint();
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    if (field === 1 && wire === WIRE_BYTES) mapping = readMapping(r, r.delimited());
    else if (field === 4 && wire === WIRE_FIXED64) zeroCount = r.double();
    else r.skip(wire);
  }
  if (
    mapping === undefined ||
    mapping.gamma !== into.mapping.gamma ||
    mapping.indexOffset !== 0 ||
    mapping.interpolation !== INTERPOLATION_NONE
  ) {
    return mergeSketch(into, decodeSketch(bytes));
  }
  r.pos = 0;
  let added = zeroCount;
  while (r.pos < r.end) {
    const tag = r.varint();
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    if (field === 2 && wire === WIRE_BYTES) added += addStore(r, r.delimited(), into.store);
    else if (field === 3 && wire === WIRE_BYTES) added += addStore(r, r.delimited(), into.negativeStore);
    else r.skip(wire);
  }
  into.zeroCount += zeroCount;
  into.count += added;
  return into;
}
