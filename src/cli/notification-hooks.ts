/**
 * Wiring of the features that notify through `NotificationHooks` (src/notify/hooks.ts) with
 * complete sets, for `gateway-worker operator`. Each piece runs on the leader, where the
 * notifications' own leader components run, and is returned for the manager. No logic.
 */
import { isDbopsKind, OPERATIONS } from '../dbops/operations.js';
import { NOTIFYING_OPERATIONS } from '../domain/dbops/failed-operations.js';
import type { NotificationHooks } from '../notify/hooks.js';
import { databaseOperationsSource } from '../notify/sources/database-operations-source.js';
import { TrafficHourSource } from '../notify/sources/traffic-hour-source.js';
import type { Component } from '../runtime/component.js';
import type { Controller } from '../runtime/controller/controller.js';
import type { Manager } from '../runtime/controller/manager.js';
import type { Logger } from '../runtime/logger.js';
import type { Database } from '../storage/database.js';
import { FeedHealthReporter } from '../threats/feed-health-reporter.js';
import type { ThreatFeedHealthHooks } from '../threats/feed-health.js';

export interface NotificationHookDeps {
  readonly hooks: NotificationHooks;
  readonly manager: Manager;
  readonly logger: Logger;
  readonly store: { readonly database: Database | undefined };
  readonly schema: string;
  readonly threats: {
    readonly feedHealth: ThreatFeedHealthHooks;
    readonly feedController: Pick<Controller, 'initialPass'>;
  };
}

export function notificationHookComponents(deps: NotificationHookDeps): Component[] {
  const { hooks, manager } = deps;
  const logger = deps.logger.child({ component: 'notifications' });
  const feeds = new FeedHealthReporter({
    health: deps.threats.feedHealth,
    initialPass: deps.threats.feedController.initialPass,
    report: (all) => hooks.feeds(all),
  });
  const databaseOperations = databaseOperationsSource({
    kinds: Object.keys(NOTIFYING_OPERATIONS)
      .filter(isDbopsKind)
      .map((kind) => ({ kind, informer: manager.informer(OPERATIONS[kind].resource) })),
    report: (failures) => hooks.databaseOperations(failures),
    logger,
  });
  const traffic = new TrafficHourSource({
    store: deps.store,
    schema: deps.schema,
    report: (series, hourStartMs) => hooks.trafficHour(series, hourStartMs),
    logger,
  });
  return [feeds, databaseOperations, traffic];
}
