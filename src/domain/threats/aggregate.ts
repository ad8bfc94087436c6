/**
 * Collects the CIDRs of a feed (or of decisions) and aggregates them into a range list: sorted,
 * overlapping and adjacent blocks merged. A million IPv4 entries cost two growing Float64Arrays
 * and two native sorts (ip-ranges.ts, sweepV4), not a million objects.
 */
import type { Cidr } from './cidrs.js';
import { RESERVED_RANGES } from './reserved.js';
import { sweepV4, sweepV6, type RangeSet } from './ip-ranges.js';

/**
 * The broadest block a feed entry may be: a threat feed that lists a /4 of public space is
 * broken or hostile, not a list of attackers (Spamhaus DROP's largest blocks are around /10).
 * A broader block that lies wholly in reserved space is fine — FireHOL level1 lists
 * 224.0.0.0/3 — since it is stripped anyway.
 */
export const MIN_PREFIX = { 4: 8, 6: 12 } as const;

const POW2 = Array.from({ length: 33 }, (_, i) => 2 ** i);

export class CidrCollector {
  private v4Starts = new Float64Array(1024);
  private v4Ends = new Float64Array(1024);
  private v4Count = 0;
  private readonly v6Starts: bigint[] = [];
  private readonly v6Ends: bigint[] = [];
  /** Entries that reach into reserved space (private, loopback, ...), which is stripped. */
  reservedEntries = 0;

  get size(): number {
    return this.v4Count + this.v6Starts.length;
  }

  /** Adds the block, or says why it cannot be taken. */
  add(cidr: Cidr): string | undefined {
    if (cidr.family === 4) {
      const end = cidr.network + (POW2[32 - cidr.prefix] as number);
      if (cidr.prefix < MIN_PREFIX[4] && !insideV4(cidr.network, end - 1)) return tooBroad(cidr);
      if (this.v4Count === this.v4Starts.length) this.grow();
      this.v4Starts[this.v4Count] = cidr.network;
      this.v4Ends[this.v4Count] = end;
      this.v4Count += 1;
      if (touchesV4(cidr.network, end - 1)) this.reservedEntries += 1;
    } else {
      const end = cidr.network + (1n << BigInt(128 - cidr.prefix));
      if (cidr.prefix < MIN_PREFIX[6] && !insideV6(cidr.network, end - 1n)) return tooBroad(cidr);
      this.v6Starts.push(cidr.network);
      this.v6Ends.push(end);
      if (touchesV6(cidr.network, end - 1n)) this.reservedEntries += 1;
    }
    return undefined;
  }

  /** The aggregated list; the collector is spent afterwards (its arrays are sorted in place). */
  ranges(): RangeSet {
    return {
      v4: sweepV4(this.v4Starts.subarray(0, this.v4Count), this.v4Ends.subarray(0, this.v4Count)),
      v6: sweepV6(this.v6Starts, this.v6Ends),
    };
  }

  private grow(): void {
    const starts = new Float64Array(this.v4Starts.length * 2);
    const ends = new Float64Array(this.v4Ends.length * 2);
    starts.set(this.v4Starts);
    ends.set(this.v4Ends);
    this.v4Starts = starts;
    this.v4Ends = ends;
  }
}

function tooBroad(cidr: Cidr): string {
  return `/${cidr.prefix} is broader than the /${MIN_PREFIX[cidr.family]} a feed entry may be`;
}

// A dozen reserved blocks per family: a scan is cheaper than a search.
function touchesV4(start: number, end: number): boolean {
  const r = RESERVED_RANGES.v4;
  for (let i = 0; i < r.length; i += 2)
    if ((r[i] as number) <= end && start <= (r[i + 1] as number)) return true;
  return false;
}

function touchesV6(start: bigint, end: bigint): boolean {
  const r = RESERVED_RANGES.v6;
  for (let i = 0; i < r.length; i += 2)
    if ((r[i] as bigint) <= end && start <= (r[i + 1] as bigint)) return true;
  return false;
}

function insideV4(start: number, end: number): boolean {
  const r = RESERVED_RANGES.v4;
  for (let i = 0; i < r.length; i += 2)
    if ((r[i] as number) <= start && end <= (r[i + 1] as number)) return true;
  return false;
}

function insideV6(start: bigint, end: bigint): boolean {
  const r = RESERVED_RANGES.v6;
  for (let i = 0; i < r.length; i += 2)
    if ((r[i] as bigint) <= start && end <= (r[i + 1] as bigint)) return true;
  return false;
}
