/**
 * The events.k8s.io/v1 Event body, with the limits the API server validates applied here, so a
 * long note is cut rather than rejected with a 422 nobody sees.
 */
import type { KubeObject, ObjectMeta } from '../kube/resource.js';

export type EventType = 'Normal' | 'Warning';

export const REPORTING_CONTROLLER = 'gateway-worker';
const NOTE_MAX_BYTES = 1024;
const FIELD_MAX_LENGTH = 128; // reason, action and reportingInstance

/** The object an Event is about; only apiVersion and kind are added to a plain KubeObject. */
export type Regarding = KubeObject & { apiVersion: string; kind: string };

export interface ObjectReference {
  apiVersion: string;
  kind: string;
  name?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
}

export interface EventSeries {
  count: number;
  lastObservedTime: string;
}

export interface EventObject extends KubeObject {
  metadata: ObjectMeta;
  eventTime: string;
  series?: EventSeries;
  reportingController: string;
  reportingInstance: string;
  action: string;
  reason: string;
  note: string;
  type: EventType;
  regarding: ObjectReference;
}

/** metav1.MicroTime: RFC 3339 with six fractional digits (we only know milliseconds). */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/Z$/, '000Z');
}

/** Cuts to at most `maxBytes` of UTF-8 without splitting a character. */
export function truncateUtf8(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text, 'utf8') <= maxBytes) return text;
  let bytes = 0;
  let end = 0;
  for (const char of text) {
    bytes += Buffer.byteLength(char, 'utf8');
    if (bytes > maxBytes) break;
    end += char.length;
  }
  return text.slice(0, end);
}

export interface EventFields {
  readonly type: EventType;
  readonly reason: string;
  readonly note: string;
  readonly action: string;
  readonly reportingInstance: string;
}

/** Fields as they will be stored, so the dedup key matches what the server holds. */
export function normalizeFields(fields: EventFields): EventFields {
  return {
    type: fields.type,
    reason: fields.reason.slice(0, FIELD_MAX_LENGTH),
    note: truncateUtf8(fields.note, NOTE_MAX_BYTES),
    action: fields.action.slice(0, FIELD_MAX_LENGTH),
    reportingInstance: fields.reportingInstance.slice(0, FIELD_MAX_LENGTH),
  };
}

export function objectReference(obj: Regarding): ObjectReference {
  const { name, namespace, uid, resourceVersion } = obj.metadata;
  return { apiVersion: obj.apiVersion, kind: obj.kind, name, namespace, uid, resourceVersion };
}

/**
 * client-go's Event name, `<object>.<hex nanoseconds>`. We only know milliseconds, so a sequence
 * number fills the nanoseconds: two Events for one object in the same millisecond stay distinct.
 * (The API server refuses a generateName ending in '.', so the server cannot pick it for us.)
 */
export function eventName(objectName: string, ms: number, sequence: number): string {
  const suffix = (BigInt(ms) * 1_000_000n + BigInt(sequence % 1_000_000)).toString(16);
  return `${objectName.slice(0, 252 - suffix.length)}.${suffix}`;
}

/**
 * A new Event, without a name yet (see {@link eventName}). Events about cluster-scoped objects
 * go to `default`, the namespace client-go uses and the API server accepts for them.
 */
export function eventBody(regarding: Regarding, fields: EventFields, firstObservedMs: number): EventObject {
  const namespace = regarding.metadata.namespace ?? 'default';
  return {
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    metadata: { namespace },
    eventTime: microTime(firstObservedMs),
    reportingController: REPORTING_CONTROLLER,
    ...fields,
    regarding: objectReference(regarding),
  };
}
