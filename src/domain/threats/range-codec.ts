/**
 * The binary form of a range list, used where a million ranges travel or rest: the payload of an
 * `ip-deny` resource pushed to the gateways (deny-shards.ts) and a feed's list in storage.
 * Formatting and parsing a million dotted quads costs seconds; this costs milliseconds.
 *
 *   bytes 0-3   "GWDL"
 *   byte  4     format version, 1
 *   byte  5     address family, 4 or 6
 *   bytes 6-7   zero
 *   bytes 8-11  number of ranges, unsigned 32-bit big-endian
 *   then        each range's first and last address, big-endian: 4 + 4 bytes (IPv4) or 16 + 16 (IPv6)
 *
 * Ranges are sorted, disjoint and non-adjacent (ip-ranges.ts); a decoder refuses anything else.
 */
import { fromSortedPairs, v4PairsProblem, v6PairsProblem, type Family, type RangeSet } from './ip-ranges.js';

const MAGIC = [0x47, 0x57, 0x44, 0x4c];
const FORMAT = 1;
const HEADER = 12;

export type DecodedRanges =
  { readonly family: 4; readonly pairs: Uint32Array } | { readonly family: 6; readonly pairs: bigint[] };

export function encodeV4(pairs: ArrayLike<number>): Uint8Array {
  const bytes = new Uint8Array(HEADER + pairs.length * 4);
  const view = header(bytes, 4, pairs.length / 2);
  for (let i = 0; i < pairs.length; i += 1) view.setUint32(HEADER + i * 4, pairs[i] as number);
  return bytes;
}

export function encodeV6(pairs: readonly bigint[]): Uint8Array {
  const bytes = new Uint8Array(HEADER + pairs.length * 16);
  const view = header(bytes, 6, pairs.length / 2);
  pairs.forEach((value, i) => {
    const at = HEADER + i * 16;
    view.setBigUint64(at, value >> 64n);
    view.setBigUint64(at + 8, value & 0xffffffffffffffffn);
  });
  return bytes;
}

function header(bytes: Uint8Array, family: Family, count: number): DataView {
  bytes.set(MAGIC, 0);
  bytes[4] = FORMAT;
  bytes[5] = family;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  view.setUint32(8, count);
  return view;
}

/** The ranges of an encoded list, or why it is not one. */
export function decodeRanges(bytes: Uint8Array): DecodedRanges | string {
  if (bytes.byteLength < HEADER || MAGIC.some((b, i) => bytes[i] !== b)) return 'not an encoded range list';
  if (bytes[4] !== FORMAT) return `range list format ${bytes[4]} is not known (this reader knows ${FORMAT})`;
  const family = bytes[5];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = view.getUint32(8);
  if (family === 4) {
    if (bytes.byteLength !== HEADER + count * 8)
      return `${count} IPv4 ranges need ${HEADER + count * 8} bytes, got ${bytes.byteLength}`;
    const pairs = new Uint32Array(count * 2);
    for (let i = 0; i < pairs.length; i += 1) pairs[i] = view.getUint32(HEADER + i * 4);
    const problem = v4PairsProblem(pairs);
    return problem ?? { family: 4, pairs };
  }
  if (family === 6) {
    if (bytes.byteLength !== HEADER + count * 32)
      return `${count} IPv6 ranges need ${HEADER + count * 32} bytes, got ${bytes.byteLength}`;
    const pairs: bigint[] = [];
    for (let i = 0; i < count * 2; i += 1) {
      const at = HEADER + i * 16;
      pairs.push((view.getBigUint64(at) << 64n) | view.getBigUint64(at + 8));
    }
    const problem = v6PairsProblem(pairs);
    return problem ?? { family: 6, pairs };
  }
  return `address family ${String(family)} is neither 4 nor 6`;
}

export function encodeRangeSet(set: RangeSet): { readonly v4: Uint8Array; readonly v6: Uint8Array } {
  return { v4: encodeV4(set.v4), v6: encodeV6(set.v6) };
}

/** Both families back; throws on anything that is not what encodeRangeSet wrote. */
export function decodeRangeSet(v4: Uint8Array, v6: Uint8Array): RangeSet {
  const four = decodeRanges(v4);
  const six = decodeRanges(v6);
  if (typeof four === 'string' || four.family !== 4)
    throw new RangeError(`IPv4 list: ${typeof four === 'string' ? four : 'not IPv4'}`);
  if (typeof six === 'string' || six.family !== 6)
    throw new RangeError(`IPv6 list: ${typeof six === 'string' ? six : 'not IPv6'}`);
  return fromSortedPairs(four.pairs, six.pairs);
}
