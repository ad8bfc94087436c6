/**
 * The one door events come in by: `emit(event)` for an occurrence or a change of state, and
 * `replace(source, events)` for a source that knows its complete current set (the alerts it no
 * longer lists resolve). Neither throws nor waits: events are checked, merged with what is known
 * of the same alert (its start), and written to the alert store in batches, from which the
 * leader's dispatcher routes them. Any replica may emit; only changes are written.
 *
 * Until the store is reachable, calls queue (at most MAX_QUEUED alerts; the oldest beyond are
 * dropped and counted). A source's first `replace` after a restart also resolves what the store
 * still holds as firing from that source, so nothing stays firing forever across a restart.
 */
import type { Registry } from 'prom-client';
import {
  alertOf,
  eventProblem,
  fingerprintOf,
  labelsOf,
  sameAlert,
  type Alert,
  type NotificationEvent,
} from '../domain/notify/event.js';
import { eventType, EVENT_TYPE_NAMES } from '../domain/notify/event-types.js';
import { systemClock, type Clock, type Timer } from '../runtime/clock.js';
import type { Logger } from '../runtime/logger.js';
import type { Database } from '../storage/database.js';
import { describeDatabaseError } from '../storage/errors.js';
import { notifyMetrics, type NotifyMetrics } from './metrics.js';
import { NotifyRepository } from './notify-repository.js';

export interface Notifier {
  /** Records one event. Never throws; an invalid event is logged and counted, not raised. */
  emit(event: NotificationEvent): void;
  /** `events` is everything `source` reports now: alerts of that source it no longer lists resolve. */
  replace(source: string, events: readonly NotificationEvent[]): void;
}

/** A Notifier that drops everything: for commands and tests that need none. */
export const silentNotifier: Notifier = { emit: () => undefined, replace: () => undefined };

export interface StoreNotifierOptions {
  readonly store: { onReady(listener: (db: Database) => void): () => void };
  readonly schema: string;
  readonly logger: Logger;
  readonly registry: Registry;
  readonly clock?: Clock;
  /** After alerts were written (the dispatcher on this replica looks at once). */
  readonly onStored?: () => void;
}

export const MAX_QUEUED = 10_000;
/** Resolved alerts are remembered this long after they resolve. */
export const RESOLVED_MEMORY_MS = 86_400_000;
const RETRY_MS = 5_000;

type Operation =
  | { readonly kind: 'emit'; readonly event: NotificationEvent; readonly at: number }
  | {
      readonly kind: 'replace';
      readonly source: string;
      readonly events: readonly NotificationEvent[];
      readonly at: number;
    };

export class StoreNotifier implements Notifier {
  private readonly clock: Clock;
  private readonly metrics: NotifyMetrics;
  private readonly known = new Map<string, { source: string; alert: Alert }>();
  private readonly bySource = new Map<string, Set<string>>();
  /** Calls made before the known alerts were loaded, applied once they are. */
  private early: Operation[] = [];
  private loaded = false;
  private writes = new Map<string, { source: string; alert: Alert }>();
  private repository: NotifyRepository | undefined;
  private flushing: Promise<void> | undefined;
  private flushTimer: Timer | undefined;
  private unsubscribe: (() => void) | undefined;
  private lastError: string | undefined;

  constructor(private readonly options: StoreNotifierOptions) {
    this.clock = options.clock ?? systemClock;
    this.metrics = notifyMetrics(options.registry);
  }

  start(): void {
    this.unsubscribe = this.options.store.onReady((db) => {
      this.repository = new NotifyRepository(db, this.options.schema);
      void this.load();
    });
  }

  stop(): Promise<void> {
    this.unsubscribe?.();
    this.flushTimer?.cancel();
    return this.flushing ?? Promise.resolve();
  }

  /** Resolves when everything emitted so far is written (tests and benchmarks). */
  async settled(): Promise<void> {
    // Loading the known alerts takes a few round trips to the store: wait for it by time, not
    // by a count of event-loop turns (a count ran out before a slow load had finished).
    const deadline = Date.now() + 30_000;
    while ((this.flushing || this.writes.size > 0 || !this.loaded) && Date.now() < deadline) {
      if (this.flushing) await this.flushing;
      else if (this.loaded && this.repository) this.flush();
      else await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  emit(event: NotificationEvent): void {
    const at = this.clock.now();
    if (!this.loaded) return this.queueEarly({ kind: 'emit', event, at });
    this.apply(event, at);
    this.scheduleFlush();
  }

  replace(source: string, events: readonly NotificationEvent[]): void {
    const at = this.clock.now();
    if (!this.loaded) return this.queueEarly({ kind: 'replace', source, events, at });
    this.applyReplace(source, events, at);
    this.scheduleFlush();
  }

  /** Alerts firing now, as this replica knows them. */
  firing(): Alert[] {
    return [...this.known.values()].map((k) => k.alert).filter((a) => a.status === 'firing');
  }

  private queueEarly(operation: Operation): void {
    this.early.push(operation);
    if (this.early.length > MAX_QUEUED) {
      this.early.shift();
      this.metrics.dropped.inc({ reason: 'overflow' });
    }
  }

  private async load(): Promise<void> {
    const repository = this.repository;
    if (!repository) return;
    try {
      const now = this.clock.now();
      for (const { source, alert } of await repository.currentAlerts(new Date(now - RESOLVED_MEMORY_MS))) {
        this.remember(source, alert);
      }
    } catch (error) {
      this.reportError('loading the alert store failed', error);
      this.flushTimer = this.clock.setTimer(RETRY_MS, () => void this.load());
      return;
    }
    this.loaded = true;
    const early = this.early;
    this.early = [];
    for (const op of early) {
      if (op.kind === 'emit') this.apply(op.event, op.at);
      else this.applyReplace(op.source, op.events, op.at);
    }
    this.refreshGauge();
    this.flush();
  }

  private apply(event: NotificationEvent, now: number): string | undefined {
    const problem = eventProblem(event);
    if (problem) {
      this.metrics.dropped.inc({ reason: 'invalid' });
      this.options.logger.warn('notification event refused', { problem });
      return undefined;
    }
    const source = eventType(event.type)?.emittedBy ?? 'unknown';
    const previous = this.known.get(fingerprintOf(labelsOf(event)))?.alert;
    const alert = alertOf(event, now, previous);
    if (previous && sameAlert(previous, alert)) return alert.fingerprint;
    // A resolution of an alert nobody saw fire is news to no one.
    if (!previous && alert.status === 'resolved') return alert.fingerprint;
    this.remember(source, alert);
    this.writes.set(alert.fingerprint, { source, alert });
    this.metrics.events.inc({ type: alert.type, status: alert.status });
    return alert.fingerprint;
  }

  private applyReplace(source: string, events: readonly NotificationEvent[], now: number): void {
    const listed = new Set<string>();
    for (const event of events) {
      const fingerprint = this.apply({ ...event, status: 'firing' }, now);
      if (fingerprint) listed.add(fingerprint);
    }
    for (const fingerprint of [...(this.bySource.get(source) ?? [])]) {
      if (listed.has(fingerprint)) continue;
      const known = this.known.get(fingerprint);
      if (known?.alert.status !== 'firing' || known.alert.lifecycle !== 'state') continue;
      const resolved: Alert = { ...known.alert, status: 'resolved', endsAt: now };
      this.remember(source, resolved);
      this.writes.set(fingerprint, { source, alert: resolved });
      this.metrics.events.inc({ type: resolved.type, status: 'resolved' });
    }
    this.refreshGauge();
  }

  private remember(source: string, alert: Alert): void {
    this.known.set(alert.fingerprint, { source, alert });
    let set = this.bySource.get(source);
    if (!set) {
      set = new Set();
      this.bySource.set(source, set);
    }
    if (alert.status === 'firing') set.add(alert.fingerprint);
    else set.delete(alert.fingerprint);
  }

  private scheduleFlush(): void {
    if (this.writes.size > MAX_QUEUED) {
      const oldest = this.writes.keys().next().value;
      if (oldest !== undefined) this.writes.delete(oldest);
      this.metrics.dropped.inc({ reason: 'overflow' });
    }
    if (this.flushing) return;
    this.flushTimer ??= this.clock.setTimer(0, () => {
      this.flushTimer = undefined;
      this.flush();
    });
  }

  private flush(): void {
    const repository = this.repository;
    if (!repository || this.flushing || this.writes.size === 0) return;
    const batch = this.writes;
    this.writes = new Map();
    this.flushing = repository
      .upsertAlerts([...batch.values()], new Date(this.clock.now()))
      .then(
        () => {
          if (this.lastError !== undefined) this.options.logger.info('alert store reachable again');
          this.lastError = undefined;
          this.options.onStored?.();
        },
        (error: unknown) => {
          this.reportError('writing alerts failed; retrying', error);
          // Newer writes of the same alerts win over the failed batch.
          for (const [fingerprint, item] of batch)
            if (!this.writes.has(fingerprint)) this.writes.set(fingerprint, item);
          this.flushTimer ??= this.clock.setTimer(RETRY_MS, () => {
            this.flushTimer = undefined;
            this.flush();
          });
        },
      )
      .finally(() => {
        this.flushing = undefined;
        if (this.writes.size > 0 && !this.flushTimer) this.flush();
      });
  }

  private refreshGauge(): void {
    const counts = new Map<string, number>(EVENT_TYPE_NAMES.map((t) => [t, 0]));
    for (const { alert } of this.known.values()) {
      if (alert.status === 'firing') counts.set(alert.type, (counts.get(alert.type) ?? 0) + 1);
    }
    for (const [type, count] of counts) this.metrics.firing.set({ type }, count);
  }

  private reportError(what: string, error: unknown): void {
    const message = `${what}: ${describeDatabaseError(error)}`;
    if (message !== this.lastError) this.options.logger.warn(message);
    this.lastError = message;
  }
}
