/**
 * A short summary of what changed between two specs, for the audit trail: the paths of the
 * fields that differ (`spec.routes[1].backends`, `spec.rules[3]`), stopping at a few levels and
 * a few paths so an entry stays one line however large the change.
 */

const MAX_DEPTH = 3;
const MAX_PATHS = 8;
/** Paths counted at most, for the "and N more". */
const MAX_COUNTED = 1000;

export function diffPaths(before: unknown, after: unknown, root = 'spec'): string[] {
  const paths: string[] = [];
  walk(before, after, root, 0, paths);
  return paths;
}

export function diffSummary(before: unknown, after: unknown, root = 'spec'): string {
  const paths = diffPaths(before, after, root);
  if (paths.length === 0) return 'no field changed';
  const shown = paths.slice(0, MAX_PATHS);
  const more = paths.length > MAX_PATHS ? ` and ${paths.length - MAX_PATHS} more` : '';
  return `changed ${shown.join(', ')}${more}`;
}

function walk(a: unknown, b: unknown, path: string, depth: number, out: string[]): void {
  if (out.length >= MAX_COUNTED) return;
  if (same(a, b)) return;
  const objects = isObject(a) && isObject(b);
  const arrays = Array.isArray(a) && Array.isArray(b);
  if (depth >= MAX_DEPTH || (!objects && !arrays)) {
    out.push(path);
    return;
  }
  if (arrays) {
    const [x, y] = [a as unknown[], b as unknown[]];
    if (x.length !== y.length) {
      out.push(`${path} (${x.length} → ${y.length} items)`);
      return;
    }
    for (let i = 0; i < x.length; i++) walk(x[i], y[i], `${path}[${i}]`, depth + 1, out);
    return;
  }
  const [x, y] = [a as Record<string, unknown>, b as Record<string, unknown>];
  const keys = [...new Set([...Object.keys(x), ...Object.keys(y)])].sort();
  for (const key of keys) walk(x[key], y[key], `${path}.${key}`, depth + 1, out);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  return JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (!isObject(value)) return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((k) => [k, sortKeys(value[k])]),
  );
}
