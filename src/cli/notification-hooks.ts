/**
 * Wiring of the features that notify through `NotificationHooks` (src/notify/hooks.ts) with
 * complete sets, for `gateway-worker operator`. Each piece runs on the leader, where the
 * notifications' own leader components run, and is returned for the manager. No logic.
 */
import type { NotificationHooks } from '../notify/hooks.js';
import type { Component } from '../runtime/component.js';
import type { Controller } from '../runtime/controller/controller.js';
import { FeedHealthReporter } from '../threats/feed-health-reporter.js';
import type { ThreatFeedHealthHooks } from '../threats/feed-health.js';

export interface NotificationHookDeps {
  readonly hooks: NotificationHooks;
  readonly threats: {
    readonly feedHealth: ThreatFeedHealthHooks;
    readonly feedController: Pick<Controller, 'initialPass'>;
  };
}

export function notificationHookComponents(deps: NotificationHookDeps): Component[] {
  const { hooks } = deps;
  const feeds = new FeedHealthReporter({
    health: deps.threats.feedHealth,
    initialPass: deps.threats.feedController.initialPass,
    report: (all) => hooks.feeds(all),
  });
  return [feeds];
}
