/**
 * A notification as it leaves a group or a report, before any channel's format: the channel
 * renders it (Alertmanager's webhook JSON, a Slack message, an Adaptive Card, a PagerDuty event,
 * an e-mail). Two shapes: alerts from a group, and content — a title, text, links and
 * attachments — which is how reports travel (an e-mail attachment, a link in a webhook).
 */
import type { Alert } from './event.js';

export interface Link {
  readonly title: string;
  readonly url: string;
}

export interface Attachment {
  readonly filename: string;
  readonly contentType: string;
  readonly contentBase64: string;
}

export interface AlertsMessage {
  readonly kind: 'alerts';
  /** The channel, namespace/name: Alertmanager's `receiver`. */
  readonly receiver: string;
  readonly policy: string;
  readonly groupKey: string;
  readonly groupLabels: Readonly<Record<string, string>>;
  readonly firing: readonly Alert[];
  readonly resolved: readonly Alert[];
}

export interface ContentMessage {
  readonly kind: 'content';
  readonly receiver: string;
  readonly title: string;
  readonly text: string;
  readonly links: readonly Link[];
  /** Sent as attachments by e-mail; webhooks, Slack and Teams get the links (and attachment names). */
  readonly attachments: readonly Attachment[];
  /** What the content is about, for routing on the receiver's side (e.g. report=weekly). */
  readonly labels: Readonly<Record<string, string>>;
}

export type NotificationMessage = AlertsMessage | ContentMessage;

/** At most this many bytes of attachments per message (decoded). */
export const MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024;

export function attachmentBytes(message: ContentMessage): number {
  return message.attachments.reduce((sum, a) => sum + Buffer.byteLength(a.contentBase64, 'base64'), 0);
}

export function statusOf(message: AlertsMessage): 'firing' | 'resolved' {
  return message.firing.length > 0 ? 'firing' : 'resolved';
}

export function allAlerts(message: AlertsMessage): readonly Alert[] {
  return [...message.firing, ...message.resolved];
}

/** The labels every alert of the message shares (Alertmanager's commonLabels). */
export function commonLabels(alerts: readonly Alert[]): Record<string, string> {
  return common(alerts.map((a) => a.labels));
}

export function commonAnnotations(alerts: readonly Alert[]): Record<string, string> {
  return common(alerts.map((a) => a.annotations));
}

function common(records: readonly Readonly<Record<string, string>>[]): Record<string, string> {
  const [first, ...rest] = records;
  if (!first) return {};
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(first)) {
    if (rest.every((r) => r[name] === value)) out[name] = value;
  }
  return out;
}

/** Alertmanager's default title: `[FIRING:2] CertificateExpiring (namespace="team-a")`. */
export function titleOf(message: NotificationMessage): string {
  if (message.kind === 'content') return message.title;
  const status = statusOf(message);
  const count = status === 'firing' ? message.firing.length : message.resolved.length;
  const labels = Object.entries(message.groupLabels)
    .filter(([name]) => name !== 'alertname')
    .map(([name, value]) => `${name}="${value}"`)
    .join(' ');
  const name = message.groupLabels.alertname ?? commonLabels(allAlerts(message)).alertname ?? 'alerts';
  return `[${status.toUpperCase()}:${count}] ${name}${labels ? ` (${labels})` : ''}`;
}

/** One line per alert, for plain-text channels. */
export function alertLine(alert: Alert): string {
  const summary = alert.annotations.summary ?? alert.labels.alertname ?? alert.type;
  const labels = Object.entries(alert.labels)
    .filter(([name]) => name !== 'alertname' && name !== 'severity')
    .map(([name, value]) => `${name}=${value}`)
    .join(', ');
  return `${summary}${labels ? ` (${labels})` : ''}`;
}

/** The body as plain text: what e-mail, Slack and Teams show under the title. */
export function textOf(message: NotificationMessage): string {
  if (message.kind === 'content') {
    const links = message.links.map((l) => `${l.title}: ${l.url}`);
    return [message.text, ...links].filter((line) => line !== '').join('\n');
  }
  const lines: string[] = [];
  if (message.firing.length > 0) {
    lines.push('Firing:');
    for (const alert of message.firing) {
      lines.push(`- ${alertLine(alert)}`);
      if (alert.annotations.description) lines.push(`  ${alert.annotations.description}`);
    }
  }
  if (message.resolved.length > 0) {
    lines.push('Resolved:');
    for (const alert of message.resolved) lines.push(`- ${alertLine(alert)}`);
  }
  return lines.join('\n');
}

export function rfc3339(ms: number): string {
  return new Date(ms).toISOString();
}
