/**
 * When a threat feed is fetched next, and when the list it serves counts as stale. Spamhaus asks
 * for at most one download an hour, so the refresh interval is at least an hour; after a failed
 * attempt the next one comes sooner — 15 minutes, doubling — but never later than the interval.
 * A changed source (URL, format, credentials) is fetched at once. Pure; times are epoch ms.
 */

export const MIN_REFRESH_MS = 3_600_000;
export const RETRY_INITIAL_MS = 15 * 60_000;

export interface AttemptState {
  /** The end of the last attempt, whatever its outcome; undefined before the first. */
  readonly lastAttemptAt: number | undefined;
  /** Failed attempts since the last one that succeeded (a 304 succeeds). */
  readonly failures: number;
  /** The source settings differ from those of the last attempt. */
  readonly sourceChanged: boolean;
}

export function nextAttemptAt(state: AttemptState, intervalMs: number): number {
  if (state.lastAttemptAt === undefined || state.sourceChanged) return Number.NEGATIVE_INFINITY;
  if (state.failures === 0) return state.lastAttemptAt + intervalMs;
  const backoff = RETRY_INITIAL_MS * 2 ** Math.min(state.failures - 1, 20);
  return state.lastAttemptAt + Math.min(backoff, intervalMs);
}

/**
 * Whether the list in service was last confirmed current (a good download or a 304) longer ago
 * than `staleAfterMs`; a feed that never had a good list counts from its creation.
 */
export function isStale(
  lastRefreshAt: number | undefined,
  createdAt: number,
  staleAfterMs: number,
  now: number,
): boolean {
  return now - (lastRefreshAt ?? createdAt) > staleAfterMs;
}

/** The moment a feed becomes stale, for a timer. */
export function staleAt(lastRefreshAt: number | undefined, createdAt: number, staleAfterMs: number): number {
  return (lastRefreshAt ?? createdAt) + staleAfterMs;
}
