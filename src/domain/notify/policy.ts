/**
 * Routing: which policies an alert belongs to and, within a policy, which group. A policy is
 * Flux's Alert and an Alertmanager route in one: it filters events (types, severities, label
 * matchers), groups them (`groupBy`) and names the channels that receive each group.
 *
 * Namespaces are a boundary: a policy outside the operator's own namespace only ever sees events
 * labelled with its own namespace, so a team cannot subscribe to another team's certificates.
 * Policies in the operator's namespace see everything, fleet-wide events included (gateways,
 * jobs, traffic), which carry no namespace of a resource.
 */
import type { Alert } from './event.js';
import type { Severity } from './event-types.js';
import { matchesAll, type Matcher } from './matchers.js';

export interface GroupTiming {
  /** How long a new group waits for more alerts before its first notification (Alertmanager 30s). */
  readonly groupWaitMs: number;
  /** How long between notifications about a group that changed (Alertmanager 5m). */
  readonly groupIntervalMs: number;
  /** How long before a notification that changed nothing is sent again (Alertmanager 4h). */
  readonly repeatIntervalMs: number;
}

export const DEFAULT_TIMING: GroupTiming = {
  groupWaitMs: 30_000,
  groupIntervalMs: 300_000,
  repeatIntervalMs: 4 * 3_600_000,
};

/** `...` groups by every label, as in Alertmanager. */
export const GROUP_BY_ALL = '...';
export const DEFAULT_GROUP_BY: readonly string[] = ['alertname', 'namespace'];

export interface PolicyView {
  /** namespace/name */
  readonly key: string;
  readonly namespace: string;
  /** Empty: every type (except NotificationTest, which only `notify test` sends). */
  readonly eventTypes: readonly string[];
  /** Empty: every severity. */
  readonly severities: readonly Severity[];
  readonly matchers: readonly Matcher[];
  readonly groupBy: readonly string[];
  readonly timing: GroupTiming;
  readonly sendResolved: boolean;
  /** Channel keys (namespace/name), all in the policy's namespace. */
  readonly channels: readonly string[];
}

export function policyMatches(policy: PolicyView, alert: Alert, operatorNamespace: string): boolean {
  if (alert.type === 'NotificationTest') return false;
  if (policy.namespace !== operatorNamespace && alert.labels.namespace !== policy.namespace) return false;
  if (policy.eventTypes.length > 0 && !policy.eventTypes.includes(alert.type)) return false;
  if (policy.severities.length > 0 && !policy.severities.includes(alert.severity)) return false;
  return matchesAll(policy.matchers, alert.labels);
}

export interface GroupIdentity {
  /** Unique across policies: `namespace/name:{label="value",...}`. */
  readonly key: string;
  readonly labels: Readonly<Record<string, string>>;
}

export function groupOf(policy: PolicyView, alert: Alert): GroupIdentity {
  const names = policy.groupBy.includes(GROUP_BY_ALL) ? Object.keys(alert.labels) : [...policy.groupBy];
  const labels: Record<string, string> = {};
  for (const name of names.sort()) {
    const value = alert.labels[name];
    if (value !== undefined) labels[name] = value;
  }
  const inner = Object.entries(labels)
    .map(([name, value]) => `${name}=${JSON.stringify(value)}`)
    .join(',');
  return { key: `${policy.key}:{${inner}}`, labels };
}
