/**
 * Space-saving (Metwally, Agrawal, El Abbadi 2005): the heavy hitters of a stream in a fixed
 * number of counters, however many distinct values pass. For every value it keeps, `count` is an
 * upper bound of its true count and `count - error` a lower bound; any value whose true count
 * exceeds total/capacity is kept. Summaries merge (Agarwal et al., "Mergeable summaries", 2012),
 * so per-batch summaries combine into per-minute ones and those into hourly ones with the same
 * bound.
 */

export interface HeavyHitter {
  readonly value: string;
  /** Upper bound of the true count. */
  readonly count: number;
  /** How much of `count` may be overestimate: the true count is at least count - error. */
  readonly error: number;
}

/** The stored form: the counters, heaviest first, and the stream length they summarise. */
export interface SpaceSavingSummary {
  readonly capacity: number;
  readonly total: number;
  readonly items: readonly HeavyHitter[];
}

interface Counter {
  value: string;
  count: number;
  error: number;
  /** Position in the heap. */
  at: number;
}

export class SpaceSaving {
  private readonly counters = new Map<string, Counter>();
  /** A min-heap on count: the counter to replace is always at the root, in O(log capacity). */
  private heap: Counter[] = [];
  private total = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error('capacity must be a positive integer');
  }

  get size(): number {
    return this.counters.size;
  }

  get streamLength(): number {
    return this.total;
  }

  /** Counts `value` `weight` times. */
  add(value: string, weight = 1): void {
    this.total += weight;
    const known = this.counters.get(value);
    if (known) {
      known.count += weight;
      this.siftDown(known.at);
      return;
    }
    if (this.heap.length < this.capacity) {
      const counter = { value, count: weight, error: 0, at: this.heap.length };
      this.counters.set(value, counter);
      this.heap.push(counter);
      this.siftUp(counter.at);
      return;
    }
    // Replace the smallest counter: the newcomer inherits its count as possible overestimate.
    const min = this.heap[0];
    if (!min) return;
    this.counters.delete(min.value);
    const error = min.count;
    min.value = value;
    min.error = error;
    min.count = error + weight;
    this.counters.set(value, min);
    this.siftDown(0);
  }

  /** Adds a summary (of another batch, gateway or minute) to this one. */
  merge(summary: SpaceSavingSummary): void {
    const floorOther = summary.items.length >= summary.capacity ? (summary.items.at(-1)?.count ?? 0) : 0;
    const floorThis = this.heap.length >= this.capacity ? (this.heap[0]?.count ?? 0) : 0;
    const merged = new Map<string, Counter>();
    for (const c of this.heap) {
      merged.set(c.value, {
        value: c.value,
        count: c.count + floorOther,
        error: c.error + floorOther,
        at: 0,
      });
    }
    for (const item of summary.items) {
      const mine = this.counters.get(item.value);
      const entry = merged.get(item.value);
      if (mine && entry) {
        entry.count = mine.count + item.count;
        entry.error = mine.error + item.error;
      } else {
        merged.set(item.value, {
          value: item.value,
          count: item.count + floorThis,
          error: item.error + floorThis,
          at: 0,
        });
      }
    }
    const kept = [...merged.values()].sort(byCount).slice(0, this.capacity);
    this.counters.clear();
    // Heaviest first is not a min-heap; reversed (lightest first) is one.
    kept.reverse();
    this.heap = kept;
    for (const [i, c] of kept.entries()) {
      c.at = i;
      this.counters.set(c.value, c);
    }
    this.total += summary.total;
  }

  /** The counters, heaviest first (ties by value, so equal inputs give equal output). */
  top(limit = this.capacity): HeavyHitter[] {
    return [...this.heap]
      .sort(byCount)
      .slice(0, limit)
      .map((c) => ({ value: c.value, count: c.count, error: c.error }));
  }

  /** The summary to store, truncated to `capacity` counters (a smaller capacity widens the bound). */
  summary(capacity = this.capacity): SpaceSavingSummary {
    const keep = Math.min(capacity, this.capacity);
    return { capacity: keep, total: this.total, items: this.top(keep) };
  }

  static from(summary: SpaceSavingSummary, capacity = summary.capacity): SpaceSaving {
    const sketch = new SpaceSaving(capacity);
    sketch.merge(summary);
    return sketch;
  }

  private siftUp(i: number): void {
    const heap = this.heap;
    let at = i;
    while (at > 0) {
      const parent = (at - 1) >> 1;
      const p = heap[parent];
      const c = heap[at];
      if (!p || !c || p.count <= c.count) break;
      this.swap(at, parent);
      at = parent;
    }
  }

  private siftDown(i: number): void {
    const heap = this.heap;
    let at = i;
    for (;;) {
      const left = 2 * at + 1;
      const right = left + 1;
      let smallest = at;
      if ((heap[left]?.count ?? Infinity) < (heap[smallest]?.count ?? Infinity)) smallest = left;
      if ((heap[right]?.count ?? Infinity) < (heap[smallest]?.count ?? Infinity)) smallest = right;
      if (smallest === at) return;
      this.swap(at, smallest);
      at = smallest;
    }
  }

  private swap(a: number, b: number): void {
    const heap = this.heap;
    const ca = heap[a];
    const cb = heap[b];
    if (!ca || !cb) return;
    heap[a] = cb;
    heap[b] = ca;
    cb.at = a;
    ca.at = b;
  }
}

function byCount(a: Counter | HeavyHitter, b: Counter | HeavyHitter): number {
  return b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0);
}
