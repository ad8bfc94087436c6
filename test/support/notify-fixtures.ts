/**
 * The notification pipeline — notifier, dispatcher, sender — over a migrated schema of the run's
 * PostgreSQL, on a FakeClock, with policies and channels given as objects (defaults filled in as
 * the API server would) and Secrets from a map: what the delivery tests drive step by step.
 */
import { Registry } from 'prom-client';
import {
  API_VERSION,
  type NotificationChannel,
  type NotificationPolicy,
} from '../../src/api/v1alpha1/index.js';
import { ChannelResolver } from '../../src/notify/channel-resolver.js';
import { TRANSPORTS } from '../../src/notify/channels/transports.js';
import { Dispatcher } from '../../src/notify/dispatcher.js';
import { StoreNotifier } from '../../src/notify/notifier.js';
import { NotifyRepository } from '../../src/notify/notify-repository.js';
import { Sender, type ChannelLookup } from '../../src/notify/sender.js';
import { policyView } from '../../src/controllers/notificationpolicy/policy-view.js';
import type { PolicyView } from '../../src/domain/notify/policy.js';
import { FakeClock } from '../../src/runtime/clock.js';
import { silentLogger } from '../../src/runtime/logger.js';
import { withDefaults } from '../../src/validate/index.js';
import { migratedStore, type TestStore } from './job-fixtures.js';

export const NAMESPACE = 'ops';

export function channel(name: string, spec: Record<string, unknown>): NotificationChannel {
  const filled = withDefaults({
    apiVersion: API_VERSION,
    kind: 'NotificationChannel',
    metadata: { name, namespace: NAMESPACE },
    spec,
  });
  return filled as NotificationChannel;
}

export function policy(name: string, spec: Record<string, unknown>): NotificationPolicy {
  const filled = withDefaults({
    apiVersion: API_VERSION,
    kind: 'NotificationPolicy',
    metadata: { name, namespace: NAMESPACE },
    spec,
  });
  return filled as NotificationPolicy;
}

export interface Pipeline {
  readonly test: TestStore;
  readonly clock: FakeClock;
  readonly registry: Registry;
  readonly notifier: StoreNotifier;
  readonly dispatcher: Dispatcher;
  readonly sender: Sender;
  readonly repository: NotifyRepository;
  /** Stores what was emitted, routes it, flushes due groups and delivers what is due, in that order. */
  step(): Promise<void>;
  /** Another leader over the same store (after a restart), sharing clock, channels and policies. */
  restart(): Pipeline;
  close(): Promise<void>;
}

export interface PipelineSetup {
  channels: NotificationChannel[];
  policies: NotificationPolicy[];
  secrets?: Record<string, Record<string, string>>;
}

export async function startPipeline(
  setup: PipelineSetup,
  existing?: { test: TestStore; clock: FakeClock },
): Promise<Pipeline> {
  const test = existing?.test ?? (await migratedStore('notify'));
  const clock = existing?.clock ?? new FakeClock(Date.UTC(2026, 5, 1, 12));
  return build(setup, test, clock);
}

function build(setup: PipelineSetup, test: TestStore, clock: FakeClock): Pipeline {
  const registry = new Registry();
  const resolver = new ChannelResolver((_namespace, name) => Promise.resolve(setup.secrets?.[name]), clock);
  const views = (): PolicyView[] =>
    setup.policies.flatMap((p) => {
      const result = policyView(p);
      return result.ok && !p.spec.suspend ? [result.view] : [];
    });
  const channelOf = (key: string) =>
    setup.channels.find((c) => `${c.metadata.namespace ?? ''}/${c.metadata.name ?? ''}` === key);
  const dispatcher = new Dispatcher({
    store: test.store,
    schema: test.schema,
    policies: views,
    channelExists: (key) => channelOf(key) !== undefined,
    operatorNamespace: NAMESPACE,
    logger: silentLogger,
    registry,
    clock,
  });
  const sender = new Sender({
    store: test.store,
    schema: test.schema,
    lookup: async (key): Promise<ChannelLookup> => {
      const found = channelOf(key);
      if (!found) return { state: 'missing' };
      if (found.spec.suspend) return { state: 'suspended' };
      const resolution = await resolver.resolve(found);
      return resolution.ok
        ? { state: 'ready', channel: resolution.channel }
        : { state: 'unusable', spec: found.spec, problem: resolution.problem };
    },
    transports: TRANSPORTS,
    logger: silentLogger,
    registry,
    clock,
    random: () => 0,
  });
  const notifier = new StoreNotifier({
    store: test.store,
    schema: test.schema,
    logger: silentLogger,
    registry,
    clock,
  });
  notifier.start();
  dispatcher.attach(test.db);
  sender.attach(test.db);
  const repository = new NotifyRepository(test.db, test.schema);
  return {
    test,
    clock,
    registry,
    notifier,
    dispatcher,
    sender,
    repository,
    async step() {
      await notifier.settled();
      await dispatcher.tick();
      await sender.tick();
    },
    restart() {
      return build(setup, test, clock);
    },
    async close() {
      await notifier.stop();
    },
  };
}

export async function counterValue(
  registry: Registry,
  name: string,
  labels: Record<string, string>,
): Promise<number> {
  const metric = await registry.getSingleMetric(name)?.get();
  const value = metric?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l));
  return value?.value ?? 0;
}
