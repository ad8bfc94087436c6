/**
 * An informer: a cache of one kind, kept current by one reflector per watched namespace, and
 * the event handlers (normally "enqueue this key") that hear about each change. Handlers run
 * synchronously and must be cheap.
 */
import { systemClock, type Clock } from '../clock.js';
import type { KubeClient } from '../kube/client.js';
import { objectKey, type KubeObject, type ResourceType } from '../kube/resource.js';
import type { Logger } from '../logger.js';
import { Reflector } from './reflector.js';
import { NAMESPACE_INDEX, Store, type IndexFunc } from './store.js';

export interface EventHandler<T extends KubeObject> {
  onAdd?(obj: T): void;
  onUpdate?(oldObj: T, newObj: T): void;
  onDelete?(obj: T): void;
}

export interface InformerOptions<T extends KubeObject> {
  readonly client: KubeClient;
  readonly type: ResourceType;
  /** Namespaces to watch; empty or undefined watches all (and cluster-scoped types). */
  readonly namespaces?: readonly string[];
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  /** Cache only metadata (PartialObjectMetadata): for kinds whose bodies the controllers never read. */
  readonly metadataOnly?: boolean;
  /** Shrinks each object before it is cached; by default drops metadata.managedFields. */
  readonly transform?: (obj: KubeObject) => T;
  readonly indexers?: Readonly<Record<string, IndexFunc<T>>>;
  /** Re-delivers every cached object as an update this often; 0 disables. */
  readonly resyncPeriodMs?: number;
  /** A full relist this often, against events lost without an error. Default 30 min. */
  readonly relistPeriodMs?: number;
  /** Restart a watch that delivered nothing (not even a bookmark) for this long. Default 5 min. */
  readonly watchdogMs?: number;
  readonly pageSize?: number;
  readonly clock?: Clock;
  readonly random?: () => number;
  readonly logger: Logger;
}

/** The default transform: managedFields are often half of an object's size and no controller reads them. */
export function stripManagedFields(obj: KubeObject): KubeObject {
  if (obj.metadata.managedFields === undefined) return obj;
  const { managedFields: _dropped, ...metadata } = obj.metadata;
  return { ...obj, metadata };
}

export class Informer<T extends KubeObject> {
  readonly store: Store<T>;
  private readonly handlers: EventHandler<T>[] = [];
  private readonly reflectors: Reflector<T>[];
  private readonly clock: Clock;
  private resyncTimer: { cancel(): void } | undefined;
  private started = false;
  private stopped = false;

  constructor(readonly options: InformerOptions<T>) {
    this.clock = options.clock ?? systemClock;
    this.store = new Store<T>(options.indexers);
    const namespaces =
      options.type.namespaced && options.namespaces?.length ? options.namespaces : [undefined];
    this.reflectors = namespaces.map(
      (namespace) =>
        new Reflector<T>({
          client: options.client,
          type: options.type,
          namespace,
          labelSelector: options.labelSelector,
          fieldSelector: options.fieldSelector,
          metadataOnly: options.metadataOnly,
          pageSize: options.pageSize ?? 500,
          relistPeriodMs: options.relistPeriodMs ?? 30 * 60_000,
          watchdogMs: options.watchdogMs ?? 5 * 60_000,
          clock: this.clock,
          random: options.random ?? Math.random,
          logger: options.logger,
          transform: options.transform ?? ((obj) => stripManagedFields(obj) as T),
          onReplace: (objects) => this.replace(namespace, objects),
          onEvent: (type, obj) => this.apply(type, obj),
        }),
    );
  }

  get type(): ResourceType {
    return this.options.type;
  }

  /** Adds a handler; one added after the initial sync first hears about every cached object. */
  addHandler(handler: EventHandler<T>): void {
    this.handlers.push(handler);
    if (this.hasSynced()) for (const obj of this.store.list()) handler.onAdd?.(obj);
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    for (const reflector of this.reflectors) reflector.start();
    this.scheduleResync();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.resyncTimer?.cancel();
    await Promise.all(this.reflectors.map((r) => r.stop()));
  }

  hasSynced(): boolean {
    return this.reflectors.every((r) => r.synced);
  }

  /** Resolves true once synced; false when aborted or stopped first, so no waiter outlives it. */
  async waitForSync(signal?: AbortSignal): Promise<boolean> {
    while (!this.hasSynced()) {
      if (signal?.aborted || this.stopped) return false;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return true;
  }

  private apply(type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: T): void {
    if (type === 'DELETED') {
      const old = this.store.remove(objectKey(obj));
      for (const h of this.handlers) h.onDelete?.(old ?? obj);
      return;
    }
    const old = this.store.upsert(obj);
    for (const h of this.handlers) {
      if (old) h.onUpdate?.(old, obj);
      else h.onAdd?.(obj);
    }
  }

  /** Makes the store's share for `namespace` equal the listed state, telling handlers what differs. */
  private replace(namespace: string | undefined, objects: T[]): void {
    const listed = new Set(objects.map((o) => objectKey(o)));
    const previous =
      namespace === undefined ? this.store.list() : this.store.byIndex(NAMESPACE_INDEX, namespace);
    for (const old of previous) {
      const key = objectKey(old);
      if (listed.has(key)) continue;
      this.store.remove(key);
      for (const h of this.handlers) h.onDelete?.(old);
    }
    for (const obj of objects) {
      const old = this.store.get(objectKey(obj));
      if (old?.metadata.resourceVersion === obj.metadata.resourceVersion) continue;
      this.apply(old ? 'MODIFIED' : 'ADDED', obj);
    }
  }

  private scheduleResync(): void {
    const period = this.options.resyncPeriodMs ?? 0;
    if (period <= 0) return;
    this.resyncTimer = this.clock.setTimer(period, () => {
      if (this.hasSynced()) {
        for (const obj of this.store.list()) for (const h of this.handlers) h.onUpdate?.(obj, obj);
      }
      this.scheduleResync();
    });
  }
}
