/**
 * The hook for a threat feed's health, for notifications (its FeedDegraded and FeedStale events)
 * and anything else that must hear when a feed starts or stops serving a stale or last-good list.
 * The ThreatFeed controller reports each feed after every reconcile; subscribers hear only real
 * changes, with the feed that changed and every feed's health as it is now (the notifier's
 * feedEvents() takes the whole set, so that a feed that recovered resolves its alert).
 */

export interface ThreatFeedHealth {
  readonly namespace: string;
  readonly name: string;
  /** Set while the last refresh failed or was refused (Degraded=True); the last good list serves. */
  readonly degraded?: { readonly reason: string; readonly message: string };
  /** Set while the list in service was last confirmed longer ago than the feed's staleAfter. */
  readonly stale?: { readonly lastUpdated?: string; readonly maxAge: string };
}

export type ThreatFeedHealthListener = (changed: ThreatFeedHealth, all: readonly ThreatFeedHealth[]) => void;

export class ThreatFeedHealthHooks {
  private readonly feeds = new Map<string, { health: ThreatFeedHealth; key: string }>();
  private readonly listeners = new Set<ThreatFeedHealthListener>();

  /** Calls `listener` on every change from now on; returns the unsubscribe function. */
  subscribe(listener: ThreatFeedHealthListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Every known feed's health now. */
  all(): ThreatFeedHealth[] {
    return [...this.feeds.values()].map((f) => f.health);
  }

  report(health: ThreatFeedHealth): void {
    const id = `${health.namespace}/${health.name}`;
    const key = JSON.stringify([health.degraded ?? null, health.stale ?? null]);
    const before = this.feeds.get(id);
    if (before?.key === key) return;
    this.feeds.set(id, { health, key });
    // A new feed that is healthy is no news.
    if (!before && !health.degraded && !health.stale) return;
    this.emit(health);
  }

  /** The feed is gone: a subscriber hears it healthy, so its alerts resolve. */
  remove(namespace: string, name: string): void {
    const id = `${namespace}/${name}`;
    const before = this.feeds.get(id);
    if (!before) return;
    this.feeds.delete(id);
    if (before.health.degraded || before.health.stale) this.emit({ namespace, name });
  }

  private emit(changed: ThreatFeedHealth): void {
    const all = this.all();
    for (const listener of this.listeners) listener(changed, all);
  }
}
