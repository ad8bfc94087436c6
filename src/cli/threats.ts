/**
 * Wiring of threat feeds and allowlists for `gateway-worker operator`: the feed store, the
 * allowlists read from their informers, the deny lists every source publishes through (feeds now;
 * decisions add themselves with `denyLists.set(...)`), and the two controllers. No logic.
 */
import type { Registry } from 'prom-client';
import {
  ALLOWLIST_CONFIGMAP_LABEL,
  ThreatAllowlistResource,
  ThreatFeedResource,
  type ThreatAllowlist,
  type ThreatFeed,
} from '../api/v1alpha1/index.js';
import type { PublisherRef } from '../controllers/publisher.js';
import type { PushStatusRouter } from '../controllers/push-owners.js';
import { threatAllowlistController } from '../controllers/threatallowlist/controller.js';
import { threatFeedController } from '../controllers/threatfeed/controller.js';
import type { Controller } from '../runtime/controller/controller.js';
import type { Manager } from '../runtime/controller/manager.js';
import type { EventRecorder } from '../runtime/events/recorder.js';
import type { KubeClient } from '../runtime/kube/client.js';
import { CoreTypes, type ConfigMap } from '../runtime/kube/resource.js';
import type { Logger } from '../runtime/logger.js';
import type { Store } from '../storage/store.js';
import { ThreatFeedRepository } from '../storage/threats/feed-repository.js';
import { Allowlists } from '../threats/allowlists.js';
import { DenyLists } from '../threats/deny-lists.js';
import { ThreatFeedHealthHooks } from '../threats/feed-health.js';
import { threatMetrics } from '../threats/metrics.js';

export interface ThreatsDeps {
  readonly client: KubeClient;
  readonly manager: Manager;
  readonly router: PushStatusRouter;
  readonly recorder: EventRecorder;
  readonly publisher: PublisherRef;
  readonly logger: Logger;
  readonly registry: Registry;
  readonly workers: number;
  readonly store: Store;
  readonly schema: string;
}

export interface Threats {
  /** Where every deny-list source publishes (docs/threats.md, "Deny-list sources"). */
  readonly denyLists: DenyLists;
  /** Feed health changes, for notifications. */
  readonly feedHealth: ThreatFeedHealthHooks;
  readonly feedController: Controller;
  readonly allowlistController: Controller;
}

export function threatComponents(deps: ThreatsDeps): Threats {
  const { manager, logger, registry } = deps;
  const metrics = threatMetrics(registry);
  const allowlistObjects = manager.informer<ThreatAllowlist>(ThreatAllowlistResource);
  const allowlistConfigMaps = manager.informer<ConfigMap>(CoreTypes.configMap, {
    labelSelector: `${ALLOWLIST_CONFIGMAP_LABEL}=true`,
  });
  const reader = new Allowlists(allowlistObjects, allowlistConfigMaps);
  const denyLists = new DenyLists({
    publisher: deps.publisher,
    allowlist: () => reader.current(),
    logger: logger.child({ component: 'deny-lists' }),
    onPublished: (id, published) => metrics.denyRanges.set({ source: id }, published.ranges),
  });
  const feedHealth = new ThreatFeedHealthHooks();
  const feeds = manager.informer<ThreatFeed>(ThreatFeedResource);
  let repository: { db: unknown; repo: ThreatFeedRepository } | undefined;
  const feedController = threatFeedController({
    ...deps,
    denyLists,
    health: feedHealth,
    metrics,
    repository: () => {
      const db = deps.store.database;
      if (!db) return undefined;
      if (repository?.db !== db) repository = { db, repo: new ThreatFeedRepository(db, deps.schema) };
      return repository.repo;
    },
    storeProblem: () => deps.store.status,
  });
  const allowlistController = threatAllowlistController({
    client: deps.client,
    allowlists: allowlistObjects,
    allowlistConfigMaps,
    reader,
    denyLists: () => denyLists,
    // Each feed's status counts the ranges allowlists cut from it.
    onChange: () => {
      for (const feed of feeds.store.list())
        feedController.enqueue(`${feed.metadata.namespace ?? ''}/${feed.metadata.name ?? ''}`);
    },
    logger,
    workers: deps.workers,
    registry,
  });
  return { denyLists, feedHealth, feedController, allowlistController };
}
