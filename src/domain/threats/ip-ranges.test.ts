/**
 * Range lists against a naive reference: every address of a small window enumerated in a Set.
 * Windows sit in the middle of the space and at both ends of it (0 and the last address), in
 * IPv4 and in IPv6, so off-by-one and overflow mistakes show.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { CidrCollector } from './aggregate.js';
import { parseCidr, toCidrs, type Cidr } from './cidrs.js';
import {
  MAX_V4,
  MAX_V6,
  containsV4,
  containsV6,
  countTouched,
  fromSortedPairs,
  subtract,
  union,
  v4PairsProblem,
  v6PairsProblem,
  type RangeSet,
} from './ip-ranges.js';

const WINDOW = 64;
const V4_BASES = [0, 0x5db80000, MAX_V4 + 1 - WINDOW];
const V6_BASES = [0n, 0x2a0000000000000000000000000000a0n, MAX_V6 + 1n - BigInt(WINDOW)];

interface Block {
  readonly offset: number;
  readonly bits: number;
}

/** An aligned block of 2^bits addresses inside the window. */
const block = fc
  .integer({ min: 0, max: 6 })
  .chain((bits) =>
    fc
      .integer({ min: 0, max: WINDOW / 2 ** bits - 1 })
      .map((slot): Block => ({ offset: slot * 2 ** bits, bits })),
  );
const blocks = fc.array(block, { maxLength: 12 });

function cidrOf(family: 4 | 6, base: number | bigint, b: Block): Cidr {
  return family === 4
    ? { family, network: (base as number) + b.offset, prefix: 32 - b.bits }
    : { family, network: (base as bigint) + BigInt(b.offset), prefix: 128 - b.bits };
}

function collect(family: 4 | 6, base: number | bigint, list: readonly Block[]): RangeSet {
  const collector = new CidrCollector();
  for (const b of list) {
    // The windows at the ends overlap reserved space; that only affects counting, not ranges.
    expect(collector.add(cidrOf(family, base, b))).to.equal(undefined);
  }
  return collector.ranges();
}

/** The window offsets a block list covers. */
function naive(list: readonly Block[]): Set<number> {
  const covered = new Set<number>();
  for (const b of list) for (let i = 0; i < 2 ** b.bits; i += 1) covered.add(b.offset + i);
  return covered;
}

/** The window offsets a range list covers, read back through `contains`. */
function members(family: 4 | 6, base: number | bigint, set: RangeSet): Set<number> {
  const covered = new Set<number>();
  for (let i = 0; i < WINDOW; i += 1) {
    const inside =
      family === 4 ? containsV4(set, (base as number) + i) : containsV6(set, (base as bigint) + BigInt(i));
    if (inside) covered.add(i);
  }
  return covered;
}

function canonical(set: RangeSet): void {
  expect(v4PairsProblem(set.v4)).to.equal(undefined);
  expect(v6PairsProblem(set.v6)).to.equal(undefined);
}

const sorted = (s: Set<number>): number[] => [...s].sort((a, b) => a - b);

for (const family of [4, 6] as const) {
  const bases: readonly (number | bigint)[] = family === 4 ? V4_BASES : V6_BASES;
  describe(`IPv${family} range lists against a naive reference`, () => {
    const base = fc.constantFrom(...bases);

    it('aggregates any blocks into sorted, merged ranges covering exactly their addresses', () => {
      fc.assert(
        fc.property(base, blocks, (b, list) => {
          const set = collect(family, b, list);
          canonical(set);
          expect(sorted(members(family, b, set))).to.deep.equal(sorted(naive(list)));
        }),
      );
    });

    it('unites two lists', () => {
      fc.assert(
        fc.property(base, blocks, blocks, (b, x, y) => {
          const set = union(collect(family, b, x), collect(family, b, y));
          canonical(set);
          expect(sorted(members(family, b, set))).to.deep.equal(sorted(naive([...x, ...y])));
        }),
      );
    });

    it('subtracts one list from another, splitting ranges a hole cuts through', () => {
      fc.assert(
        fc.property(base, blocks, blocks, (b, x, y) => {
          const set = subtract(collect(family, b, x), collect(family, b, y));
          canonical(set);
          const cut = naive(y);
          expect(sorted(members(family, b, set))).to.deep.equal(sorted(naive(x)).filter((a) => !cut.has(a)));
        }),
      );
    });

    it('counts the ranges another list touches', () => {
      fc.assert(
        fc.property(base, blocks, blocks, (b, x, y) => {
          const a = collect(family, b, x);
          const other = naive(y);
          let expected = 0;
          const pairs = family === 4 ? Array.from(a.v4) : a.v6;
          for (let i = 0; i < pairs.length; i += 2) {
            const start = Number(BigInt(pairs[i] ?? 0) - BigInt(b));
            const end = Number(BigInt(pairs[i + 1] ?? 0) - BigInt(b));
            let touched = false;
            for (let k = start; k <= end; k += 1) touched ||= other.has(k);
            if (touched) expected += 1;
          }
          expect(countTouched(a, collect(family, b, y))).to.equal(expected);
        }),
      );
    });

    it('writes each range as disjoint CIDRs that cover exactly its addresses', () => {
      fc.assert(
        fc.property(base, blocks, (b, list) => {
          const set = collect(family, b, list);
          const again = new CidrCollector();
          let blocksSeen = 0;
          for (const text of toCidrs(set)) {
            const cidr = parseCidr(text);
            expect(cidr, text).to.not.equal(undefined);
            if (cidr) again.add(cidr);
            blocksSeen += 2 ** ((family === 4 ? 32 : 128) - (cidr?.prefix ?? 0));
          }
          // Disjoint: the blocks' sizes add up to the addresses covered.
          expect(blocksSeen).to.equal(naive(list).size);
          expect(sorted(members(family, b, again.ranges()))).to.deep.equal(sorted(naive(list)));
        }),
      );
    });
  });
}

describe('range lists', () => {
  it('refuses pairs that overlap, touch, run backwards or leave the address space', () => {
    expect(v4PairsProblem([1, 2, 3, 4])).to.match(/touches/);
    expect(v4PairsProblem([1, 5, 4, 8])).to.match(/overlaps/);
    expect(v4PairsProblem([5, 1])).to.match(/empty/);
    expect(v4PairsProblem([0, MAX_V4 + 1])).to.match(/out of bounds/);
    expect(v6PairsProblem([0n, MAX_V6 + 1n])).to.match(/out of bounds/);
    expect(() => fromSortedPairs(Uint32Array.from([1, 2, 2, 3]), [])).to.throw(RangeError);
  });

  it('reads a CIDR with host bits set as its network, as the gateway does', () => {
    expect(parseCidr('10.1.2.3/8')).to.deep.equal({ family: 4, network: 0x0a000000, prefix: 8 });
    expect(parseCidr('2001:db8::1/32')).to.deep.equal({ family: 6, network: 0x20010db8n << 96n, prefix: 32 });
    for (const bad of ['1.2.3', '1.2.3.4/33', '01.2.3.4', '1.2.3.4/', '1.2.3.4/08', '::1/129', 'x', '']) {
      expect(parseCidr(bad), bad).to.equal(undefined);
    }
  });

  it('writes the whole IPv4 space minus nothing as the two /1 halves', () => {
    expect(toCidrs({ v4: Uint32Array.from([0, MAX_V4]), v6: [] })).to.deep.equal([
      '0.0.0.0/1',
      '128.0.0.0/1',
    ]);
    expect(toCidrs({ v4: Uint32Array.from([1, 6]), v6: [] })).to.deep.equal([
      '0.0.0.1',
      '0.0.0.2/31',
      '0.0.0.4/31',
      '0.0.0.6',
    ]);
  });
});
