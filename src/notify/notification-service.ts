/**
 * Notifications, assembled: the notifier every replica emits through, and on the leader the two
 * controllers (NotificationChannel, NotificationPolicy), the built-in sources, the dispatcher
 * (grouping) and the sender (delivery). Built once in src/cli/operator.ts, which registers the
 * leader's components with the manager; other features receive
 * `hooks` (typed events) or `outbox` (reports) from there.
 *
 * Why a dispatcher of our own on the leader rather than the job queue: grouping is timer-driven
 * state that must live in one process (as in Alertmanager), and delivery needs what the queue's
 * retry policy does not do — the receiver's Retry-After as the next attempt time, one delivery at
 * a time per channel (a "resolved" never overtakes its "firing"), a rate limit per channel, and
 * metrics per channel. Both keep their state in the same store (migration 400), so a new leader
 * carries on with the groups, the notification log and the outbox where the last one stopped.
 */
import type { Registry } from 'prom-client';
import {
  NotificationChannelResource,
  type Certificate,
  type NotificationChannel,
  type WafRuleSet,
} from '../api/v1alpha1/index.js';
import { notificationChannelController } from '../controllers/notificationchannel/controller.js';
import { notificationPolicyController } from '../controllers/notificationpolicy/controller.js';
import type { TrafficThresholds } from '../domain/notify/sources/traffic-anomalies.js';
import { systemClock, type Clock } from '../runtime/clock.js';
import type { Component } from '../runtime/component.js';
import type { Manager } from '../runtime/controller/manager.js';
import type { Informer } from '../runtime/informer/informer.js';
import type { KubeClient } from '../runtime/kube/client.js';
import type { Logger } from '../runtime/logger.js';
import type { Database } from '../storage/database.js';
import { apiSecretReader, ChannelResolver, type SecretReader } from './channel-resolver.js';
import { TRANSPORTS } from './channels/transports.js';
import { Dispatcher } from './dispatcher.js';
import { incidentSource } from './sources/incident-source.js';
import { NotificationHooks } from './hooks.js';
import { StoreNotifier } from './notifier.js';
import { NotifyRepository } from './notify-repository.js';
import { StoreOutbox } from './outbox.js';
import { Sender, type ChannelLookup } from './sender.js';
import { builtinSources, type GatewayStates, type SourceThresholds } from './sources/builtin-sources.js';
import { JobFailureSource } from './sources/job-failures.js';
import { throttlePerKey } from './throttle.js';

export interface NotificationServiceOptions {
  readonly store: {
    readonly database: Database | undefined;
    readonly status: string;
    onReady(listener: (db: Database) => void): () => void;
  };
  readonly schema: string;
  readonly operatorNamespace: string;
  readonly client: KubeClient;
  readonly manager: Manager;
  readonly certificates: Informer<Certificate>;
  readonly wafRuleSets: Informer<WafRuleSet>;
  readonly gateways: GatewayStates;
  readonly thresholds: SourceThresholds;
  readonly trafficThresholds: TrafficThresholds;
  readonly logger: Logger;
  readonly registry: Registry;
  readonly workers: number;
  readonly clock?: Clock;
  readonly readSecret?: SecretReader;
}

const STATUS_REFRESH_MS = 5_000;

export class NotificationService {
  readonly notifier: StoreNotifier;
  readonly hooks: NotificationHooks;
  readonly outbox: StoreOutbox;
  readonly dispatcher: Dispatcher;
  readonly sender: Sender;
  /** Runs on every replica: the notifier's connection to the alert store. */
  readonly component: Component;
  /** For the manager, to run on the leader only: the two controllers, the sources, the dispatcher and the sender. */
  readonly leaderComponents: readonly Component[];

  constructor(options: NotificationServiceOptions) {
    const clock = options.clock ?? systemClock;
    const logger = options.logger.child({ component: 'notifications' });
    const { store, schema, manager } = options;
    const channels = manager.informer<NotificationChannel>(NotificationChannelResource);
    const resolver = new ChannelResolver(options.readSecret ?? apiSecretReader(options.client), clock);

    const policies = notificationPolicyController({
      client: options.client,
      manager,
      dispatcher: {
        activity: (key) => this.dispatcher.activity(key),
        policiesChanged: () => this.dispatcher.policiesChanged(),
      },
      logger,
      workers: options.workers,
      registry: options.registry,
      clock: options.clock,
    });
    const channelController = notificationChannelController({
      client: options.client,
      manager,
      resolver,
      stats: async (key) =>
        store.database ? new NotifyRepository(store.database, schema).stats(key) : undefined,
      logger,
      workers: options.workers,
      registry: options.registry,
      clock: options.clock,
    });

    this.dispatcher = new Dispatcher({
      store,
      schema,
      policies: () => policies.policies(),
      channelExists: (key) => channels.store.get(key) !== undefined,
      operatorNamespace: options.operatorNamespace,
      logger,
      registry: options.registry,
      clock: options.clock,
      onDeliveries: () => this.sender.wake(),
      onPolicyActivity: throttlePerKey((key) => policies.refresh(key), STATUS_REFRESH_MS, clock),
    });
    this.sender = new Sender({
      store,
      schema,
      lookup: async (key): Promise<ChannelLookup> => {
        const channel = channels.store.get(key);
        if (!channel) return { state: 'missing' };
        if (channel.spec.suspend) return { state: 'suspended' };
        const resolution = await resolver.resolve(channel);
        return resolution.ok
          ? { state: 'ready', channel: resolution.channel }
          : { state: 'unusable', spec: channel.spec, problem: resolution.problem };
      },
      transports: TRANSPORTS,
      logger,
      registry: options.registry,
      clock: options.clock,
      onOutcome: throttlePerKey((key) => channelController.enqueue(key), STATUS_REFRESH_MS, clock),
    });
    this.notifier = new StoreNotifier({
      store,
      schema,
      logger,
      registry: options.registry,
      clock: options.clock,
      onStored: () => this.dispatcher.wake(),
    });
    const incidents = incidentSource({ store, schema, notifier: this.notifier, logger, clock });
    this.hooks = new NotificationHooks(this.notifier, options.trafficThresholds, () => incidents.changed());
    this.outbox = new StoreOutbox({
      store,
      schema,
      clock: options.clock,
      onQueued: () => this.sender.wake(),
    });

    // A channel resumed or fixed may have deliveries waiting.
    channels.addHandler({ onUpdate: () => this.sender.wake(), onAdd: () => this.sender.wake() });

    const sources = builtinSources({
      notifier: this.notifier,
      certificates: options.certificates,
      wafRuleSets: options.wafRuleSets,
      gateways: options.gateways,
      thresholds: options.thresholds,
      logger,
      clock: options.clock,
    });
    const jobs = new JobFailureSource({
      store,
      schema,
      notifier: this.notifier,
      logger,
      clock: options.clock,
    });
    this.leaderComponents = [
      channelController,
      policies.controller,
      this.dispatcher,
      this.sender,
      ...sources,
      jobs,
      incidents,
    ];
    this.component = {
      name: 'notifier',
      start: () => {
        this.notifier.start();
        return Promise.resolve();
      },
      stop: () => this.notifier.stop(),
    };
  }
}
