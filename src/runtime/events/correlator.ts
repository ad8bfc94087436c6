/**
 * Decides, without I/O, what each recorded occurrence becomes: a new Event, one more count on an
 * existing Event's series (client-go's EventSeries), or nothing (client-go's spam filter).
 * Time is passed in, so every rule is testable with a fake clock.
 */

export interface SpamFilterConfig {
  /** Events a single object may produce at once. */
  readonly burst: number;
  /** One more event is allowed per this many milliseconds, up to `burst`. */
  readonly refillEveryMs: number;
}

/** client-go's EventSourceObjectSpamFilter: 25 at once, then one per 5 minutes per object. */
export const DEFAULT_SPAM_FILTER: SpamFilterConfig = { burst: 25, refillEveryMs: 5 * 60_000 };

/** client-go's events package ends a series this long after its last occurrence. */
export const SERIES_WINDOW_MS = 6 * 60_000;

/** Beyond this many objects or series the least recently seen are forgotten (client-go's LRU size). */
export const MAX_TRACKED = 4096;

export interface TokenBucket {
  readonly tokens: number;
  readonly updatedAt: number;
}

/** Refills `bucket` for the time elapsed, then takes one token if there is one. */
export function takeToken(
  bucket: TokenBucket | undefined,
  now: number,
  config: SpamFilterConfig,
): { allowed: boolean; bucket: TokenBucket } {
  const elapsed = bucket ? Math.max(0, now - bucket.updatedAt) : 0;
  const available = bucket
    ? Math.min(config.burst, bucket.tokens + elapsed / config.refillEveryMs)
    : config.burst;
  return available >= 1
    ? { allowed: true, bucket: { tokens: available - 1, updatedAt: now } }
    : { allowed: false, bucket: { tokens: available, updatedAt: now } };
}

/** One series: the occurrences of one (object, reason, type, note, action) close enough in time. */
export interface SeriesEntry {
  readonly key: string;
  readonly firstObservedTime: number;
  count: number;
  lastObservedTime: number;
  /** Set by the writer once the Event exists on the server. */
  eventName?: string;
  /** The count the server holds, so several occurrences before a write cost one write. */
  writtenCount: number;
}

/** Whether an occurrence at `now` continues `previous` rather than starting a new Event. */
export function continuesSeries(previous: SeriesEntry | undefined, now: number, windowMs: number): boolean {
  return previous !== undefined && now - previous.lastObservedTime <= windowMs;
}

export interface Occurrence {
  /** Identifies the regarding object: its uid, or kind/namespace/name when it has none. */
  readonly object: string;
  readonly type: string;
  readonly reason: string;
  readonly note: string;
  readonly action: string;
}

export type Decision =
  | { readonly kind: 'drop' }
  | { readonly kind: 'create'; readonly entry: SeriesEntry }
  | { readonly kind: 'series'; readonly entry: SeriesEntry };

export function seriesKey(o: Occurrence): string {
  return JSON.stringify([o.object, o.reason, o.type, o.note, o.action]);
}

export class EventCorrelator {
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly series = new Map<string, SeriesEntry>();

  constructor(
    private readonly spamFilter: SpamFilterConfig = DEFAULT_SPAM_FILTER,
    private readonly windowMs = SERIES_WINDOW_MS,
    private readonly maxTracked = MAX_TRACKED,
  ) {}

  /** Like client-go, the spam filter sees every occurrence, including those that only count. */
  observe(occurrence: Occurrence, now: number): Decision {
    const token = takeToken(this.buckets.get(occurrence.object), now, this.spamFilter);
    remember(this.buckets, occurrence.object, token.bucket, this.maxTracked);
    if (!token.allowed) return { kind: 'drop' };

    const key = seriesKey(occurrence);
    const previous = this.series.get(key);
    if (previous && continuesSeries(previous, now, this.windowMs)) {
      previous.count += 1;
      previous.lastObservedTime = now;
      remember(this.series, key, previous, this.maxTracked);
      return { kind: 'series', entry: previous };
    }
    const entry: SeriesEntry = {
      key,
      firstObservedTime: now,
      count: 1,
      lastObservedTime: now,
      writtenCount: 0,
    };
    remember(this.series, key, entry, this.maxTracked);
    return { kind: 'create', entry };
  }

  /** The live entry for `key`, or undefined once it was forgotten or replaced by a newer series. */
  entry(key: string): SeriesEntry | undefined {
    return this.series.get(key);
  }

  get trackedObjects(): number {
    return this.buckets.size;
  }
}

/** Map insertion order doubles as recency: re-inserting moves a key to the end, the oldest go first. */
function remember<V>(map: Map<string, V>, key: string, value: V, max: number): void {
  map.delete(key);
  map.set(key, value);
  while (map.size > max) {
    const oldest = map.keys().next();
    if (oldest.done) break;
    map.delete(oldest.value);
  }
}
