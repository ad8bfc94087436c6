/**
 * Hands every threat feed's health to notifications (FeedDegraded, FeedStale) on the leader: the
 * complete set once the ThreatFeed controller has looked at every feed, then again on each change.
 *
 * Why wait for the first pass: the set is complete, so whatever it leaves out resolves. Sent
 * earlier, it would hold only the feeds reconciled so far, resolving the others' alerts (stored
 * by the previous leader) only to fire them again a moment later. Sent at all on start, it
 * resolves alerts of feeds that recovered, or were deleted, while no leader reported them, since
 * ThreatFeedHealthHooks announces only changes and a healthy feed is no change to a new process.
 * A first pass that never ends (a feed failing to reconcile, retried) must not silence the
 * feeds: after `maxWaitMs` the set goes out as it is.
 */
import { systemClock, type Clock, type Timer } from '../runtime/clock.js';
import type { Component } from '../runtime/component.js';
import type { ThreatFeedHealth, ThreatFeedHealthHooks } from './feed-health.js';

/** As long as the pusher holds a kind for its controller's first pass. */
const DEFAULT_MAX_WAIT_MS = 60_000;

export interface FeedHealthReporterOptions {
  readonly health: Pick<ThreatFeedHealthHooks, 'subscribe' | 'all'>;
  /** The ThreatFeed controller's first pass over the feeds that existed when it started. */
  readonly initialPass: Promise<void>;
  /** Every known feed's health, each time: the notification hook `feeds`. */
  readonly report: (all: readonly ThreatFeedHealth[]) => void;
  readonly clock?: Clock;
  readonly maxWaitMs?: number;
}

export class FeedHealthReporter implements Component {
  readonly name = 'threat-feed-notifications';
  private readonly clock: Clock;
  private unsubscribe: (() => void) | undefined;
  private timer: Timer | undefined;
  private forwarding = false;
  private running = false;

  constructor(private readonly options: FeedHealthReporterOptions) {
    this.clock = options.clock ?? systemClock;
  }

  start(): Promise<void> {
    this.running = true;
    this.unsubscribe = this.options.health.subscribe((_changed, all) => {
      if (this.forwarding) this.options.report(all);
    });
    this.timer = this.clock.setTimer(this.options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS, () => this.begin());
    void this.options.initialPass.then(() => this.begin());
    return Promise.resolve();
  }

  stop(): Promise<void> {
    this.running = false;
    this.forwarding = false;
    this.timer?.cancel();
    this.unsubscribe?.();
    return Promise.resolve();
  }

  private begin(): void {
    if (!this.running || this.forwarding) return;
    this.forwarding = true;
    this.timer?.cancel();
    this.options.report(this.options.health.all());
  }
}
