/**
 * The events other features emit, built from typed input so their labels cannot drift from
 * EVENT_TYPES: incidents and decisions (security incidents), threat feeds, and database
 * operations. The features call these through src/notify/hooks.ts.
 */
import type { NotificationEvent } from '../event.js';

export interface IncidentInput {
  readonly namespace: string;
  readonly name: string;
  /** The incident's own severity (low, medium, high, critical): a label, not the event's severity. */
  readonly severity: string;
  readonly title: string;
  readonly description?: string;
  readonly openedAt?: number;
}

export function incidentEvent(incident: IncidentInput, open: boolean): NotificationEvent {
  return {
    type: 'IncidentOpened',
    status: open ? 'firing' : 'resolved',
    labels: { namespace: incident.namespace, name: incident.name, incident_severity: incident.severity },
    ...(incident.openedAt === undefined ? {} : { startsAt: incident.openedAt }),
    annotations: {
      summary: `Incident ${incident.namespace}/${incident.name}: ${incident.title}`,
      ...(incident.description ? { description: incident.description } : {}),
    },
  };
}

export interface DecisionInput {
  readonly namespace: string;
  readonly incident: string;
  /** The decision's name. */
  readonly decision: string;
  /** What it does: block, allow, rate-limit, challenge, ... */
  readonly action: string;
  readonly target?: string;
  readonly reason?: string;
}

export function decisionEvent(decision: DecisionInput): NotificationEvent {
  return {
    type: 'DecisionTaken',
    labels: {
      namespace: decision.namespace,
      incident: decision.incident,
      decision: decision.decision,
      action: decision.action,
      ...(decision.target ? { target: decision.target } : {}),
    },
    annotations: {
      summary: `Decision ${decision.decision} on incident ${decision.namespace}/${decision.incident}: ${decision.action}${decision.target ? ` ${decision.target}` : ''}`,
      ...(decision.reason ? { description: decision.reason } : {}),
    },
  };
}

export interface FeedHealth {
  readonly namespace: string;
  readonly name: string;
  readonly degraded?: { readonly message: string };
  readonly stale?: { readonly lastUpdated?: string; readonly maxAge: string };
}

/** The full set of feed problems now (a feed absent or healthy resolves its earlier events). */
export function feedEvents(feeds: readonly FeedHealth[]): NotificationEvent[] {
  const events: NotificationEvent[] = [];
  for (const feed of feeds) {
    const labels = { namespace: feed.namespace, name: feed.name };
    if (feed.degraded) {
      events.push({
        type: 'FeedDegraded',
        labels,
        annotations: {
          summary: `Threat feed ${feed.namespace}/${feed.name} is degraded`,
          description: feed.degraded.message,
        },
      });
    }
    if (feed.stale) {
      events.push({
        type: 'FeedStale',
        labels,
        annotations: {
          summary: `Threat feed ${feed.namespace}/${feed.name} is stale`,
          description: `Last updated ${feed.stale.lastUpdated ?? 'never'}; it allows ${feed.stale.maxAge}.`,
        },
      });
    }
  }
  return events;
}

export interface DatabaseOperationInput {
  readonly namespace: string;
  readonly name: string;
  /** DatabaseBackup, DatabaseMigration, DatabaseRetention, ... */
  readonly resourceKind: string;
  /** backup, migration, retention, ... */
  readonly operation: string;
  readonly message: string;
}

/** The full set of database resources whose last run failed now. */
export function databaseOperationEvents(failures: readonly DatabaseOperationInput[]): NotificationEvent[] {
  return failures.map((f) => ({
    type: 'DatabaseOperationFailed',
    labels: { namespace: f.namespace, name: f.name, resource_kind: f.resourceKind, operation: f.operation },
    annotations: {
      summary: `${f.resourceKind} ${f.namespace}/${f.name}: the last ${f.operation} failed`,
      description: f.message,
    },
  }));
}
