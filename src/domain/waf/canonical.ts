/**
 * Canonical JSON: object keys sorted by code unit, no whitespace, arrays in order. The same value
 * always gives the same bytes, so a content hash over it is a version: equal content, equal hash,
 * whatever order a controller or an informer happened to read things in.
 */
import { contentVersion } from '../snapshot/snapshot.js';

export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  if (typeof value === 'number' && !Number.isFinite(value)) {
    throw new TypeError(`canonical JSON has no representation for ${value}`);
  }
  if (value === undefined || typeof value === 'function' || typeof value === 'symbol') {
    throw new TypeError(`canonical JSON has no representation for ${typeof value}`);
  }
  return JSON.stringify(value);
}

export function canonicalBytes(value: unknown): Uint8Array {
  return new TextEncoder().encode(canonicalJson(value));
}

/** The project's content hash (sha256, 32 hex digits), as resources are versioned. */
export { contentVersion as contentHash };
