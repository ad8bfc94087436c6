/**
 * Every event that can notify, registered here and only here: its stable type (the
 * `alertname` label receivers see), whether it is a state that later resolves or a one-off
 * occurrence, its severity, and the labels that identify one occurrence. The types are a
 * contract once released (policies name them, receivers route on them): add, never rename.
 *
 * `emittedBy` says where the event comes from; `hook` marks the ones another feature calls in
 * through the typed hooks in src/notify/hooks.ts (incidents, threat feeds, traffic, database
 * operations), so documentation and tests can tell which sources this build runs itself.
 */
export const SEVERITIES = ['critical', 'warning', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

export type Lifecycle = 'state' | 'oneshot';

export interface EventTypeDescriptor {
  readonly type: string;
  /** `state`: firing until the source says it is over (then a "resolved" message); `oneshot`: sent once. */
  readonly lifecycle: Lifecycle;
  readonly severity: Severity;
  /** Labels that identify one occurrence; every event of the type carries all of them. */
  readonly labels: readonly string[];
  readonly emittedBy: string;
  /** True when another feature emits it through a hook rather than a source of this module. */
  readonly hook: boolean;
  readonly description: string;
}

export const EVENT_TYPES = [
  {
    type: 'CertificateExpiring',
    lifecycle: 'state',
    severity: 'warning',
    labels: ['namespace', 'name', 'secret'],
    emittedBy: 'certificates',
    hook: false,
    description:
      'The certificate in the Secret expires within NOTIFY_CERTIFICATE_EXPIRY_DAYS days (renewal has not replaced it).',
  },
  {
    type: 'CertificateIssuanceFailing',
    lifecycle: 'state',
    severity: 'warning',
    labels: ['namespace', 'name'],
    emittedBy: 'certificates',
    hook: false,
    description: 'The last issuance attempt failed (status.failedIssuanceAttempts > 0); resolves on success.',
  },
  {
    type: 'CertificateTemporary',
    lifecycle: 'state',
    severity: 'warning',
    labels: ['namespace', 'name'],
    emittedBy: 'certificates',
    hook: false,
    description:
      'A temporary self-signed certificate is served while the CA fails (condition Temporary=True).',
  },
  {
    type: 'WafRevisionRejected',
    lifecycle: 'state',
    severity: 'critical',
    labels: ['namespace', 'name', 'revision'],
    emittedBy: 'wafrulesets',
    hook: false,
    description:
      'Gateways rejected a WAF revision and no earlier revision could be served instead (Degraded=True, Rejected).',
  },
  {
    type: 'WafRevisionRolledBack',
    lifecycle: 'state',
    severity: 'warning',
    labels: ['namespace', 'name', 'revision'],
    emittedBy: 'wafrulesets',
    hook: false,
    description:
      'Gateways rejected a WAF revision and the last good one is served again (Degraded=True, RolledBack).',
  },
  {
    type: 'GatewayNotSynced',
    lifecycle: 'state',
    severity: 'warning',
    labels: ['gateway', 'namespace', 'pod'],
    emittedBy: 'gateways',
    hook: false,
    description:
      'A connected gateway has not applied the state it should serve for NOTIFY_GATEWAY_UNSYNCED_MINUTES minutes.',
  },
  {
    type: 'GatewayGone',
    lifecycle: 'state',
    severity: 'critical',
    labels: ['gateway', 'namespace', 'pod'],
    emittedBy: 'gateways',
    hook: false,
    description:
      "A selected gateway pod's config stream has been closed for NOTIFY_GATEWAY_GONE_MINUTES minutes.",
  },
  {
    type: 'JobFailed',
    lifecycle: 'oneshot',
    severity: 'warning',
    labels: ['job_kind', 'target', 'job'],
    emittedBy: 'jobs',
    hook: false,
    description:
      'A background job used up its attempts and is dead (backups, migrations, retention, reports, ...).',
  },
  {
    type: 'IncidentOpened',
    lifecycle: 'state',
    severity: 'critical',
    labels: ['namespace', 'name', 'incident_severity'],
    emittedBy: 'incidents',
    hook: true,
    description: 'A security incident was opened; resolves when it is closed.',
  },
  {
    type: 'DecisionTaken',
    lifecycle: 'oneshot',
    severity: 'info',
    labels: ['namespace', 'incident', 'decision', 'action'],
    emittedBy: 'incidents',
    hook: true,
    description: 'A decision was taken on an incident (block, allow, rate-limit, ...).',
  },
  {
    type: 'FeedDegraded',
    lifecycle: 'state',
    severity: 'warning',
    labels: ['namespace', 'name'],
    emittedBy: 'threat-feeds',
    hook: true,
    description: 'A threat feed fails to update or returns errors; the last good copy is in use.',
  },
  {
    type: 'FeedStale',
    lifecycle: 'state',
    severity: 'warning',
    labels: ['namespace', 'name'],
    emittedBy: 'threat-feeds',
    hook: true,
    description: 'A threat feed has not been refreshed for longer than it allows.',
  },
  {
    type: 'TrafficErrorRateHigh',
    lifecycle: 'state',
    severity: 'critical',
    labels: ['host', 'route'],
    emittedBy: 'traffic',
    hook: true,
    description: 'The share of 5xx answers on a route is above NOTIFY_TRAFFIC_ERROR_RATE_PERCENT.',
  },
  {
    type: 'TrafficLatencyHigh',
    lifecycle: 'state',
    severity: 'warning',
    labels: ['host', 'route'],
    emittedBy: 'traffic',
    hook: true,
    description: "A route's p95 latency is above NOTIFY_TRAFFIC_P95_MS milliseconds.",
  },
  {
    type: 'TrafficDropped',
    lifecycle: 'state',
    severity: 'warning',
    labels: ['host', 'route'],
    emittedBy: 'traffic',
    hook: true,
    description: "A route's requests are below NOTIFY_TRAFFIC_DROP_PERCENT % of the same hour last week.",
  },
  {
    type: 'DatabaseOperationFailed',
    lifecycle: 'state',
    severity: 'critical',
    labels: ['namespace', 'name', 'resource_kind', 'operation'],
    emittedBy: 'database-operations',
    hook: true,
    description:
      "A database backup, migration, retention or maintenance resource's last finished run failed (Ready=False); resolves when a run succeeds.",
  },
  {
    type: 'NotificationTest',
    lifecycle: 'oneshot',
    severity: 'info',
    labels: ['channel'],
    emittedBy: 'gateway-worker notify test',
    hook: false,
    description: 'A test message sent by `gateway-worker notify test CHANNEL`; never routed by policies.',
  },
] as const satisfies readonly EventTypeDescriptor[];

export type EventType = (typeof EVENT_TYPES)[number]['type'];

export const EVENT_TYPE_NAMES: readonly EventType[] = EVENT_TYPES.map((t) => t.type);

const BY_TYPE = new Map<string, EventTypeDescriptor>(EVENT_TYPES.map((t) => [t.type, t]));

export function eventType(type: string): EventTypeDescriptor | undefined {
  return BY_TYPE.get(type);
}

export function isEventType(type: string): type is EventType {
  return BY_TYPE.has(type);
}
