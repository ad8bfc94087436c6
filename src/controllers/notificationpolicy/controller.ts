/**
 * NotificationPolicy controller: checks each policy (matchers compile, channels exist and are
 * ready), reports it in Ready, and shows what the dispatcher does with it (groups tracked, last
 * notification). The routing itself is the dispatcher's (src/notify/dispatcher.ts), which reads
 * the policies through `policies()` here; a change tells it to route the current alerts again.
 */
import type { Registry } from 'prom-client';
import {
  NotificationChannelResource,
  NotificationPolicyResource,
  statusOf,
  type NotificationChannel,
  type NotificationPolicy,
} from '../../api/v1alpha1/index.js';
import type { PolicyView } from '../../domain/notify/policy.js';
import { systemClock, type Clock } from '../../runtime/clock.js';
import {
  Controller,
  type ReconcileRequest,
  type ReconcileResult,
} from '../../runtime/controller/controller.js';
import type { Manager } from '../../runtime/controller/manager.js';
import type { Informer } from '../../runtime/informer/informer.js';
import type { KubeClient } from '../../runtime/kube/client.js';
import { objectKey } from '../../runtime/kube/resource.js';
import type { Logger } from '../../runtime/logger.js';
import {
  conditionTime,
  findCondition,
  setCondition,
  type ConditionInput,
} from '../../runtime/status/conditions.js';
import { writeStatus } from '../write-status.js';
import { policyView } from './policy-view.js';

export interface PolicyActivitySource {
  activity(policy: string): { readonly activeGroups: number; readonly lastNotifiedAt?: number };
  policiesChanged(): void;
}

export interface NotificationPolicyControllerOptions {
  readonly client: KubeClient;
  readonly manager: Manager;
  readonly dispatcher: PolicyActivitySource;
  readonly logger: Logger;
  readonly workers: number;
  readonly registry?: Registry;
  readonly clock?: Clock;
}

export interface PolicyController {
  readonly controller: Controller;
  /** The policies in force: valid and not suspended. */
  policies(): PolicyView[];
  /** Re-read a policy's activity into its status (throttled by the work queue). */
  refresh(policyKey: string): void;
}

export function notificationPolicyController(options: NotificationPolicyControllerOptions): PolicyController {
  const policies = options.manager.informer<NotificationPolicy>(NotificationPolicyResource);
  const channels = options.manager.informer<NotificationChannel>(NotificationChannelResource);
  const clock = options.clock ?? systemClock;
  const controller = new Controller({
    name: 'notificationpolicy',
    workers: Math.min(options.workers, 2),
    logger: options.logger,
    registry: options.registry,
    clock: options.clock,
    reconcile: (request) => reconcile(request),
  })
    .watchPrimary(policies)
    // A channel that comes, goes or changes readiness concerns the policies of its namespace that name it.
    .watchMapped(channels, (channel) =>
      policies.store
        .list()
        .filter(
          (p) =>
            p.metadata.namespace === channel.metadata.namespace &&
            p.spec.channels.some((c) => c.name === channel.metadata.name),
        )
        .map(objectKey),
    );
  const views = new Map<string, { version: string; view: PolicyView | undefined }>();

  function viewOf(policy: NotificationPolicy): PolicyView | undefined {
    const key = objectKey(policy);
    const version = policy.metadata.resourceVersion ?? '';
    const cached = views.get(key);
    if (cached?.version === version) return cached.view;
    const result = policyView(policy);
    const view = result.ok && !policy.spec.suspend ? result.view : undefined;
    views.set(key, { version, view });
    return view;
  }

  async function reconcile({ key }: ReconcileRequest): Promise<ReconcileResult | undefined> {
    const policy = policies.store.get(key);
    if (!policy) {
      views.delete(key);
      options.dispatcher.policiesChanged();
      return undefined;
    }
    const status = statusOf(policy);
    if (status?.observedGeneration !== policy.metadata.generation) options.dispatcher.policiesChanged();
    const now = new Date(clock.now());
    const ready = readyCondition(policy, channels);
    const activity = options.dispatcher.activity(key);
    return writeStatus(options.client, NotificationPolicyResource, policy, {
      conditions: setCondition(
        status?.conditions,
        { ...ready, observedGeneration: policy.metadata.generation },
        now,
      ),
      activeGroups: activity.activeGroups,
      ...(activity.lastNotifiedAt === undefined
        ? status?.lastNotificationTime
          ? { lastNotificationTime: status.lastNotificationTime }
          : {}
        : { lastNotificationTime: conditionTime(new Date(activity.lastNotifiedAt)) }),
    });
  }

  return {
    controller,
    policies: () =>
      policies.store
        .list()
        .map(viewOf)
        .filter((v): v is PolicyView => v !== undefined),
    refresh: (policyKey) => controller.enqueue(policyKey),
  };
}

function readyCondition(policy: NotificationPolicy, channels: Informer<NotificationChannel>): ConditionInput {
  const result = policyView(policy);
  if (!result.ok) return { type: 'Ready', status: 'False', reason: 'InvalidSpec', message: result.problem };
  const namespace = policy.metadata.namespace ?? '';
  const missing = policy.spec.channels
    .filter((c) => !channels.store.get(`${namespace}/${c.name}`))
    .map((c) => c.name);
  if (missing.length > 0) {
    return {
      type: 'Ready',
      status: 'False',
      reason: 'RefNotFound',
      message: `NotificationChannel ${missing.join(', ')} does not exist in namespace ${namespace}; groups are not sent to it until it does.`,
    };
  }
  const notReady = policy.spec.channels.filter((c) => {
    const channel = channels.store.get(`${namespace}/${c.name}`);
    return findCondition(channel ? statusOf(channel)?.conditions : undefined, 'Ready')?.status !== 'True';
  });
  if (notReady.length > 0) {
    return {
      type: 'Ready',
      status: 'False',
      reason: 'ChannelNotReady',
      message: `NotificationChannel ${notReady.map((c) => c.name).join(', ')} is not ready; see its Ready condition.`,
    };
  }
  if (policy.spec.suspend) {
    return {
      type: 'Ready',
      status: 'True',
      reason: 'Suspended',
      message: 'Suspended: no event is routed until spec.suspend is false.',
    };
  }
  const types = policy.spec.eventTypes?.length ? policy.spec.eventTypes.join(', ') : 'every event type';
  return {
    type: 'Ready',
    status: 'True',
    reason: 'Ready',
    message: `Routes ${types} to ${policy.spec.channels.map((c) => c.name).join(', ')}.`,
  };
}
