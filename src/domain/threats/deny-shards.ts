/**
 * A deny list as `ip-deny` resources: the ranges of one source cut into shards of about a
 * thousand ranges, each a resource the push layer versions and sends on its own. Once a gateway
 * holds a state, the push layer sends only the resources that changed (docs/push.md), so the
 * cuts must not move when the list changes a little: a cut falls before every range whose start
 * hashes to 0 modulo the target size (content-defined chunking, as rsync and restic cut files).
 * Adding or removing one range then changes the one shard it falls in, and a single decision
 * reaches the gateways as one small resource, not the whole list. A shard also ends at the
 * maximum size, so a long run without a natural cut stays bounded.
 *
 * A shard is named `<source>#<family>-<first start in hex>`: `feed:edge/spamhaus-drop#4-010a1000`.
 */
import { encodeV4, encodeV6 } from './range-codec.js';
import type { RangeSet } from './ip-ranges.js';

export const SHARD_TARGET = 1024;
export const SHARD_MAX = 4096;

/** `feed:<namespace>/<name>`, `decisions`, ...: what a deny list came from. */
export const SOURCE_ID =
  /^[a-z][a-z0-9-]*(:[a-z0-9]([-a-z0-9.]*[a-z0-9])?(\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?)?)?$/;

export interface DenyShard {
  readonly name: string;
  readonly payload: Uint8Array;
  /** Ranges in the shard. */
  readonly ranges: number;
}

export interface ShardOptions {
  readonly target?: number;
  readonly max?: number;
}

export function shardRanges(source: string, set: RangeSet, options: ShardOptions = {}): DenyShard[] {
  if (!SOURCE_ID.test(source)) throw new RangeError(`"${source}" is not a deny-list source id`);
  const target = options.target ?? SHARD_TARGET;
  const max = options.max ?? SHARD_MAX;
  const shards: DenyShard[] = [];
  cut(
    set.v4.length / 2,
    target,
    max,
    (i) => hash32(set.v4[i * 2] as number),
    (from, to) => {
      const first = set.v4[from * 2] as number;
      shards.push({
        name: `${source}#4-${first.toString(16).padStart(8, '0')}`,
        payload: encodeV4(set.v4.subarray(from * 2, to * 2)),
        ranges: to - from,
      });
    },
  );
  cut(
    set.v6.length / 2,
    target,
    max,
    (i) => hash128(set.v6[i * 2] as bigint),
    (from, to) => {
      const first = set.v6[from * 2] as bigint;
      shards.push({
        name: `${source}#6-${first.toString(16).padStart(32, '0')}`,
        payload: encodeV6(set.v6.slice(from * 2, to * 2)),
        ranges: to - from,
      });
    },
  );
  return shards;
}

function cut(
  count: number,
  target: number,
  max: number,
  hashAt: (index: number) => number,
  emit: (from: number, to: number) => void,
): void {
  let from = 0;
  for (let i = 1; i < count; i += 1) {
    if (i - from >= max || hashAt(i) % target === 0) {
      emit(from, i);
      from = i;
    }
  }
  if (count > 0) emit(from, count);
}

/** MurmurHash3's 32-bit finaliser: every input bit flips about half the output bits. */
export function hash32(value: number): number {
  let h = value >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function hash128(value: bigint): number {
  let h = 0;
  for (let shift = 0n; shift < 128n; shift += 32n) {
    h = hash32(h ^ Number((value >> shift) & 0xffffffffn));
  }
  return h;
}
