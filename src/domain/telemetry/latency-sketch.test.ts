import { expect } from 'chai';
import { decodeSketch, encodeSketch, mergeSketch, newSketch, percentiles } from './latency-sketch.js';

/** A seeded generator (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Log-normal latencies in ms, like a real service: median ~20 ms, a long tail. */
function latencies(n: number, seed: number): Float64Array {
  const next = random(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const u = Math.max(next(), 1e-12);
    const v = next();
    const normal = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    out[i] = Math.exp(3 + 1.2 * normal);
  }
  return out;
}

/** The exact quantile the way DDSketch defines its rank: the value at index floor(q·(n−1)). */
function exact(sorted: Float64Array, q: number): number {
  return sorted[Math.floor(q * (sorted.length - 1))] ?? NaN;
}

describe('latency sketches (DDSketch, 1 % relative accuracy)', () => {
  it('p50, p95 and p99 of 1M samples merged from 10 gateways × 5 minutes, through their stored form, are within 1 % of the exact values', function () {
    this.timeout(120_000);
    const all = latencies(1_000_000, 7);
    const merged = newSketch();
    const parts = 50;
    const size = all.length / parts;
    for (let p = 0; p < parts; p++) {
      const part = newSketch();
      for (let i = p * size; i < (p + 1) * size; i++) part.accept(all[i] ?? 0);
      mergeSketch(merged, decodeSketch(encodeSketch(part)));
    }
    const sorted = Float64Array.from(all).sort();
    const got = percentiles(merged);
    expect(merged.count).to.equal(1_000_000);
    for (const [q, value] of [
      [0.5, got.p50],
      [0.95, got.p95],
      [0.99, got.p99],
    ] as const) {
      const truth = exact(sorted, q);
      const error = Math.abs((value ?? NaN) - truth) / truth;
      expect(error, `q=${q}: sketch ${value} vs exact ${truth}`).to.be.at.most(0.01);
    }
  });

  it('an empty sketch has no percentiles', () => {
    expect(percentiles(newSketch())).to.deep.equal({ p50: null, p95: null, p99: null });
  });
});
