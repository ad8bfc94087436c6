/**
 * Alertmanager's webhook payload, version 4 (its docs, "webhook_config"), so any receiver
 * written for Alertmanager reads ours unchanged. Content messages (reports) have no Alertmanager
 * equivalent: they travel as a small JSON document of their own with links, never the bytes.
 */
import type { Alert } from '../event.js';
import {
  allAlerts,
  commonAnnotations,
  commonLabels,
  rfc3339,
  statusOf,
  type AlertsMessage,
  type ContentMessage,
} from '../message.js';

/** Alertmanager writes Go's zero time for an alert that has not ended. */
const ZERO_TIME = '0001-01-01T00:00:00Z';

export interface AlertmanagerAlert {
  readonly status: 'firing' | 'resolved';
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly startsAt: string;
  readonly endsAt: string;
  readonly generatorURL: string;
  readonly fingerprint: string;
}

export interface AlertmanagerPayload {
  readonly version: '4';
  readonly groupKey: string;
  readonly truncatedAlerts: number;
  readonly status: 'firing' | 'resolved';
  readonly receiver: string;
  readonly groupLabels: Readonly<Record<string, string>>;
  readonly commonLabels: Readonly<Record<string, string>>;
  readonly commonAnnotations: Readonly<Record<string, string>>;
  readonly externalURL: string;
  readonly alerts: readonly AlertmanagerAlert[];
}

/** Like Alertmanager's `max_alerts`: a group of thousands does not make a multi-megabyte POST. */
export const MAX_ALERTS_PER_MESSAGE = 500;

export function alertmanagerPayload(message: AlertsMessage, externalURL = ''): AlertmanagerPayload {
  const alerts = allAlerts(message);
  const sent = alerts.slice(0, MAX_ALERTS_PER_MESSAGE);
  return {
    version: '4',
    groupKey: message.groupKey,
    truncatedAlerts: alerts.length - sent.length,
    status: statusOf(message),
    receiver: message.receiver,
    groupLabels: message.groupLabels,
    commonLabels: commonLabels(alerts),
    commonAnnotations: commonAnnotations(alerts),
    externalURL,
    alerts: sent.map(alertOf),
  };
}

function alertOf(alert: Alert): AlertmanagerAlert {
  return {
    status: alert.status,
    labels: alert.labels,
    annotations: alert.annotations,
    startsAt: rfc3339(alert.startsAt),
    endsAt: alert.endsAt === undefined ? ZERO_TIME : rfc3339(alert.endsAt),
    generatorURL: '',
    fingerprint: alert.fingerprint,
  };
}

export interface ContentPayload {
  readonly version: '1';
  readonly kind: 'content';
  readonly receiver: string;
  readonly title: string;
  readonly text: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly links: readonly { readonly title: string; readonly url: string }[];
  readonly attachments: readonly {
    readonly filename: string;
    readonly contentType: string;
    readonly size: number;
  }[];
}

export function contentPayload(message: ContentMessage): ContentPayload {
  return {
    version: '1',
    kind: 'content',
    receiver: message.receiver,
    title: message.title,
    text: message.text,
    labels: message.labels,
    links: message.links,
    attachments: message.attachments.map((a) => ({
      filename: a.filename,
      contentType: a.contentType,
      size: Buffer.byteLength(a.contentBase64, 'base64'),
    })),
  };
}
