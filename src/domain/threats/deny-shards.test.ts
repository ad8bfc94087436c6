import { expect } from 'chai';
import fc from 'fast-check';
import { parseCidr, toCidrs } from './cidrs.js';
import { SOURCE_ID, shardRanges, type DenyShard } from './deny-shards.js';
import { union, type RangeSet } from './ip-ranges.js';
import { decodeRangeSet, decodeRanges, encodeRangeSet, encodeV4 } from './range-codec.js';
import { rangesOf } from './reserved.js';

/** A list of `n` separate /32s spread over public space, deterministic. */
function spread(n: number, seed = 1): RangeSet {
  const cidrs: string[] = [];
  let x = seed;
  for (let i = 0; i < n; i += 1) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    // Keep to 45.0.0.0/8, every other address, so no two ever touch and merge.
    cidrs.push(`45.${(x >>> 16) & 255}.${(x >>> 8) & 255}.${x & 254}`);
  }
  cidrs.push('2a0e:1c80::/29', '2a0e:1c80:8::/48');
  return rangesOf(cidrs);
}

function decodeAll(shards: readonly DenyShard[]): RangeSet {
  let set: RangeSet = { v4: new Uint32Array(0), v6: [] };
  for (const shard of shards) {
    const decoded = decodeRanges(shard.payload);
    if (typeof decoded === 'string') throw new Error(decoded);
    set = union(
      set,
      decoded.family === 4 ? { v4: decoded.pairs, v6: [] } : { v4: new Uint32Array(0), v6: decoded.pairs },
    );
  }
  return set;
}

function changedShards(before: readonly DenyShard[], after: readonly DenyShard[]): number {
  const old = new Map(before.map((s) => [s.name, Buffer.from(s.payload).toString('hex')]));
  const now = new Map(after.map((s) => [s.name, Buffer.from(s.payload).toString('hex')]));
  let changed = 0;
  for (const [name, payload] of now) if (old.get(name) !== payload) changed += 1;
  for (const name of old.keys()) if (!now.has(name)) changed += 1;
  return changed;
}

describe('deny-list shards', () => {
  it('cut a list into named shards that decode back to it, none above the maximum', () => {
    const set = spread(20_000);
    const shards = shardRanges('feed:edge/drop', set, { target: 256, max: 1024 });
    expect(shards.length).to.be.greaterThan(20_000 / 1024);
    expect(new Set(shards.map((s) => s.name)).size).to.equal(shards.length);
    expect(Math.max(...shards.map((s) => s.ranges))).to.be.at.most(1024);
    expect(toCidrs(decodeAll(shards))).to.deep.equal(toCidrs(set));
    expect(shards[0]?.name).to.match(/^feed:edge\/drop#4-2d[0-9a-f]{6}$/);
    expect(shards.at(-1)?.name).to.equal('feed:edge/drop#6-2a0e1c80000000000000000000000000');
  });

  it('change one or two shards when one range is added or removed', () => {
    const set = spread(20_000);
    const before = shardRanges('decisions', set, { target: 256, max: 100_000 });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffff }), (n) => {
        const address = `45.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
        const cidr = parseCidr(address);
        if (!cidr) throw new Error(address);
        const after = shardRanges('decisions', union(set, rangesOf([address])), {
          target: 256,
          max: 100_000,
        });
        // Inserting may join up to two neighbours and move one cut: at most three shards differ.
        expect(changedShards(before, after)).to.be.at.most(3);
      }),
      { numRuns: 200 },
    );
  });

  it('name sources as feed:<namespace>/<name> or a plain word', () => {
    for (const ok of ['decisions', 'feed:edge/spamhaus-drop', 'feed:a.b/c'])
      expect(SOURCE_ID.test(ok), ok).to.equal(true);
    for (const bad of ['Feed:x', 'feed:x/', 'feed:/x', 'feed x', '', 'feed:a/b#4'])
      expect(SOURCE_ID.test(bad), bad).to.equal(false);
    expect(() => shardRanges('bad source', spread(1))).to.throw(/not a deny-list source id/);
  });
});

describe('the binary range codec', () => {
  it('round-trips both families', () => {
    const set = spread(1000);
    const { v4, v6 } = encodeRangeSet(set);
    expect(toCidrs(decodeRangeSet(v4, v6))).to.deep.equal(toCidrs(set));
  });

  it('refuses what it did not write: wrong magic, length, order or family', () => {
    const good = encodeV4([1, 2, 10, 20]);
    expect(decodeRanges(good.subarray(0, 15))).to.match(/need 28 bytes/);
    const bad = Uint8Array.from(good);
    bad[0] = 0;
    expect(decodeRanges(bad)).to.equal('not an encoded range list');
    expect(decodeRanges(encodeV4([10, 20, 1, 2]))).to.match(/precedes/);
    const family = Uint8Array.from(good);
    family[5] = 5;
    expect(decodeRanges(family)).to.match(/neither 4 nor 6/);
  });
});
