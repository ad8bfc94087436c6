/**
 * The loop of a leader-side source: read a complete input when told something changed (debounced)
 * and on a period (what depends on time, or on storage other replicas write, changes without an
 * event here), then hand it on — to a typed hook (src/notify/hooks.ts), or, for the built-in
 * sources, to Notifier.replace (periodic-source.ts). A read that yields undefined has nothing to
 * say yet (the store is not connected, the hour is not rolled up): what was said last stands.
 */
import { systemClock, type Clock, type Timer } from '../../runtime/clock.js';
import type { Component } from '../../runtime/component.js';
import type { Logger } from '../../runtime/logger.js';

export interface HookSourceOptions<T> {
  readonly name: string;
  readonly read: () => T | undefined | Promise<T | undefined>;
  readonly deliver: (value: T) => void;
  readonly periodMs: number;
  /** Quiet time after a change before reading (default 1 s). */
  readonly debounceMs?: number;
  readonly logger: Logger;
  readonly clock?: Clock;
  /** How log lines name the source (default: the name). */
  readonly label?: string;
}

export class HookSource<T> implements Component {
  readonly name: string;
  private readonly clock: Clock;
  private timer: Timer | undefined;
  private debounce: Timer | undefined;
  private running = false;
  private evaluating: Promise<void> | undefined;

  constructor(private readonly hookOptions: HookSourceOptions<T>) {
    this.name = hookOptions.name;
    this.clock = hookOptions.clock ?? systemClock;
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
    this.debounce = this.clock.setTimer(this.hookOptions.debounceMs ?? 1_000, () => void this.evaluate());
  }

  /** Reads and delivers now (tests, and the period). */
  async evaluate(): Promise<void> {
    if (this.evaluating) return this.evaluating;
    this.evaluating = (async () => {
      try {
        const value = await this.hookOptions.read();
        if (value !== undefined) this.hookOptions.deliver(value);
      } catch (error) {
        this.hookOptions.logger.warn('notification source failed', {
          source: this.hookOptions.label ?? this.name,
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
      void this.evaluate().finally(() => this.schedule(this.hookOptions.periodMs));
    });
  }
}
