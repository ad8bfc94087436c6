/**
 * Request matches: the path grammar, the canonical form of a match (so two spellings of the same
 * match are recognised as one claim), the key conflicts are detected on, and the precedence the
 * routes of a payload are ordered by.
 */
import { regexProblem } from '../../api/v1alpha1/checks/regex.js';
import type { PayloadMatch } from './types.js';

/**
 * Gateway API's path grammar (HTTPPathMatch): RFC 3986 path characters and %-escapes, without
 * `//`, dot segments, an escaped slash or a fragment, which proxies and backends normalise
 * differently (a classic way round a path-based rule).
 */
const PATH_CHARS = /^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|%[0-9a-fA-F]{2})+$/;
const PATH_ALLOWED = "letters, digits, -._~!$&'()*+,;=:@/ and %-escapes; no //, /./, /../, %2F or #";

export function pathProblem(value: string): string | undefined {
  if (!value.startsWith('/')) return `path must start with '/', got "${value}"`;
  const bad = (reason: string) => `path ${reason} (allowed: ${PATH_ALLOWED})`;
  if (!PATH_CHARS.test(value)) {
    const char = /[^-A-Za-z0-9/._~!$&'()*+,;=:@%]/u.exec(value)?.[0];
    return bad(char === undefined ? 'has a malformed %-escape' : `must not contain ${JSON.stringify(char)}`);
  }
  if (value.includes('//')) return bad("must not contain '//'");
  if (/\/\.\.?(\/|$)/.test(value)) return bad('must not contain a . or .. segment');
  if (/%2f/i.test(value)) return bad('must not contain an escaped slash (%2F)');
  return undefined;
}

const REGEX_PROBLEMS = new Map<string, string | undefined>();
const REGEX_MEMO_LIMIT = 10_000;

/** rregex (the gateway's own engine) compiled once per distinct pattern. */
export function cachedRegexProblem(pattern: string): string | undefined {
  if (REGEX_PROBLEMS.has(pattern)) return REGEX_PROBLEMS.get(pattern);
  const problem = regexProblem(pattern);
  if (REGEX_PROBLEMS.size >= REGEX_MEMO_LIMIT) REGEX_PROBLEMS.clear();
  REGEX_PROBLEMS.set(pattern, problem);
  return problem;
}

const PATH_TYPES = { Exact: 'exact', Prefix: 'prefix', RegularExpression: 'regex' } as const;
export type PathType = keyof typeof PATH_TYPES;

export function isPathType(type: string): type is PathType {
  return Object.hasOwn(PATH_TYPES, type);
}

export function payloadPathType(type: PathType): PayloadMatch['path']['type'] {
  return PATH_TYPES[type];
}

/**
 * Prefix matching is by path segment, so `/api` and `/api/` match the same requests: the
 * canonical prefix has no trailing slash (except `/` itself).
 */
export function canonicalPath(type: PathType, value: string): string {
  if (type !== 'Prefix' || value === '/') return value;
  return value.replace(/\/+$/, '') || '/';
}

/**
 * The identity of a match, hostnames aside. Methods and headers are part of it: two routes that
 * differ in them are told apart by precedence, not ambiguous, exactly as Gateway API merges
 * HTTPRoute rules; only the very same match claimed twice is a conflict.
 */
export function matchKey(match: PayloadMatch): string {
  const headers = (match.headers ?? []).map((h) => `${h.name}\u0001${h.type}\u0001${h.value}`);
  return [match.path.type, match.path.value, (match.methods ?? []).join(','), headers.join('\u0002')].join(
    '\u0000',
  );
}

const TYPE_NAMES = { exact: 'Exact', prefix: 'Prefix', regex: 'RegularExpression' } as const;

/** A match as a user reads it in a condition: `Prefix /api GET header x-env=canary`. */
export function describeMatch(match: PayloadMatch): string {
  const parts = [`${TYPE_NAMES[match.path.type]} ${match.path.value}`];
  if (match.methods?.length) parts.push(match.methods.join(','));
  for (const h of match.headers ?? [])
    parts.push(`header ${h.name}${h.type === 'regex' ? '~' : '='}${h.value}`);
  return parts.join(' ');
}

const TYPE_RANK = { exact: 0, regex: 1, prefix: 2 } as const;

/**
 * Most specific first: Exact, then RegularExpression, then Prefix; within a type the longer value;
 * then a method match; then more header matches; then the value and the route name, so the
 * order never depends on how the spec lists its routes.
 */
export function comparePrecedence(
  a: { readonly name: string; readonly match: PayloadMatch },
  b: { readonly name: string; readonly match: PayloadMatch },
): number {
  const [pa, pb] = [a.match.path, b.match.path];
  return (
    TYPE_RANK[pa.type] - TYPE_RANK[pb.type] ||
    pb.value.length - pa.value.length ||
    Number(b.match.methods !== undefined) - Number(a.match.methods !== undefined) ||
    (b.match.headers?.length ?? 0) - (a.match.headers?.length ?? 0) ||
    compareStrings(pa.value, pb.value) ||
    compareStrings(a.name, b.name)
  );
}

/** Code-unit order, the same on every machine (localeCompare is not). */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
