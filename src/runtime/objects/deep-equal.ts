/**
 * Structural comparison of JSON values, the basis of "compare, then write": key order never
 * matters, `undefined` members count as absent (JSON.stringify drops them, so the server never
 * sees them), array order does.
 */

export type JsonObject = Record<string, unknown>;

export function isPlainObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function definedKeys(object: JsonObject): string[] {
  return Object.keys(object).filter((key) => object[key] !== undefined);
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((item, i) => deepEqual(item, b[i]));
  }
  if (isPlainObject(a)) {
    if (!isPlainObject(b)) return false;
    const keys = definedKeys(a);
    return keys.length === definedKeys(b).length && keys.every((key) => deepEqual(a[key], b[key]));
  }
  return false;
}

/**
 * True when every member `want` sets is present with the same value in `have`. Objects may have
 * extra members in `have` (server defaults, other field managers); arrays must match element by
 * element, with the same length, each element itself compared as a subset.
 */
export function isSubset(want: unknown, have: unknown): boolean {
  if (want === have || want === undefined) return true;
  // The server stores no empty map or list (protobuf drops them), so wanting one is satisfied
  // by its absence.
  if (have === undefined || have === null) return isEmpty(want);
  if (Array.isArray(want)) {
    return (
      Array.isArray(have) && want.length === have.length && want.every((item, i) => isSubset(item, have[i]))
    );
  }
  if (isPlainObject(want)) {
    return isPlainObject(have) && definedKeys(want).every((key) => isSubset(want[key], have[key]));
  }
  return false;
}

/** An empty map or list, or nothing at all. */
export function isEmpty(value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (Array.isArray(value)) return value.length === 0;
  return isPlainObject(value) && definedKeys(value).length === 0;
}
