/**
 * A built-in source that recomputes its complete set of events when told something changed
 * (debounced) and on a period (states that depend on time, such as an expiry, change without any
 * event), then hands the set to Notifier.replace. Runs on the leader, where the caches it reads
 * are warm. The loop is HookSource's.
 */
import type { Clock } from '../../runtime/clock.js';
import type { Logger } from '../../runtime/logger.js';
import type { NotificationEvent } from '../../domain/notify/event.js';
import type { Notifier } from '../notifier.js';
import { HookSource } from './hook-source.js';

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

export class PeriodicSource extends HookSource<readonly NotificationEvent[]> {
  constructor(options: PeriodicSourceOptions) {
    super({
      name: options.name,
      label: options.source,
      read: options.evaluate,
      deliver: (events) => options.notifier.replace(options.source, events),
      periodMs: options.periodMs,
      ...(options.debounceMs === undefined ? {} : { debounceMs: options.debounceMs }),
      logger: options.logger,
      ...(options.clock === undefined ? {} : { clock: options.clock }),
    });
  }
}
