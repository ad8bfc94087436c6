import { expect } from 'chai';
import { SpaceSaving } from './space-saving.js';

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

/** A Zipf(s=1.1) stream over `distinct` values, by inverse transform on the cumulative weights. */
function zipfStream(n: number, distinct: number, seed: number): string[] {
  const weights = Array.from({ length: distinct }, (_, i) => 1 / Math.pow(i + 1, 1.1));
  const total = weights.reduce((a, b) => a + b, 0);
  const cumulative: number[] = [];
  let sum = 0;
  for (const w of weights) cumulative.push((sum += w / total));
  const next = random(seed);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const u = next();
    let lo = 0;
    let hi = distinct - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cumulative[mid] ?? 1) < u) lo = mid + 1;
      else hi = mid;
    }
    out.push(`v${lo}`);
  }
  return out;
}

function exactCounts(stream: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const v of stream) counts.set(v, (counts.get(v) ?? 0) + 1);
  return counts;
}

/** The guarantees: count − error ≤ true ≤ count, and every value above total/capacity is kept. */
function checkBounds(summary: SpaceSaving, truth: Map<string, number>, total: number): void {
  const kept = new Map(summary.top().map((h) => [h.value, h]));
  for (const h of kept.values()) {
    const actual = truth.get(h.value) ?? 0;
    expect(h.count, `${h.value} upper bound`).to.be.at.least(actual);
    expect(h.count - h.error, `${h.value} lower bound`).to.be.at.most(actual);
    expect(h.error, `${h.value} error`).to.be.at.most(total / summary.capacity);
  }
  for (const [value, count] of truth) {
    if (count > total / summary.capacity) expect(kept.has(value), `${value} (${count}) kept`).to.equal(true);
  }
}

describe('space-saving heavy hitters', () => {
  it('keeps within its bounds on 200k Zipf values over 50k distinct, with 100 counters', () => {
    const stream = zipfStream(200_000, 50_000, 1);
    const summary = new SpaceSaving(100);
    for (const v of stream) summary.add(v);
    expect(summary.size).to.equal(100);
    checkBounds(summary, exactCounts(stream), stream.length);
    expect(summary.top(1)[0]?.value).to.equal('v0');
  });

  it('merged summaries (4 gateways, then truncated for storage) keep the same guarantees', () => {
    const streams = [1, 2, 3, 4].map((seed) => zipfStream(50_000, 20_000, seed));
    const merged = new SpaceSaving(100);
    for (const stream of streams) {
      const part = new SpaceSaving(1000);
      for (const v of stream) part.add(v);
      merged.merge(part.summary(100));
    }
    const all = streams.flat();
    expect(merged.streamLength).to.equal(all.length);
    checkBounds(merged, exactCounts(all), all.length);
  });

  it('uses the same memory whatever the number of distinct values (1M distinct IPs)', () => {
    const summary = new SpaceSaving(1000);
    for (let i = 0; i < 1_000_000; i++) summary.add(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
    for (let i = 0; i < 5000; i++) summary.add('192.0.2.1');
    expect(summary.size).to.equal(1000);
    expect(summary.top(1)[0]?.value).to.equal('192.0.2.1');
  });

  it('below capacity, counts are exact', () => {
    const summary = new SpaceSaving(10);
    for (const v of ['a', 'b', 'a', 'c', 'a', 'b']) summary.add(v);
    expect(summary.top()).to.deep.equal([
      { value: 'a', count: 3, error: 0 },
      { value: 'b', count: 2, error: 0 },
      { value: 'c', count: 1, error: 0 },
    ]);
  });
});
