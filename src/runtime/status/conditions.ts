/**
 * metav1.Condition helpers, the equivalent of apimachinery's meta.SetStatusCondition. Pure: the
 * caller passes the time and gets a new array back, so a status computed twice from the same
 * input is deep-equal and the status writer can skip the write.
 */

export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface Condition {
  readonly type: string;
  readonly status: ConditionStatus;
  /** CamelCase, machine-readable; see {@link isValidReason}. */
  readonly reason: string;
  /** Human-readable; at most {@link MAX_MESSAGE_LENGTH} characters (longer is truncated). */
  readonly message: string;
  /** RFC 3339 in whole seconds, the precision metav1.Time round-trips through the API server. */
  readonly lastTransitionTime: string;
  /** The metadata.generation this condition was computed from. */
  readonly observedGeneration?: number;
}

export interface ConditionInput {
  readonly type: string;
  readonly status: ConditionStatus;
  readonly reason: string;
  readonly message?: string;
  readonly observedGeneration?: number;
}

export const MAX_MESSAGE_LENGTH = 32_768;
const MAX_REASON_LENGTH = 1024;
const MAX_TYPE_LENGTH = 316;
// The patterns the metav1.Condition OpenAPI schema enforces; checked here so a bad reason fails
// in the controller that wrote it rather than as a 422 on a status write far away.
const REASON = /^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/;
const TYPE =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$/;

export function isValidReason(reason: string): boolean {
  return reason.length <= MAX_REASON_LENGTH && REASON.test(reason);
}

export function isValidConditionType(type: string): boolean {
  return type.length <= MAX_TYPE_LENGTH && TYPE.test(type);
}

/** metav1.Time format: second precision, so what we compare is exactly what the server stores. */
export function conditionTime(now: Date): string {
  return now.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Cuts at a UTF-16 boundary that does not split a surrogate pair. */
export function truncateMessage(message: string, max = MAX_MESSAGE_LENGTH): string {
  if (message.length <= max) return message;
  const end = /[\uD800-\uDBFF]/.test(message.charAt(max - 1)) ? max - 1 : max;
  return message.slice(0, end);
}

/**
 * Returns a new array with the condition added or updated in place (order is kept, new ones are
 * appended). lastTransitionTime moves only when the status flips; reason, message and
 * observedGeneration always take the new values. Throws a RangeError on an invalid type or
 * reason: those are programming errors, not runtime conditions.
 */
export function setCondition(
  conditions: readonly Condition[] | undefined,
  input: ConditionInput,
  now: Date,
): Condition[] {
  if (!isValidConditionType(input.type)) throw new RangeError(`invalid condition type "${input.type}"`);
  if (!isValidReason(input.reason)) {
    throw new RangeError(`condition reason "${input.reason}" must be CamelCase (${REASON.source})`);
  }
  const list = conditions ?? [];
  const existing = list.find((c) => c.type === input.type);
  const lastTransitionTime =
    existing && existing.status === input.status && existing.lastTransitionTime
      ? existing.lastTransitionTime
      : conditionTime(now);
  const next: Condition = {
    type: input.type,
    status: input.status,
    reason: input.reason,
    message: truncateMessage(input.message ?? ''),
    lastTransitionTime,
    ...(input.observedGeneration === undefined ? {} : { observedGeneration: input.observedGeneration }),
  };
  return existing ? list.map((c) => (c === existing ? next : c)) : [...list, next];
}

export function findCondition(
  conditions: readonly Condition[] | undefined,
  type: string,
): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

export function isTrue(conditions: readonly Condition[] | undefined, type: string): boolean {
  return findCondition(conditions, type)?.status === 'True';
}

export function isFalse(conditions: readonly Condition[] | undefined, type: string): boolean {
  return findCondition(conditions, type)?.status === 'False';
}

/** Returns a new array without the condition; the same contents when it was absent. */
export function removeCondition(conditions: readonly Condition[] | undefined, type: string): Condition[] {
  return (conditions ?? []).filter((c) => c.type !== type);
}
