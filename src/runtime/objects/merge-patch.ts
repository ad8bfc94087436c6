/**
 * The smallest JSON merge patch (RFC 7386) that turns `current` into `desired`. A plain
 * `{status: desired}` patch would merge nested maps and leave stale keys behind; this one sets
 * every key that must disappear to null, so applying it to `current` yields exactly `desired`.
 * Arrays (and so condition lists) are replaced whole, as RFC 7386 always does.
 */
import { deepEqual, isPlainObject, type JsonObject } from './deep-equal.js';

const isAbsent = (value: unknown): boolean => value === undefined || value === null;

/** Undefined when the two are already equal. */
export function createMergePatch(current: unknown, desired: JsonObject): JsonObject | undefined {
  const base = isPlainObject(current) ? current : {};
  const patch: JsonObject = {};
  for (const key of Object.keys(base)) {
    // Null counts as absent on both sides: a merge patch cannot store a null, so wanting one
    // would mean patching forever towards a value the server never holds.
    if (!isAbsent(base[key]) && isAbsent(desired[key])) patch[key] = null;
  }
  for (const [key, want] of Object.entries(desired)) {
    if (isAbsent(want)) continue;
    const have = base[key];
    if (isPlainObject(want) && isPlainObject(have)) {
      const nested = createMergePatch(have, want);
      if (nested) patch[key] = nested;
    } else if (!deepEqual(want, have)) {
      patch[key] = want;
    }
  }
  return Object.keys(patch).length > 0 ? patch : undefined;
}

/** Applies a merge patch (RFC 7386); used by tests and to predict what the server will store. */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return patch;
  const result: JsonObject = isPlainObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    result[key] = value === null ? undefined : applyMergePatch(result[key], value);
  }
  return Object.fromEntries(Object.entries(result).filter(([, value]) => value !== undefined));
}
