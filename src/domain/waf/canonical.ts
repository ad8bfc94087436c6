/**
 * Canonical JSON: object keys sorted by code unit, no whitespace, arrays in order. The same value
 * always gives the same bytes, so a content hash over it is a version: equal content, equal hash,
 * whatever order a controller or an informer happened to read things in.
 */
import { contentVersion } from '../snapshot/snapshot.js';

export function canonicalJson(value: unknown): string {
  if (typeof value === 'object' && value !== null) {
    // String concatenation rather than arrays joined: rule sets hold thousands of small objects,
    // and the intermediate arrays were most of the garbage a compilation made.
    if (Array.isArray(value)) {
      let out = '[';
      for (let i = 0; i < value.length; i += 1) out += (i === 0 ? '' : ',') + canonicalJson(value[i]);
      return `${out}]`;
    }
    const record = value as Record<string, unknown>;
    // sort() without a comparator orders by UTF-16 code units, which is what makes it canonical.
    const keys = Object.keys(record).sort();
    let out = '{';
    for (const key of keys) {
      const item = record[key];
      if (item === undefined) continue;
      out += `${out.length === 1 ? '' : ','}${JSON.stringify(key)}:${canonicalJson(item)}`;
    }
    return `${out}}`;
  }
  if (typeof value === 'number' && !Number.isFinite(value)) {
    throw new TypeError(`canonical JSON has no representation for ${value}`);
  }
  if (
    value === undefined ||
    typeof value === 'function' ||
    typeof value === 'symbol' ||
    typeof value === 'bigint'
  ) {
    throw new TypeError(`canonical JSON has no representation for ${typeof value}`);
  }
  return JSON.stringify(value);
}

export function canonicalBytes(value: unknown): Uint8Array {
  return new TextEncoder().encode(canonicalJson(value));
}

/** The project's content hash (sha256, 32 hex digits), as resources are versioned. */
export { contentVersion as contentHash };
