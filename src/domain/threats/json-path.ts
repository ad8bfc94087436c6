/**
 * The small JSON path a ThreatFeed names its addresses with (JSON_PATH of the API's checks):
 * `data[*].ipAddress` is every `ipAddress` of the array under `data`. Enough for the JSON feeds
 * in use (AbuseIPDB's blacklist, Spamhaus' drop_v4.json lines), without a path engine.
 */
import { JSON_PATH, matches } from '../../api/v1alpha1/checks/names.js';

export type PathSegment = { readonly key: string } | { readonly index: number } | { readonly every: true };

/** The segments of a path, or undefined when it is not one. */
export function parseJsonPath(path: string): PathSegment[] | undefined {
  if (!matches(JSON_PATH, path)) return undefined;
  const segments: PathSegment[] = [];
  for (const [, key, bracket] of path
    .replace(/^\$/, '')
    .matchAll(/\.?([A-Za-z_][A-Za-z0-9_-]*)|\[(\*|[0-9]+)\]/g)) {
    if (key !== undefined) segments.push({ key });
    else if (bracket === '*') segments.push({ every: true });
    else segments.push({ index: Number(bracket) });
  }
  return segments;
}

/** Every value the path reaches in `document`; missing keys and wrong shapes reach nothing. */
export function selectPath(document: unknown, segments: readonly PathSegment[]): unknown[] {
  let current: unknown[] = [document];
  for (const segment of segments) {
    const next: unknown[] = [];
    for (const value of current) {
      if ('key' in segment) {
        if (typeof value === 'object' && value !== null && !Array.isArray(value) && segment.key in value) {
          next.push((value as Record<string, unknown>)[segment.key]);
        }
      } else if (Array.isArray(value)) {
        if ('every' in segment) next.push(...(value as unknown[]));
        else if (segment.index < value.length) next.push(value[segment.index]);
      }
    }
    current = next;
  }
  return current;
}
