/**
 * A controller: watches a primary kind, the kinds it owns and any mapped kinds, turns each
 * event into a `namespace/name` key on a rate-limited work queue, and runs `reconcile(key)` on
 * a fixed number of workers, never two at once for the same key. Errors back off per key;
 * a TerminalError waits for the object to change; a result may ask to run again later.
 */
import { randomUUID } from 'node:crypto';
import type { Registry } from 'prom-client';
import { systemClock, type Clock } from '../clock.js';
import type { Component } from '../component.js';
import type { Informer } from '../informer/informer.js';
import { objectKey, splitKey, type KubeObject } from '../kube/resource.js';
import type { Logger } from '../logger.js';
import { WorkQueue } from '../workqueue/queue.js';
import type { RateLimiter } from '../workqueue/rate-limiter.js';
import { controllerMetrics, type ControllerMetrics } from './metrics.js';
import type { UpdatePredicate } from './predicates.js';

export interface ReconcileRequest {
  readonly key: string;
  readonly namespace: string | undefined;
  readonly name: string;
}

export interface ReconcileResult {
  /** Run again after this long (e.g. a certificate's renewal time), even if nothing changes. */
  readonly requeueAfterMs?: number;
}

export interface ReconcileContext {
  /** The controller's logger with `namespace`, `name` and `reconcileID` of this reconcile. */
  readonly logger: Logger;
  readonly reconcileID: string;
  /**
   * Aborted when the reconcile runs longer than the controller's `reconcileTimeoutMs`: pass it to
   * API calls and long steps so a hung request does not hold a worker for good.
   */
  readonly signal: AbortSignal;
}

export type Reconcile = (
  request: ReconcileRequest,
  context: ReconcileContext,
) => Promise<ReconcileResult | undefined>;

/**
 * An error retrying cannot fix (a spec no retry can make work): logged and counted, not retried
 * with back-off; the object is reconciled again when it changes, or at `requeueAfterMs` when the
 * object has a schedule of its own that still holds (e.g. a served certificate's expiry).
 */
export class TerminalError extends Error {
  override name = 'TerminalError';

  constructor(
    message: string,
    readonly options: { readonly requeueAfterMs?: number } = {},
  ) {
    super(message);
  }
}

/** The default of {@link ControllerOptions.reconcileTimeoutMs}. */
export const DEFAULT_RECONCILE_TIMEOUT_MS = 60_000;

export interface ControllerOptions {
  readonly name: string;
  readonly reconcile: Reconcile;
  readonly workers: number;
  readonly logger: Logger;
  readonly registry?: Registry;
  readonly clock?: Clock;
  readonly rateLimiter?: RateLimiter;
  /** When a reconcile's signal aborts; 60 s by default. */
  readonly reconcileTimeoutMs?: number;
}

export interface WatchOptions<T extends KubeObject> {
  /** Update events pass only when one of these is true; create and delete always pass. */
  readonly predicates?: readonly UpdatePredicate<T>[];
}

export class Controller implements Component {
  readonly name: string;
  private readonly queue: WorkQueue;
  private readonly metrics: ControllerMetrics | undefined;
  private readonly logger: Logger;
  private readonly informers = new Set<Informer<KubeObject>>();
  private workers: Promise<void>[] = [];
  private running = false;
  /** Keys queued before the workers started: what existed when this controller took over. */
  private readonly initialKeys = new Set<string>();
  private workersStarted = false;
  private resolveInitialPass: () => void = () => undefined;
  /**
   * Resolves once every key queued before the workers started has been reconciled without an
   * error that is retried (success, a requeue or a terminal error): the controller has acted on
   * everything that existed when it started. The pusher waits for it before replacing what the
   * gateways serve.
   */
  readonly initialPass = new Promise<void>((resolve) => {
    this.resolveInitialPass = resolve;
  });

  constructor(private readonly options: ControllerOptions) {
    this.name = options.name;
    this.logger = options.logger.child({ controller: options.name });
    this.queue = new WorkQueue({
      name: options.name,
      controller: options.name,
      clock: options.clock ?? systemClock,
      rateLimiter: options.rateLimiter,
      registry: options.registry,
    });
    this.metrics = options.registry ? controllerMetrics(options.registry) : undefined;
    this.metrics?.maxConcurrent.set({ controller: this.name }, options.workers);
    this.metrics?.activeWorkers.set({ controller: this.name }, 0);
  }

  /** The kind this controller reconciles: each object maps to its own key. */
  watchPrimary<T extends KubeObject>(informer: Informer<T>, options: WatchOptions<T> = {}): this {
    return this.watchMapped(informer, (obj) => [objectKey(obj)], options);
  }

  /** Objects this controller creates: an event maps to the owner named by the controller ownerReference. */
  watchOwned<T extends KubeObject>(
    informer: Informer<T>,
    owner: { apiVersion: string; kind: string },
    options: WatchOptions<T> = {},
  ): this {
    return this.watchMapped(
      informer,
      (obj) =>
        (obj.metadata.ownerReferences ?? [])
          .filter((ref) => ref.controller && ref.kind === owner.kind && ref.apiVersion === owner.apiVersion)
          .map((ref) => (obj.metadata.namespace ? `${obj.metadata.namespace}/${ref.name}` : ref.name)),
      options,
    );
  }

  /** Any other kind: `map` says which primary keys an event concerns. */
  watchMapped<T extends KubeObject>(
    informer: Informer<T>,
    map: (obj: T) => readonly string[],
    options: WatchOptions<T> = {},
  ): this {
    const predicates = options.predicates ?? [];
    const enqueue = (obj: T): void => {
      for (const key of map(obj)) this.add(key);
    };
    informer.addHandler({
      onAdd: enqueue,
      onDelete: enqueue,
      onUpdate: (oldObj, newObj) => {
        if (predicates.length > 0 && !predicates.some((p) => p(oldObj, newObj))) return;
        // A changed mapping must reach both the old and the new primary.
        enqueue(oldObj);
        if (oldObj !== newObj) enqueue(newObj);
      },
    });
    this.informers.add(informer as unknown as Informer<KubeObject>);
    return this;
  }

  /** Enqueues a key directly (e.g. from a non-Kubernetes source such as a gateway's ACK). */
  enqueue(key: string): void {
    this.add(key);
  }

  private add(key: string): void {
    if (!this.workersStarted) this.initialKeys.add(key);
    this.queue.add(key);
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    for (const informer of this.informers) {
      if (!(await informer.waitForSync())) return; // stopped before the caches synced
    }
    this.workersStarted = true;
    if (this.initialKeys.size === 0) this.resolveInitialPass();
    this.logger.info('starting workers', { workers: this.options.workers });
    this.workers = Array.from({ length: this.options.workers }, () => this.work());
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    await this.queue.shutDownWithDrain();
    await Promise.all(this.workers);
    this.logger.info('stopped');
  }

  /** Queue depth, for tests and benchmarks. */
  get pending(): number {
    return this.queue.len();
  }

  private async work(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      this.metrics?.activeWorkers.inc({ controller: this.name });
      try {
        await this.reconcileOne(key);
        // A failure waiting for its retry has not acted yet; forget() zeroed the count otherwise.
        const retried = this.queue.numRequeues(key) > 0;
        if (!retried && this.initialKeys.delete(key) && this.initialKeys.size === 0)
          this.resolveInitialPass();
      } finally {
        this.metrics?.activeWorkers.dec({ controller: this.name });
        this.queue.done(key);
      }
    }
  }

  private async reconcileOne(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const reconcileID = randomUUID();
    const logger = this.logger.child({ namespace, name, reconcileID });
    const stopTimer = this.metrics?.reconcileTime.startTimer({ controller: this.name });
    const timeoutMs = this.options.reconcileTimeoutMs ?? DEFAULT_RECONCILE_TIMEOUT_MS;
    const abort = new AbortController();
    const timeout = (this.options.clock ?? systemClock).setTimer(timeoutMs, () => {
      abort.abort(new Error(`reconcile timed out after ${timeoutMs} ms`));
    });
    let result: string;
    try {
      const outcome = await this.options.reconcile(
        { key, namespace, name },
        { logger, reconcileID, signal: abort.signal },
      );
      if (outcome?.requeueAfterMs !== undefined) {
        this.queue.forget(key);
        this.queue.addAfter(key, outcome.requeueAfterMs);
        result = 'requeue_after';
      } else {
        this.queue.forget(key);
        result = 'success';
      }
    } catch (error) {
      result = 'error';
      this.metrics?.reconcileErrors.inc({ controller: this.name });
      if (!(error instanceof Error)) {
        // A thrown non-Error is this runtime's "panic": counted, logged, retried like an error.
        this.metrics?.panics.inc({ controller: this.name });
        logger.error('reconcile panicked', { panic: String(error) });
        this.queue.addRateLimited(key);
      } else if (error instanceof TerminalError) {
        this.metrics?.terminalErrors.inc({ controller: this.name });
        const requeueAfterMs = error.options.requeueAfterMs;
        logger.error('reconcile failed; not retrying until the object changes', {
          error: error.message,
          ...(requeueAfterMs === undefined ? {} : { nextLookMs: requeueAfterMs }),
        });
        this.queue.forget(key);
        if (requeueAfterMs !== undefined) this.queue.addAfter(key, requeueAfterMs);
      } else {
        logger.warn('reconcile failed; retrying with backoff', {
          error: error.message,
          retries: this.queue.numRequeues(key),
        });
        this.queue.addRateLimited(key);
      }
    } finally {
      timeout.cancel();
      stopTimer?.();
    }
    this.metrics?.reconcileTotal.inc({ controller: this.name, result });
  }
}
