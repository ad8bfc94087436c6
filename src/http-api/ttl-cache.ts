/**
 * A bounded cache whose entries expire, for review results: a client that polls every second
 * costs the API server one TokenReview and one SubjectAccessReview per TTL instead of two
 * requests per call, and a flood of distinct tokens cannot grow memory past `maxEntries`.
 * Concurrent loads of the same key share one call.
 */
import type { Clock } from '../runtime/clock.js';

export interface TtlCacheOptions {
  readonly maxEntries: number;
  readonly clock: Clock;
}

export interface Loaded<V> {
  readonly value: V;
  /** How long to keep it; 0 keeps nothing (an answer not worth remembering). */
  readonly ttlMs: number;
}

export class TtlCache<V> {
  // Insertion order is recency: a hit re-inserts, so the first key is the least recently used.
  private readonly entries = new Map<string, { value: V; expiresAt: number }>();
  private readonly loading = new Map<string, Promise<V>>();

  constructor(private readonly options: TtlCacheOptions) {
    if (!(options.maxEntries >= 1)) throw new Error('TtlCache: maxEntries must be at least 1');
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    if (entry.expiresAt <= this.options.clock.now()) return undefined;
    this.entries.set(key, entry);
    return entry.value;
  }

  set(key: string, value: V, ttlMs: number): void {
    this.entries.delete(key);
    if (ttlMs <= 0) return;
    this.entries.set(key, { value, expiresAt: this.options.clock.now() + ttlMs });
    while (this.entries.size > this.options.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.entries.delete(oldest.value);
    }
  }

  /**
   * The cached value, or the result of `load` (shared with every caller asking for `key` while
   * it runs). A failed load is not cached: the next caller tries again.
   */
  async getOrLoad(key: string, load: () => Promise<Loaded<V>>): Promise<{ value: V; cached: boolean }> {
    const hit = this.get(key);
    if (hit !== undefined) return { value: hit, cached: true };
    let pending = this.loading.get(key);
    if (!pending) {
      pending = load()
        .then(({ value, ttlMs }) => {
          this.set(key, value, ttlMs);
          return value;
        })
        .finally(() => this.loading.delete(key));
      this.loading.set(key, pending);
    }
    return { value: await pending, cached: false };
  }
}
