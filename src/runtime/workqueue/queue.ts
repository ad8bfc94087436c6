import type { Registry } from 'prom-client';
import { type Clock, systemClock } from '../clock.js';
import { DelayedAdds } from './delayed-adds.js';
import { Fifo } from './fifo.js';
import { type QueueMetrics, queueMetrics } from './metrics.js';
import type { RateLimiter } from './rate-limiter.js';
import { defaultControllerRateLimiter } from './rate-limiter-default.js';

export interface WorkQueueOptions {
  /** Queue name, the `name` label of the workqueue_* metrics. */
  name: string;
  /** The `controller` label; controller-runtime sets it to the queue name, and so do we by default. */
  controller?: string;
  clock?: Clock;
  /** Defaults to {@link defaultControllerRateLimiter} on the same clock. */
  rateLimiter?: RateLimiter;
  /** Where the workqueue_* metrics go; without one the queue reports nothing. */
  registry?: Registry;
}

type Getter = (key: string | undefined) => void;

/**
 * A rate-limited, delaying work queue of object keys with client-go's guarantees: a key added
 * several times before a worker takes it runs once; a key is never held by two workers at once;
 * a key added while held runs once more after {@link done}.
 *
 * A key is in at most one of three places: `ready` (waiting for a worker, and then also in
 * `dirty`), `processing` (held by a worker; also in `dirty` if re-added meanwhile), or nowhere.
 */
export class WorkQueue {
  readonly name: string;
  private readonly rateLimiter: RateLimiter;
  private readonly metrics: QueueMetrics;
  private readonly delayed: DelayedAdds;
  private readonly ready = new Fifo<string>();
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly getters: Getter[] = [];
  private drainers: (() => void)[] = [];
  private stopping = false;

  constructor({ name, controller = name, clock = systemClock, rateLimiter, registry }: WorkQueueOptions) {
    this.name = name;
    this.rateLimiter = rateLimiter ?? defaultControllerRateLimiter(clock);
    this.metrics = queueMetrics(registry, { name, controller }, clock);
    this.delayed = new DelayedAdds(clock, (key) => {
      this.add(key);
    });
  }

  /** Queues `key` unless it is already waiting; after shutdown, does nothing. */
  add(key: string): void {
    if (this.stopping || this.dirty.has(key)) return;
    this.metrics.add(key);
    this.dirty.add(key);
    // A held key goes back to `ready` from done(), so no second worker can take it meanwhile.
    if (this.processing.has(key)) return;
    this.ready.push(key);
    this.handOff();
  }

  /**
   * The next key, which the caller holds until it calls {@link done}. Waits while the queue is
   * empty; resolves to undefined once the queue is shut down and holds nothing ready.
   */
  get(): Promise<string | undefined> {
    const key = this.take();
    if (key !== undefined || this.stopping) return Promise.resolve(key);
    return new Promise((resolve) => this.getters.push(resolve));
  }

  /** Releases `key`; if it was added again while held, it becomes ready again now. */
  done(key: string): void {
    // Ignoring a stray done() keeps a key from entering `ready` twice.
    if (!this.processing.delete(key)) return;
    this.metrics.done(key);
    if (this.dirty.has(key)) {
      this.ready.push(key);
      this.handOff();
    }
    this.settle();
  }

  /** Keys ready for a worker, not counting held or delayed ones (client-go Len). */
  len(): number {
    return this.ready.length;
  }

  /** Adds `key` after `delayMs`; if it is already waiting, the earlier deadline wins. */
  addAfter(key: string, delayMs: number): void {
    if (this.stopping) return;
    this.metrics.retry();
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    this.delayed.schedule(key, delayMs);
  }

  /** Adds `key` once the rate limiter allows it; call after a failed attempt. */
  addRateLimited(key: string): void {
    if (this.stopping) return;
    this.addAfter(key, this.rateLimiter.when(key));
  }

  /** Clears the failure history of `key`; call after it succeeded or was given up on. */
  forget(key: string): void {
    this.rateLimiter.forget(key);
  }

  numRequeues(key: string): number {
    return this.rateLimiter.numRequeues(key);
  }

  shuttingDown(): boolean {
    return this.stopping;
  }

  /**
   * Stops accepting keys and drops delayed ones. Workers still get the keys already ready, then
   * undefined. Also releases a pending {@link shutDownWithDrain}, as client-go's ShutDown does.
   */
  shutDown(): void {
    this.beginShutdown();
    this.releaseDrainers();
    this.settle();
  }

  /** Like {@link shutDown}, and resolves once no key is held by a worker any more. */
  shutDownWithDrain(): Promise<void> {
    this.beginShutdown();
    const drained = new Promise<void>((resolve) => this.drainers.push(resolve));
    this.settle();
    return drained;
  }

  private beginShutdown(): void {
    this.stopping = true;
    this.delayed.cancelAll();
    // Getters only wait while nothing is ready, so nothing more will ever reach them.
    for (const getter of this.getters.splice(0)) getter(undefined);
  }

  private take(): string | undefined {
    const key = this.ready.shift();
    if (key === undefined) return undefined;
    this.metrics.get(key);
    this.processing.add(key);
    this.dirty.delete(key);
    return key;
  }

  /** Gives ready keys to waiting getters; marking them held here, not when the promise settles,
   * closes the window in which an add() could hand the same key to a second worker. */
  private handOff(): void {
    while (this.getters.length > 0 && this.ready.length > 0) {
      const getter = this.getters.shift();
      const key = this.take();
      if (getter && key !== undefined) getter(key);
    }
  }

  private settle(): void {
    if (!this.stopping || this.processing.size > 0) return;
    this.releaseDrainers();
    if (this.ready.length === 0) this.metrics.release();
  }

  private releaseDrainers(): void {
    const drainers = this.drainers;
    this.drainers = [];
    for (const drained of drainers) drained();
  }
}
