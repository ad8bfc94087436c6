/**
 * ThreatFeed controller: watches feeds; loads each feed's last good list from the store; starts a
 * refresh (FeedRefresher, off the reconcile) when one is due, the source changed or a refresh was
 * requested by annotation; publishes the list in service as the feed's IP deny list (DenyLists:
 * reserved space and allowlists taken out, sharded); and reports the list, the last attempt
 * (Degraded while a refresh is refused and the last good list serves), staleness and the gateways
 * in status and Events. A failed or suspect refresh never replaces the list in service.
 */
import type { Registry } from 'prom-client';
import { ThreatFeedResource, statusOf, type ThreatFeed } from '../../api/v1alpha1/index.js';
import { isStale, nextAttemptAt, staleAt } from '../../domain/threats/feed-schedule.js';
import type { RangeSet } from '../../domain/threats/ip-ranges.js';
import { systemClock, type Clock } from '../../runtime/clock.js';
import {
  Controller,
  type ReconcileContext,
  type ReconcileRequest,
  type ReconcileResult,
} from '../../runtime/controller/controller.js';
import type { Manager } from '../../runtime/controller/manager.js';
import type { Regarding } from '../../runtime/events/event.js';
import type { EventRecorder } from '../../runtime/events/recorder.js';
import type { Informer } from '../../runtime/informer/informer.js';
import type { KubeClient } from '../../runtime/kube/client.js';
import type { Logger } from '../../runtime/logger.js';
import { findCondition } from '../../runtime/status/conditions.js';
import type { StoredFeedState, ThreatFeedRepository } from '../../storage/threats/feed-repository.js';
import type { DenyLists } from '../../threats/deny-lists.js';
import type { ThreatFeedHealthHooks } from '../../threats/feed-health.js';
import type { ThreatMetrics } from '../../threats/metrics.js';
import type { PublisherRef } from '../publisher.js';
import { pushOwner, type PushStatusRouter } from '../push-owners.js';
import { writeStatus } from '../write-status.js';
import { FeedRefresher, type RefreshResult } from './refresher.js';
import { feedSource } from './source.js';
import { threatFeedStatus } from './status.js';

/**
 * Set or change its value (`kubectl annotate gwfeed NAME gateway.awesomeapi.com.br/refresh=$(date +%s)
 * --overwrite`) to download the feed now, whatever its schedule.
 */
export const REFRESH_ANNOTATION = 'gateway.awesomeapi.com.br/refresh';

/** A timer never fires sooner than this after a reconcile (clocks and rounding). */
const MIN_REQUEUE_MS = 1_000;

export interface ThreatFeedControllerOptions {
  readonly client: KubeClient;
  readonly manager: Manager;
  readonly publisher: PublisherRef;
  readonly router: PushStatusRouter;
  readonly recorder: EventRecorder;
  readonly logger: Logger;
  readonly workers: number;
  readonly denyLists: DenyLists;
  /** The feed store once connected; undefined (with `storeProblem`) until then. */
  readonly repository: () => ThreatFeedRepository | undefined;
  readonly storeProblem: () => string;
  readonly health?: ThreatFeedHealthHooks;
  readonly metrics?: ThreatMetrics;
  readonly registry?: Registry;
  readonly clock?: Clock;
  /** Downloads at once; 2 by default. */
  readonly refreshConcurrency?: number;
}

/** The deny-list source id of a feed: `feed:<namespace>/<name>`. */
export function feedSourceId(key: string): string {
  return `feed:${key}`;
}

export function threatFeedController(options: ThreatFeedControllerOptions): Controller {
  const feeds = options.manager.informer<ThreatFeed>(ThreatFeedResource);
  const enqueue = { to: (_key: string): void => undefined };
  const reconciler = new ThreatFeedReconciler(options, feeds, (key) => enqueue.to(key));
  const controller = new ThreatFeedController(reconciler, {
    name: 'threatfeed',
    workers: options.workers,
    logger: options.logger,
    registry: options.registry,
    clock: options.clock,
    reconcile: (request, context) => reconciler.reconcile(request, context),
  }).watchPrimary(feeds);
  enqueue.to = (key) => controller.enqueue(key);
  options.router.register('ThreatFeed', enqueue.to);
  return controller;
}

/** A controller that also abandons the downloads in flight when it stops (the lead is lost). */
class ThreatFeedController extends Controller {
  constructor(
    private readonly reconciler: ThreatFeedReconciler,
    options: ConstructorParameters<typeof Controller>[0],
  ) {
    super(options);
  }

  override async stop(): Promise<void> {
    this.reconciler.stop();
    await super.stop();
  }
}

/** What this replica knows of a feed: loaded from the store once, then kept by the refresher. */
interface Known {
  readonly uid: string;
  state: StoredFeedState | undefined;
  ranges: RangeSet | undefined;
  /** The REFRESH_ANNOTATION value already acted on. */
  refreshRequest: string | undefined;
}

class ThreatFeedReconciler {
  private readonly known = new Map<string, Known>();
  private readonly refresher: FeedRefresher;
  private readonly clock: Clock;

  constructor(
    private readonly options: ThreatFeedControllerOptions,
    private readonly feeds: Informer<ThreatFeed>,
    private readonly enqueue: (key: string) => void,
  ) {
    this.clock = options.clock ?? systemClock;
    this.refresher = new FeedRefresher({
      client: options.client,
      repository: options.repository,
      clock: this.clock,
      logger: options.logger.child({ component: 'threat-feed-refresher' }),
      ...(options.metrics ? { metrics: options.metrics } : {}),
      concurrency: options.refreshConcurrency ?? 2,
      onDone: (key, result) => this.refreshed(key, result),
    });
  }

  async reconcile(
    { key, namespace = '', name }: ReconcileRequest,
    { logger }: ReconcileContext,
  ): Promise<ReconcileResult | undefined> {
    const feed = this.feeds.store.get(key);
    if (!feed || feed.metadata.deletionTimestamp) {
      await this.forget(key, namespace, name, logger);
      return undefined;
    }
    const uid = feed.metadata.uid ?? '';
    const source = feedSource(feed.spec);
    const now = this.clock.now();

    let known = this.known.get(key);
    if (known?.uid !== uid) {
      const repository = this.options.repository();
      if (!repository) return this.waitForStore(feed, key);
      const stored = await repository.get(key);
      const state = stored?.uid === uid ? stored : undefined;
      const ranges = state?.list ? await repository.loadList(key, state.list.version) : undefined;
      known = {
        uid,
        state: ranges || !state?.list ? state : { ...state, list: undefined },
        ranges,
        // A request made before this replica saw the feed was handled by the one before it, or
        // is handled now when the feed has never been fetched.
        refreshRequest: feed.metadata.annotations?.[REFRESH_ANNOTATION],
      };
      this.known.set(key, known);
      if (known.state?.list)
        logger.info('serving the stored threat feed list', { entries: known.state.list.entries });
    }

    const request = feed.metadata.annotations?.[REFRESH_ANNOTATION];
    const requested = request !== undefined && request !== known.refreshRequest;
    known.refreshRequest = request;
    const state = known.state;
    const dueAt = nextAttemptAt(
      {
        lastAttemptAt: state?.lastAttemptAt?.getTime(),
        failures: state?.failures ?? 0,
        sourceChanged: state !== undefined && state.sourceHash !== source.hash,
      },
      source.intervalMs,
    );
    if ((requested || dueAt <= now) && !this.refresher.busy(key)) {
      this.refresher.start({ key, feed, source, previous: state });
    }
    const refreshing = this.refresher.busy(key);

    // Publish the list in service, whatever the last attempt said: last good stays last good.
    const sourceId = feedSourceId(key);
    const owner = pushOwner('ThreatFeed', key);
    const list = state?.list;
    const published =
      known.ranges && list
        ? this.options.denyLists.set({
            id: sourceId,
            owner,
            selector: feed.spec.gatewaySelector,
            ranges: known.ranges,
            version: list.version,
          })
        : undefined;

    const createdAt = Date.parse(feed.metadata.creationTimestamp ?? '') || now;
    const stale = isStale(list?.refreshedAt.getTime(), createdAt, source.staleAfterMs, now);
    const status = threatFeedStatus(
      feed,
      {
        state,
        published,
        refreshing,
        storeProblem: undefined,
        nextRefreshAt: dueAt === Number.NEGATIVE_INFINITY ? now : dueAt,
        stale,
        staleAfterMs: source.staleAfterMs,
        push: this.options.publisher().status(owner),
      },
      new Date(now),
    );
    this.recordTransitions(feed, status.conditions);
    this.report(feed, status.conditions, stale, list?.refreshedAt, source.staleAfterMs);
    const written = await writeStatus(this.options.client, ThreatFeedResource, feed, status);
    if (written) return written;
    if (refreshing) return undefined; // the refresher enqueues the feed when it is done
    const wakeAt = Math.min(
      dueAt,
      stale ? Number.POSITIVE_INFINITY : staleAt(list?.refreshedAt.getTime(), createdAt, source.staleAfterMs),
    );
    return { requeueAfterMs: Math.max(MIN_REQUEUE_MS, wakeAt - now) };
  }

  /** Stops everything for a feed that is gone: its refresh, its deny list, its stored state. */
  private async forget(key: string, namespace: string, name: string, logger: Logger): Promise<void> {
    this.refresher.cancel(key);
    this.options.denyLists.remove(feedSourceId(key));
    this.options.health?.remove(namespace, name);
    if (!this.known.delete(key)) return;
    try {
      await this.options.repository()?.delete(key);
    } catch (error) {
      // A leftover row is harmless: a new feed of that name has another uid and starts afresh.
      logger.warn('could not delete a removed threat feed from the store', {
        error: (error as Error).message,
      });
    }
  }

  private async waitForStore(feed: ThreatFeed, key: string): Promise<never> {
    const now = this.clock.now();
    const status = threatFeedStatus(
      feed,
      {
        state: undefined,
        published: undefined,
        refreshing: false,
        storeProblem: this.options.storeProblem(),
        nextRefreshAt: undefined,
        stale: false,
        staleAfterMs: feedSource(feed.spec).staleAfterMs,
        push: this.options.publisher().status(pushOwner('ThreatFeed', key)),
      },
      new Date(now),
    );
    await writeStatus(this.options.client, ThreatFeedResource, feed, status);
    // An error, not a requeue: a new leader must not push deny lists before it has read the last
    // good ones (the pusher holds the ip-deny type until this controller's first pass is done).
    throw new Error(`waiting for the store to read the last good list: ${this.options.storeProblem()}`);
  }

  private refreshed(key: string, result: RefreshResult): void {
    const known = this.known.get(key);
    if (!known || known.uid !== result.state.uid) return;
    known.state = result.state;
    if (result.ranges) known.ranges = result.ranges;
    this.enqueue(key);
  }

  /** An Event when a refresh starts being refused (or for another reason), and when it recovers. */
  private recordTransitions(feed: ThreatFeed, next: ReturnType<typeof threatFeedStatus>['conditions']): void {
    const before = findCondition(statusOf(feed)?.conditions, 'Degraded');
    const after = findCondition(next, 'Degraded');
    if (!after || (before?.status === after.status && before.reason === after.reason)) return;
    if (after.status === 'True')
      this.options.recorder.record(feed as Regarding, 'Warning', after.reason, after.message);
    else if (before?.status === 'True')
      this.options.recorder.record(feed as Regarding, 'Normal', 'Recovered', after.message);
  }

  private report(
    feed: ThreatFeed,
    conditions: ReturnType<typeof threatFeedStatus>['conditions'],
    stale: boolean,
    lastRefresh: Date | undefined,
    staleAfterMs: number,
  ): void {
    const health = this.options.health;
    if (!health) return;
    const degraded = findCondition(conditions, 'Degraded');
    health.report({
      namespace: feed.metadata.namespace ?? '',
      name: feed.metadata.name ?? '',
      ...(degraded?.status === 'True' && degraded.reason !== 'Stale'
        ? { degraded: { reason: degraded.reason, message: degraded.message } }
        : {}),
      ...(stale
        ? {
            stale: {
              ...(lastRefresh ? { lastUpdated: lastRefresh.toISOString() } : {}),
              maxAge: `${Math.round(staleAfterMs / 60_000)}m`,
            },
          }
        : {}),
    });
  }

  stop(): void {
    this.refresher.stop();
  }
}
