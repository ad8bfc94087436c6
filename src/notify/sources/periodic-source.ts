/**
 * A source that recomputes its complete set of events when told something changed (debounced)
 * and on a period (states that depend on time, such as an expiry, change without any event), then
 * hands the set to Notifier.replace. Runs on the leader, where the caches it reads are warm.
 */
import { systemClock, type Clock, type Timer } from '../../runtime/clock.js';
import type { Component } from '../../runtime/component.js';
import type { Logger } from '../../runtime/logger.js';
import type { NotificationEvent } from '../../domain/notify/event.js';
import type { Notifier } from '../notifier.js';

export interface PeriodicSourceOptions {
  readonly name: string;
  /** The source name Notifier.replace is called with (the event types' emittedBy). */
  readonly source: string;
  readonly notifier: Notifier;
  readonly evaluate: () => readonly NotificationEvent[] | Promise<readonly NotificationEvent[]>;
  readonly periodMs: number;
  /** Quiet time after a change before evaluating (default 1 s). */
  readonly debounceMs?: number;
  readonly logger: Logger;
  readonly clock?: Clock;
}

export class PeriodicSource implements Component {
  readonly name: string;
  private readonly clock: Clock;
  private timer: Timer | undefined;
  private debounce: Timer | undefined;
  private running = false;
  private evaluating: Promise<void> | undefined;

  constructor(private readonly options: PeriodicSourceOptions) {
    this.name = options.name;
    this.clock = options.clock ?? systemClock;
  }

  start(): Promise<void> {
    this.running = true;
    this.schedule(0);
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.timer?.cancel();
    this.debounce?.cancel();
    await this.evaluating;
  }

  /** Something the source reads changed. */
  changed(): void {
    if (!this.running) return;
    this.debounce?.cancel();
    this.debounce = this.clock.setTimer(this.options.debounceMs ?? 1_000, () => void this.evaluate());
  }

  /** Evaluates now (tests, and the period). */
  async evaluate(): Promise<void> {
    if (this.evaluating) return this.evaluating;
    this.evaluating = (async () => {
      try {
        this.options.notifier.replace(this.options.source, await this.options.evaluate());
      } catch (error) {
        this.options.logger.warn('notification source failed', {
          source: this.options.source,
          error: (error as Error).message,
        });
      }
    })().finally(() => {
      this.evaluating = undefined;
    });
    return this.evaluating;
  }

  private schedule(delayMs: number): void {
    if (!this.running) return;
    this.timer = this.clock.setTimer(delayMs, () => {
      void this.evaluate().finally(() => this.schedule(this.options.periodMs));
    });
  }
}
