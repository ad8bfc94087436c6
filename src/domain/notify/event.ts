/**
 * What a source emits (a {@link NotificationEvent}) and what the notifier keeps of it (an
 * {@link Alert}): the same shape as Alertmanager's alerts, so the webhook payload is theirs and a
 * user's Alertmanager intuition holds. An alert's identity is its fingerprint, a hash of its
 * labels; a state event emitted again with the same labels updates the same alert.
 */
import { createHash } from 'node:crypto';
import { eventType, type EventType, type Lifecycle, type Severity } from './event-types.js';

export type AlertStatus = 'firing' | 'resolved';

export interface NotificationEvent {
  readonly type: EventType;
  /** The type's identifying labels (see EVENT_TYPES), plus any others worth routing on. */
  readonly labels: Readonly<Record<string, string>>;
  /** Free text for people: `summary` (one line) and `description`; never secrets. */
  readonly annotations?: Readonly<Record<string, string>>;
  /** Default firing. Only state events resolve. */
  readonly status?: AlertStatus;
  /** When the condition began (ms since the epoch); default: when it was first emitted. */
  readonly startsAt?: number;
}

export interface Alert {
  readonly fingerprint: string;
  readonly type: EventType;
  /** Including `alertname` (the type) and `severity`. */
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly severity: Severity;
  readonly lifecycle: Lifecycle;
  readonly status: AlertStatus;
  readonly startsAt: number;
  /** When it resolved; undefined while firing. */
  readonly endsAt?: number;
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const MAX_LABELS = 32;
const MAX_LABEL_VALUE = 1024;
const MAX_ANNOTATION = 4096;

/** Why an event cannot be accepted, or undefined. Sources are code: this catches their bugs. */
export function eventProblem(event: NotificationEvent): string | undefined {
  const descriptor = eventType(event.type);
  if (!descriptor) return `unknown event type "${event.type}"`;
  const names = Object.keys(event.labels);
  if (names.length > MAX_LABELS) return `${event.type}: at most ${MAX_LABELS} labels`;
  for (const name of names) {
    if (!LABEL_NAME.test(name)) return `${event.type}: label name "${name}" must match ${LABEL_NAME.source}`;
    if (name === 'alertname' || name === 'severity')
      return `${event.type}: label "${name}" is set by the notifier`;
    if ((event.labels[name] ?? '').length > MAX_LABEL_VALUE)
      return `${event.type}: label "${name}" is longer than ${MAX_LABEL_VALUE} characters`;
  }
  const missing = descriptor.labels.filter((l) => event.labels[l] === undefined);
  if (missing.length > 0) return `${event.type}: missing label(s) ${missing.join(', ')}`;
  if (event.status === 'resolved' && descriptor.lifecycle === 'oneshot')
    return `${event.type} is a one-off event: it cannot resolve`;
  return undefined;
}

/** Alertmanager's fingerprint idea: a stable hash of the sorted label set. */
export function fingerprintOf(labels: Readonly<Record<string, string>>): string {
  const hash = createHash('sha256');
  for (const name of Object.keys(labels).sort()) hash.update(`${name}\0${labels[name] ?? ''}\0`);
  return hash.digest('hex').slice(0, 16);
}

/** An event's full label set: its own labels plus `alertname` and `severity`. */
export function labelsOf(event: NotificationEvent): Record<string, string> {
  const descriptor = eventType(event.type);
  if (!descriptor) throw new RangeError(`unknown event type "${event.type}"`);
  return sortedRecord({ ...event.labels, alertname: event.type, severity: descriptor.severity });
}

/** The alert an (already checked) event describes at `now`. */
export function alertOf(event: NotificationEvent, now: number, previous?: Alert): Alert {
  const descriptor = eventType(event.type);
  if (!descriptor) throw new RangeError(`unknown event type "${event.type}"`);
  const labels = labelsOf(event);
  const annotations: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.annotations ?? {}))
    annotations[name] = value.length > MAX_ANNOTATION ? value.slice(0, MAX_ANNOTATION) : value;
  const status = event.status ?? 'firing';
  // A state that keeps firing keeps its start; a new firing after a resolution starts again.
  const keepsStart = previous !== undefined && (previous.status === 'firing' || status === 'resolved');
  const startsAt = event.startsAt ?? (keepsStart ? previous.startsAt : now);
  return {
    fingerprint: fingerprintOf(labels),
    type: event.type,
    labels,
    annotations: sortedRecord(annotations),
    severity: descriptor.severity,
    lifecycle: descriptor.lifecycle,
    status,
    startsAt,
    ...(status === 'resolved' ? { endsAt: previous?.endsAt ?? now } : {}),
  };
}

/** Whether two alerts would read the same to a receiver (what a re-emit may skip writing). */
export function sameAlert(a: Alert, b: Alert): boolean {
  return (
    a.fingerprint === b.fingerprint &&
    a.status === b.status &&
    a.startsAt === b.startsAt &&
    JSON.stringify(a.annotations) === JSON.stringify(b.annotations)
  );
}

export function sortedRecord(record: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(record).sort()) out[key] = record[key] ?? '';
  return out;
}
