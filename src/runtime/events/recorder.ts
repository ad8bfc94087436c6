/**
 * Records events.k8s.io/v1 Events the way client-go's events broadcaster does: a repeat of the
 * same (object, reason, type, note, action) within 6 minutes bumps the existing Event's series
 * instead of creating another object, and a per-object token bucket drops floods.
 *
 * Recording is fire-and-forget: record() returns at once, never throws, and a single background
 * writer drains a bounded queue, so a slow or failing API server never slows a reconcile. Lost
 * Events are logged at debug: they are best-effort by design, like Kubernetes' own.
 *
 * Secrets: an Event is readable by anyone who may list events in the namespace, often a wider
 * audience than the Secrets there. The recorder writes exactly the reason, note and action the
 * caller passes plus the object's reference, and adds nothing else; so callers must never put key
 * material, tokens or Secret data in a note (name the Secret, never quote it).
 */
import { hostname } from 'node:os';
import { systemClock, type Clock } from '../clock.js';
import type { KubeClient } from '../kube/client.js';
import { isNotFound } from '../kube/errors.js';
import { CoreTypes } from '../kube/resource.js';
import { silentLogger, type Logger } from '../logger.js';
import {
  DEFAULT_SPAM_FILTER,
  EventCorrelator,
  SERIES_WINDOW_MS,
  type SeriesEntry,
  type SpamFilterConfig,
} from './correlator.js';
import {
  eventBody,
  eventName,
  microTime,
  normalizeFields,
  type EventObject,
  type EventType,
  type Regarding,
} from './event.js';

export type EventClient = Pick<KubeClient, 'create' | 'mergePatch'>;

export interface EventRecorderOptions {
  readonly client: EventClient;
  /** reportingInstance: which replica reported, normally the pod name. Default: the host name. */
  readonly instance?: string;
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Distinct Events waiting to be written; beyond it new ones are dropped. Default 1000. */
  readonly maxQueue?: number;
  readonly spamFilter?: SpamFilterConfig;
  readonly seriesWindowMs?: number;
}

/** What the writer needs to create or count one series; one per series key while queued. */
interface Pending {
  readonly regarding: Regarding;
  readonly entry: SeriesEntry;
  readonly body: EventObject;
}

export const DEFAULT_ACTION = 'Reconcile';

export class EventRecorder {
  private readonly client: EventClient;
  private readonly instance: string;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly maxQueue: number;
  private readonly correlator: EventCorrelator;
  // Keyed by series key: a series with writes pending is queued once, and the writer sends
  // its latest count, so a burst of repeats costs one request.
  private readonly queue = new Map<string, Pending>();
  private draining: Promise<void> | undefined;
  private sequence = 0;

  constructor(options: EventRecorderOptions) {
    this.client = options.client;
    this.instance = options.instance ?? hostname();
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
    this.maxQueue = options.maxQueue ?? 1000;
    this.correlator = new EventCorrelator(
      options.spamFilter ?? DEFAULT_SPAM_FILTER,
      options.seriesWindowMs ?? SERIES_WINDOW_MS,
    );
  }

  /**
   * Records that `reason` happened to `obj`. `note` is shown to humans (at most 1024 bytes, cut
   * beyond) and must not contain secret material; `action` says what the controller was doing.
   */
  record(
    obj: Regarding,
    type: EventType,
    reason: string,
    note: string,
    action: string = DEFAULT_ACTION,
  ): void {
    try {
      const fields = normalizeFields({ type, reason, note, action, reportingInstance: this.instance });
      const { uid, namespace, name } = obj.metadata;
      const object = uid ?? `${obj.kind}/${namespace ?? ''}/${name ?? ''}`;
      const now = this.clock.now();
      const decision = this.correlator.observe({ object, ...fields }, now);
      if (decision.kind === 'drop') {
        this.logger.debug('event dropped by the spam filter', { reason, kind: obj.kind, namespace, name });
        return;
      }
      const { entry } = decision;
      const queued = this.queue.get(entry.key);
      // Already queued for this series: the writer will send its latest count.
      if (queued?.entry !== entry) {
        if (!queued && this.queue.size >= this.maxQueue) {
          this.logger.debug('event dropped: queue full', { reason, kind: obj.kind, namespace, name });
          return;
        }
        // A new series replaces a stale queue item of the one it ends.
        this.queue.set(entry.key, {
          regarding: obj,
          entry,
          body: eventBody(obj, fields, entry.firstObservedTime),
        });
      }
      this.kick();
    } catch (error) {
      this.logger.debug('event not recorded', { reason, error });
    }
  }

  /** Resolves once every queued Event is written (or given up on); for tests and shutdown. */
  async flush(): Promise<void> {
    while (this.draining) await this.draining;
  }

  /** Series keys with writes pending. */
  get pending(): number {
    return this.queue.size;
  }

  private kick(): void {
    if (this.draining) return;
    this.draining = Promise.resolve()
      .then(() => this.drain())
      .finally(() => {
        this.draining = undefined;
        // An item queued between the loop's last look and this callback would otherwise wait
        // for the next record().
        if (this.queue.size > 0) this.kick();
      });
  }

  private async drain(): Promise<void> {
    for (let next = first(this.queue); next; next = first(this.queue)) {
      const [key, pending] = next;
      this.queue.delete(key);
      try {
        await this.write(pending.entry, pending.body);
      } catch (error) {
        this.logger.debug('event write failed', {
          reason: pending.body.reason,
          kind: pending.regarding.kind,
          namespace: pending.regarding.metadata.namespace,
          name: pending.regarding.metadata.name,
          error,
        });
      }
    }
  }

  private async write(entry: SeriesEntry, body: EventObject): Promise<void> {
    const count = entry.count;
    const series = { count, lastObservedTime: microTime(entry.lastObservedTime) };
    if (entry.eventName !== undefined) {
      if (count <= entry.writtenCount) return;
      try {
        await this.client.mergePatch(CoreTypes.event, body.metadata.namespace, entry.eventName, { series });
        entry.writtenCount = Math.max(entry.writtenCount, count);
        return;
      } catch (error) {
        // Deleted (Events expire after an hour by default): start again with a new object.
        if (!isNotFound(error)) throw error;
        entry.eventName = undefined;
      }
    }
    const objectName = body.regarding.name ?? body.regarding.kind.toLowerCase();
    const metadata = { ...body.metadata, name: eventName(objectName, this.clock.now(), this.sequence++) };
    // The API server accepts a series only from count 2.
    const created = await this.client.create(CoreTypes.event, {
      ...body,
      metadata,
      ...(count >= 2 ? { series } : {}),
    });
    entry.eventName = created.metadata.name;
    entry.writtenCount = Math.max(entry.writtenCount, count);
  }
}

function first<K, V>(map: Map<K, V>): [K, V] | undefined {
  const next = map.entries().next();
  return next.done ? undefined : next.value;
}
