/**
 * IP deny lists as sorted, disjoint ranges — the representation that scales to a million entries
 * and that every deny source (feeds, decisions) shares. A list holds each family apart: IPv4 as a
 * Uint32Array of start/end pairs (plain numbers, no BigInt on the hot path), IPv6 as bigint pairs.
 * Ranges are inclusive, sorted by start, and neither overlap nor touch: adjacent ranges are merged,
 * so equal sets of addresses have exactly one representation and compare (and hash) equal.
 */

export type Family = 4 | 6;

export interface RangeSet {
  /** [start0, end0, start1, end1, ...], inclusive, sorted, disjoint and non-adjacent. */
  readonly v4: Uint32Array;
  /** The same, for IPv6. */
  readonly v6: readonly bigint[];
}

export const EMPTY_RANGES: RangeSet = { v4: new Uint32Array(0), v6: [] };

export const MAX_V4 = 0xffffffff;
export const MAX_V6 = (1n << 128n) - 1n;

/** Ranges in the set, both families. */
export function rangeCount(set: RangeSet): number {
  return (set.v4.length + set.v6.length) / 2;
}

export function isEmpty(set: RangeSet): boolean {
  return set.v4.length === 0 && set.v6.length === 0;
}

export function sameRanges(a: RangeSet, b: RangeSet): boolean {
  if (a.v4.length !== b.v4.length || a.v6.length !== b.v6.length) return false;
  for (let i = 0; i < a.v4.length; i += 1) if (a.v4[i] !== b.v4[i]) return false;
  for (let i = 0; i < a.v6.length; i += 1) if (a.v6[i] !== b.v6[i]) return false;
  return true;
}

/**
 * The arithmetic the generic algorithms need, per family: numbers for IPv4 (2^32 still fits a
 * double exactly, so `end + 1` never overflows), bigints for IPv6.
 */
interface Arith<T extends number | bigint> {
  readonly one: T;
  add(a: T, b: T): T;
  sub(a: T, b: T): T;
}

const V4: Arith<number> = { one: 1, add: (a, b) => a + b, sub: (a, b) => a - b };
const V6: Arith<bigint> = { one: 1n, add: (a, b) => a + b, sub: (a, b) => a - b };

/** Pairs of one family as the generic algorithms read and write them. */
type Pairs<T> = ArrayLike<T>;

/**
 * Both lists united. Linear: each list is already sorted, so this is a merge followed by a
 * sweep that joins overlapping and adjacent ranges.
 */
export function union(a: RangeSet, b: RangeSet): RangeSet {
  if (isEmpty(b)) return a;
  if (isEmpty(a)) return b;
  return {
    v4: Uint32Array.from(unionPairs(a.v4, b.v4, V4)),
    v6: unionPairs(a.v6, b.v6, V6),
  };
}

function unionPairs<T extends number | bigint>(a: Pairs<T>, b: Pairs<T>, op: Arith<T>): T[] {
  const out: T[] = [];
  let i = 0;
  let j = 0;
  const push = (start: T, end: T): void => {
    const last = out.length - 1;
    if (last > 0 && start <= op.add(out[last] as T, op.one)) {
      if (end > (out[last] as T)) out[last] = end;
    } else {
      out.push(start, end);
    }
  };
  while (i < a.length || j < b.length) {
    const takeA = j >= b.length || (i < a.length && (a[i] as T) <= (b[j] as T));
    if (takeA) {
      push(a[i] as T, a[i + 1] as T);
      i += 2;
    } else {
      push(b[j] as T, b[j + 1] as T);
      j += 2;
    }
  }
  return out;
}

/** `a` without the addresses of `b`: a range of `a` that `b` cuts through is split in two. */
export function subtract(a: RangeSet, b: RangeSet): RangeSet {
  if (isEmpty(a) || isEmpty(b)) return a;
  return {
    v4: Uint32Array.from(subtractPairs(a.v4, b.v4, V4)),
    v6: subtractPairs(a.v6, b.v6, V6),
  };
}

function subtractPairs<T extends number | bigint>(a: Pairs<T>, b: Pairs<T>, op: Arith<T>): T[] {
  const out: T[] = [];
  let j = 0;
  for (let i = 0; i < a.length; i += 2) {
    const start = a[i] as T;
    const end = a[i + 1] as T;
    while (j < b.length && (b[j + 1] as T) < start) j += 2;
    let cursor = start;
    let k = j;
    let covered = false;
    while (k < b.length && (b[k] as T) <= end) {
      const cutStart = b[k] as T;
      const cutEnd = b[k + 1] as T;
      if (cutStart > cursor) out.push(cursor, op.sub(cutStart, op.one));
      if (cutEnd >= end) {
        // This cut may reach into the next range of `a` too: keep it (k, not k + 2) for then.
        covered = true;
        break;
      }
      cursor = op.add(cutEnd, op.one);
      k += 2;
    }
    if (!covered) out.push(cursor, end);
    j = k;
  }
  return out;
}

/** How many ranges of `a` share at least one address with `b`. */
export function countTouched(a: RangeSet, b: RangeSet): number {
  return touchedPairs(a.v4, b.v4) + touchedPairs(a.v6, b.v6);
}

function touchedPairs<T extends number | bigint>(a: Pairs<T>, b: Pairs<T>): number {
  let count = 0;
  let j = 0;
  for (let i = 0; i < a.length; i += 2) {
    const start = a[i] as T;
    const end = a[i + 1] as T;
    while (j < b.length && (b[j + 1] as T) < start) j += 2;
    if (j < b.length && (b[j] as T) <= end) count += 1;
  }
  return count;
}

/** Whether the address is in the set (binary search over the starts). */
export function containsV4(set: RangeSet, address: number): boolean {
  return containsPairs(set.v4, address);
}

export function containsV6(set: RangeSet, address: bigint): boolean {
  return containsPairs(set.v6, address);
}

function containsPairs<T extends number | bigint>(pairs: Pairs<T>, address: T): boolean {
  let low = 0;
  let high = pairs.length / 2 - 1;
  while (low <= high) {
    const mid = (low + high) >>> 1;
    const start = pairs[mid * 2] as T;
    const end = pairs[mid * 2 + 1] as T;
    if (address < start) high = mid - 1;
    else if (address > end) low = mid + 1;
    else return true;
  }
  return false;
}

/**
 * Ranges (start, exclusive end) in any order, overlapping or not, as a sorted, merged list. The
 * starts and the ends are sorted independently — a native numeric sort of two typed arrays, much
 * faster than sorting pairs — and a sweep counts open ranges: where the count drops to zero a
 * merged range ends. A start at the same point as an end is taken first, so touching ranges join.
 */
export function sweepV4(starts: Float64Array, endsExclusive: Float64Array): Uint32Array {
  starts.sort();
  endsExclusive.sort();
  return Uint32Array.from(sweep(starts, endsExclusive, V4));
}

export function sweepV6(starts: bigint[], endsExclusive: bigint[]): bigint[] {
  const order = (x: bigint, y: bigint): number => (x < y ? -1 : x > y ? 1 : 0);
  starts.sort(order);
  endsExclusive.sort(order);
  return sweep(starts, endsExclusive, V6);
}

function sweep<T extends number | bigint>(starts: Pairs<T>, ends: Pairs<T>, op: Arith<T>): T[] {
  const out: T[] = [];
  const n = starts.length;
  if (n === 0) return out;
  let open = 0;
  let current = starts[0] as T;
  let i = 0;
  let j = 0;
  while (i < n) {
    const start = starts[i] as T;
    const end = ends[j] as T;
    if (start <= end) {
      if (open === 0) current = start;
      open += 1;
      i += 1;
    } else {
      open -= 1;
      if (open === 0) out.push(current, op.sub(end, op.one));
      j += 1;
    }
  }
  // Every start is in; the last end closes what is still open.
  out.push(current, op.sub(ends[n - 1] as T, op.one));
  return out;
}

/** A set from ranges already sorted and disjoint (e.g. read back from storage); checked. */
export function fromSortedPairs(v4: Uint32Array, v6: readonly bigint[]): RangeSet {
  const problem = pairsProblem(v4, MAX_V4, V4) ?? pairsProblem(v6, MAX_V6, V6);
  if (problem) throw new RangeError(problem);
  return { v4, v6 };
}

/** Why IPv4 pairs are not a valid range list, or undefined. */
export function v4PairsProblem(pairs: ArrayLike<number>): string | undefined {
  return pairsProblem(pairs, MAX_V4, V4);
}

/** Why IPv6 pairs are not a valid range list, or undefined. */
export function v6PairsProblem(pairs: ArrayLike<bigint>): string | undefined {
  return pairsProblem(pairs, MAX_V6, V6);
}

function pairsProblem<T extends number | bigint>(pairs: Pairs<T>, max: T, op: Arith<T>): string | undefined {
  if (pairs.length % 2 !== 0) return 'an odd number of bounds';
  for (let i = 0; i < pairs.length; i += 2) {
    const start = pairs[i] as T;
    const end = pairs[i + 1] as T;
    if (start < op.sub(op.one, op.one) || end > max || start > end) {
      return `range ${i / 2} is empty or out of bounds`;
    }
    // Sorted, apart, and not touching: the next range starts past end + 1.
    if (i > 0 && start <= op.add(pairs[i - 1] as T, op.one)) {
      return `range ${i / 2} overlaps, touches or precedes the one before it`;
    }
  }
  return undefined;
}
