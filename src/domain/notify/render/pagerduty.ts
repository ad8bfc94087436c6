/**
 * PagerDuty Events API v2: one alert per group (the group key is the dedup key), triggered while
 * anything fires and resolved when everything did. The routing key is added by the transport,
 * from the channel's Secret. Content messages (reports) are not incidents: refused.
 */
import { createHash } from 'node:crypto';
import type { Severity } from '../event-types.js';
import { allAlerts, commonLabels, statusOf, textOf, titleOf, type AlertsMessage } from '../message.js';

export interface PagerDutyEvent {
  readonly event_action: 'trigger' | 'resolve';
  readonly dedup_key: string;
  readonly payload?: {
    readonly summary: string;
    readonly source: string;
    readonly severity: 'critical' | 'error' | 'warning' | 'info';
    readonly timestamp: string;
    readonly component?: string;
    readonly group?: string;
    readonly class?: string;
    readonly custom_details: Readonly<Record<string, unknown>>;
  };
}

const PD_SEVERITY: Record<Severity, 'critical' | 'warning' | 'info'> = {
  critical: 'critical',
  warning: 'warning',
  info: 'info',
};

/** PagerDuty's dedup_key is at most 255 characters: a hash keeps long group keys in bounds. */
export function dedupKey(groupKey: string): string {
  return createHash('sha256').update(groupKey).digest('hex');
}

export function pagerDutyEvent(message: AlertsMessage, now: number): PagerDutyEvent {
  const key = dedupKey(message.groupKey);
  if (statusOf(message) === 'resolved') return { event_action: 'resolve', dedup_key: key };
  const alerts = allAlerts(message);
  const worst = message.firing.some((a) => a.severity === 'critical')
    ? 'critical'
    : message.firing.some((a) => a.severity === 'warning')
      ? 'warning'
      : 'info';
  const labels = commonLabels(alerts);
  return {
    event_action: 'trigger',
    dedup_key: key,
    payload: {
      summary: titleOf(message).slice(0, 1024),
      source: 'gateway-worker',
      severity: PD_SEVERITY[worst],
      timestamp: new Date(now).toISOString(),
      ...(labels.namespace ? { component: labels.namespace } : {}),
      group: message.policy,
      ...(labels.alertname ? { class: labels.alertname } : {}),
      custom_details: {
        firing: textOf({ ...message, resolved: [] }),
        groupKey: message.groupKey,
        alerts: alerts.length,
      },
    },
  };
}
