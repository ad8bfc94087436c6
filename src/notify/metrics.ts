/**
 * Notification metrics, one set per registry. Per channel: sent, failed and retried attempts and
 * dead letters — what Alertmanager users ask for in its issue #2793 — plus what is waiting, how
 * long a delivery takes, and what the sources report.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface NotifyMetrics {
  readonly events: Counter<'type' | 'status'>;
  readonly dropped: Counter<'reason'>;
  readonly firing: Gauge<'type'>;
  readonly groups: Gauge;
  readonly sent: Counter<'channel' | 'type'>;
  readonly failed: Counter<'channel' | 'type'>;
  readonly retried: Counter<'channel' | 'type'>;
  readonly dead: Counter<'channel' | 'type'>;
  readonly pending: Gauge<'channel'>;
  readonly duration: Histogram<'type'>;
}

const byRegistry = new WeakMap<Registry, NotifyMetrics>();

export function notifyMetrics(registry: Registry): NotifyMetrics {
  let metrics = byRegistry.get(registry);
  if (metrics) return metrics;
  const registers = [registry];
  const perChannel = ['channel', 'type'] as const;
  metrics = {
    events: new Counter({
      name: 'gateway_worker_notification_events_total',
      help: 'Events stored by the notifier (new or changed alerts), by event type and status (firing, resolved).',
      labelNames: ['type', 'status'],
      registers,
    }),
    dropped: new Counter({
      name: 'gateway_worker_notification_events_dropped_total',
      help: 'Events the notifier refused or could not keep, by reason (invalid, overflow).',
      labelNames: ['reason'],
      registers,
    }),
    firing: new Gauge({
      name: 'gateway_worker_notification_alerts_firing',
      help: 'Alerts firing now, by event type, as this replica knows them.',
      labelNames: ['type'],
      registers,
    }),
    groups: new Gauge({
      name: 'gateway_worker_notification_groups',
      help: 'Aggregation groups the leader tracks.',
      registers,
    }),
    sent: new Counter({
      name: 'gateway_worker_notifications_sent_total',
      help: 'Notifications a receiver accepted, by channel (namespace/name) and channel type.',
      labelNames: perChannel,
      registers,
    }),
    failed: new Counter({
      name: 'gateway_worker_notifications_failed_total',
      help: 'Delivery attempts that failed, by channel and channel type.',
      labelNames: perChannel,
      registers,
    }),
    retried: new Counter({
      name: 'gateway_worker_notifications_retried_total',
      help: 'Delivery attempts that were retries, by channel and channel type.',
      labelNames: perChannel,
      registers,
    }),
    dead: new Counter({
      name: 'gateway_worker_notifications_dead_total',
      help: 'Notifications given up on (dead letters), by channel and channel type.',
      labelNames: perChannel,
      registers,
    }),
    pending: new Gauge({
      name: 'gateway_worker_notifications_pending',
      help: 'Notifications waiting to be delivered, by channel.',
      labelNames: ['channel'],
      registers,
    }),
    duration: new Histogram({
      name: 'gateway_worker_notification_delivery_duration_seconds',
      help: 'How long one delivery attempt took, by channel type, whatever its outcome.',
      labelNames: ['type'],
      buckets: [0.005, 0.025, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
  };
  byRegistry.set(registry, metrics);
  return metrics;
}
