/**
 * NotificationChannel controller: checks that a channel can be used (its Secrets and keys exist)
 * and reports it in Ready, and shows what happened to its deliveries — sent, failed, retried,
 * dead letters, pending, the last error — from the counts the sender keeps in the store. The
 * sender asks for a refresh after deliveries (at most every few seconds per channel); an unusable
 * channel is checked again every minute, a usable one every five (a Secret deleted meanwhile).
 */
import type { Registry } from 'prom-client';
import { NotificationChannelResource, statusOf, type NotificationChannel } from '../../api/v1alpha1/index.js';
import { systemClock, type Clock } from '../../runtime/clock.js';
import {
  Controller,
  type ReconcileRequest,
  type ReconcileResult,
} from '../../runtime/controller/controller.js';
import type { Manager } from '../../runtime/controller/manager.js';
import type { KubeClient } from '../../runtime/kube/client.js';
import type { Logger } from '../../runtime/logger.js';
import { conditionTime, setCondition, type ConditionInput } from '../../runtime/status/conditions.js';
import type { ChannelStats } from '../../notify/notify-repository.js';
import type { ChannelResolver } from '../../notify/channel-resolver.js';
import { writeStatus } from '../write-status.js';

export interface NotificationChannelControllerOptions {
  readonly client: KubeClient;
  readonly manager: Manager;
  readonly resolver: ChannelResolver;
  /** Delivery counts from the store; undefined while it is not reachable (the status keeps its last counts). */
  readonly stats: (channel: string) => Promise<ChannelStats | undefined>;
  readonly logger: Logger;
  readonly workers: number;
  readonly registry?: Registry;
  readonly clock?: Clock;
}

const RECHECK_UNUSABLE_MS = 60_000;
const RECHECK_READY_MS = 300_000;

export function notificationChannelController(options: NotificationChannelControllerOptions): Controller {
  const channels = options.manager.informer<NotificationChannel>(NotificationChannelResource);
  const clock = options.clock ?? systemClock;
  const controller = new Controller({
    name: 'notificationchannel',
    workers: Math.min(options.workers, 2),
    logger: options.logger,
    registry: options.registry,
    clock: options.clock,
    reconcile: (request) => reconcile(request),
  }).watchPrimary(channels);

  async function reconcile({ key }: ReconcileRequest): Promise<ReconcileResult | undefined> {
    const channel = channels.store.get(key);
    if (!channel) return undefined;
    const status = statusOf(channel);
    const resolution = await options.resolver.resolve(channel);
    const ready: ConditionInput = resolution.ok
      ? {
          type: 'Ready',
          status: 'True',
          reason: channel.spec.suspend ? 'Suspended' : 'Ready',
          message: channel.spec.suspend
            ? 'Suspended: deliveries wait until spec.suspend is false.'
            : `Delivers to ${describe(channel)}.`,
        }
      : {
          type: 'Ready',
          status: 'False',
          reason: 'RefNotFound',
          message: `${resolution.problem}; deliveries fail and are retried until it does.`,
        };
    const stats = await options.stats(key).catch(() => undefined);
    const now = new Date(clock.now());
    const written = await writeStatus(options.client, NotificationChannelResource, channel, {
      conditions: setCondition(
        status?.conditions,
        { ...ready, observedGeneration: channel.metadata.generation },
        now,
      ),
      ...(stats
        ? { deliveries: deliveries(stats) }
        : status?.deliveries
          ? { deliveries: status.deliveries }
          : {}),
    });
    return written ?? { requeueAfterMs: resolution.ok ? RECHECK_READY_MS : RECHECK_UNUSABLE_MS };
  }

  return controller;
}

function describe(channel: NotificationChannel): string {
  const { spec } = channel;
  switch (spec.type) {
    case 'webhook':
      return spec.webhook?.url
        ? `webhook ${new URL(spec.webhook.url).host}`
        : 'the webhook URL in its Secret';
    case 'email':
      return `${spec.email?.to.join(', ') ?? ''} through ${spec.email?.host ?? ''}:${spec.email?.port ?? ''}`;
    case 'pagerduty':
      return `PagerDuty (${spec.pagerduty ? new URL(spec.pagerduty.url).host : ''})`;
    case 'slack':
      return 'Slack';
    case 'msteams':
      return 'Microsoft Teams';
  }
}

function deliveries(stats: ChannelStats) {
  return {
    sent: stats.sent,
    failed: stats.failed,
    retried: stats.retried,
    dead: stats.dead,
    pending: stats.pending,
    ...(stats.lastSentAt === undefined ? {} : { lastSentTime: conditionTime(new Date(stats.lastSentAt)) }),
    ...(stats.lastFailureAt === undefined
      ? {}
      : { lastFailureTime: conditionTime(new Date(stats.lastFailureAt)) }),
    ...(stats.lastError === undefined ? {} : { lastError: stats.lastError.slice(0, 1024) }),
  };
}
