import { expect } from 'chai';
import fc from 'fast-check';
import { DDSketch } from '@datadog/sketches-js';
import {
  decodeSketch,
  encodeSketch,
  mergeSketch,
  newSketch,
  percentiles,
  type LatencySketch,
} from './latency-sketch.js';
import { mergeEncodedSketch } from './sketch-bytes.js';

/** The non-zero bins of a store as key → count, whatever its layout (offset, chunking). */
function bins(sketch: LatencySketch): Map<number, number> {
  const out = new Map<number, number>();
  sketch.store.bins.forEach((count, i) => {
    if (count !== 0) out.set(i + sketch.store.offset, count);
  });
  return out;
}

function sketchOf(values: readonly number[]): LatencySketch {
  const sketch = newSketch();
  for (const value of values) sketch.accept(value);
  return sketch;
}

const QUANTILES = [0, 0.01, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1];

describe('merging stored sketches from their bytes', () => {
  it('gives the same bins, counts and percentiles as decoding and merging, for any latencies', () => {
    // Latencies in ms down to a microsecond: DDSketch's own decoding of far smaller values grows a
    // bin at a time and would take seconds per sketch.
    const latency = fc.oneof(
      fc.double({ min: 0.001, max: 600_000, noNaN: true }),
      fc.constant(0),
      fc.integer({ min: 1, max: 500 }),
    );
    fc.assert(
      fc.property(fc.array(fc.array(latency, { maxLength: 60 }), { minLength: 1, maxLength: 8 }), (parts) => {
        const viaDecode = newSketch();
        const viaBytes = newSketch();
        for (const part of parts) {
          const stored = encodeSketch(sketchOf(part));
          mergeSketch(viaDecode, decodeSketch(stored));
          mergeEncodedSketch(viaBytes, stored);
        }
        expect(viaBytes.count).to.equal(viaDecode.count);
        expect(viaBytes.zeroCount).to.equal(viaDecode.zeroCount);
        expect(bins(viaBytes)).to.deep.equal(bins(viaDecode));
        for (const q of QUANTILES)
          expect(viaBytes.getValueAtQuantile(q), `q=${q}`).to.deep.equal(viaDecode.getValueAtQuantile(q));
      }),
      { numRuns: 200 },
    );
  });

  it('reads bins written as map entries and negative values, which the gateway-worker never writes itself', () => {
    const values = [-5, -1, 0, 0, 3, 40, 40, 900];
    const direct = sketchOf(values);
    // A foreign writer's form: positive bins as map entries, negative ones contiguous and packed.
    const positive = new Writer();
    for (const [key, count] of bins(direct))
      positive.message(1, new Writer().sint32(1, key).double(2, count));
    const negativeBins = [...direct.negativeStore.bins];
    const negative = new Writer().packedDoubles(2, negativeBins).sint32(3, direct.negativeStore.offset);
    const encoded = new Writer()
      .message(1, new Writer().double(1, direct.mapping.gamma).double(2, 0))
      .message(2, positive)
      .message(3, negative)
      .double(4, direct.zeroCount)
      .bytes();
    const merged = mergeEncodedSketch(newSketch(), encoded);
    expect(merged.count).to.equal(values.length);
    expect(merged.zeroCount).to.equal(2);
    for (const q of QUANTILES)
      expect(merged.getValueAtQuantile(q), `q=${q}`).to.equal(direct.getValueAtQuantile(q));
  });

  it('falls back to decoding a sketch of another accuracy, and refuses to merge it as DDSketch does', () => {
    const coarse = new DDSketch({ relativeAccuracy: 0.05 });
    coarse.accept(12);
    expect(() => mergeEncodedSketch(newSketch(), coarse.toProto())).to.throw(/different `relativeAccuracy`/);
  });

  it('says so when the bytes are cut short', () => {
    const stored = encodeSketch(sketchOf([1, 2, 3]));
    expect(() => mergeEncodedSketch(newSketch(), stored.subarray(0, stored.length - 3))).to.throw(
      /truncated/,
    );
  });

  it('leaves an empty stored sketch without effect', () => {
    const into = sketchOf([10, 20]);
    mergeEncodedSketch(into, encodeSketch(newSketch()));
    expect(into.count).to.equal(2);
    expect(percentiles(into).p50).to.equal(sketchOf([10, 20]).getValueAtQuantile(0.5));
  });
});

/** Just enough of a protobuf writer to write a sketch the way another library might. */
class Writer {
  private readonly out: number[] = [];

  private varint(n: number): void {
    while (n >= 0x80) {
      this.out.push((n % 0x80) | 0x80);
      n = Math.floor(n / 0x80);
    }
    this.out.push(n);
  }

  sint32(field: number, n: number): this {
    this.varint(field * 8);
    this.varint(n >= 0 ? n * 2 : -n * 2 - 1);
    return this;
  }

  double(field: number, x: number): this {
    this.varint(field * 8 + 1);
    const b = Buffer.alloc(8);
    b.writeDoubleLE(x);
    this.out.push(...b);
    return this;
  }

  packedDoubles(field: number, xs: readonly number[]): this {
    const b = Buffer.alloc(8 * xs.length);
    xs.forEach((x, i) => b.writeDoubleLE(x, 8 * i));
    this.varint(field * 8 + 2);
    this.varint(b.length);
    this.out.push(...b);
    return this;
  }

  message(field: number, inner: Writer): this {
    const body = inner.bytes();
    this.varint(field * 8 + 2);
    this.varint(body.length);
    this.out.push(...body);
    return this;
  }

  bytes(): Uint8Array {
    return Uint8Array.from(this.out);
  }
}
