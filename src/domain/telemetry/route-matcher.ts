/**
 * Which route served a request, from the routes the gateways were given: host, method and path
 * → 'namespace/name/route' of the RouteConfig route, with that route's WAF rule sets. The
 * gateway's own rules (docs/routes.md, "Matching"): an exact host name before a wildcard that
 * covers one label, then route precedence (Exact, RegularExpression, Prefix; longer first; ...).
 * Header conditions are not in the access log: a route with header matches is taken only when
 * no route without them matches. Answers are memoised in a bounded map, since a few paths carry
 * most of the traffic.
 */
import { RRegex } from 'rregex';
import { comparePrecedence } from '../routes/match.js';
import type { PayloadMatch, RoutesPayload } from '../routes/types.js';

export interface ServedRouteConfig {
  /** 'namespace/name' of the RouteConfig. */
  readonly key: string;
  readonly payload: RoutesPayload;
}

export interface RouteMatch {
  /** 'namespace/name/route'. */
  readonly route: string;
  readonly wafRuleSets: readonly string[];
}

interface Candidate {
  readonly name: string;
  readonly id: string;
  readonly match: PayloadMatch;
  readonly wafRuleSets: readonly string[];
  readonly regex?: RRegex;
}

const MEMO_LIMIT = 20_000;

export class RouteMatcher {
  private readonly exact = new Map<string, Candidate[]>();
  private readonly wildcard = new Map<string, Candidate[]>();
  /** host → method → path → the answer (null: no route). */
  private readonly memo = new Map<string, Map<string, Map<string, RouteMatch | null>>>();
  private memoSize = 0;
  private readonly regexes: RRegex[] = [];

  constructor(configs: readonly ServedRouteConfig[]) {
    for (const { key, payload } of configs) {
      const candidates = payload.routes.map((r): Candidate => {
        const regex = r.match.path.type === 'regex' ? this.compile(r.match.path.value) : undefined;
        return {
          name: r.name,
          id: `${key}/${r.name}`,
          match: r.match,
          wafRuleSets: r.waf_rule_sets ?? [],
          ...(regex ? { regex } : {}),
        };
      });
      for (const hostname of payload.hostnames) {
        const host = hostname.toLowerCase();
        const table = host.startsWith('*.') ? this.wildcard : this.exact;
        const name = host.startsWith('*.') ? host.slice(1) : host;
        const list = table.get(name) ?? [];
        list.push(...candidates);
        table.set(name, list);
      }
    }
    for (const table of [this.exact, this.wildcard])
      for (const list of table.values()) list.sort(comparePrecedence);
  }

  /** The number of distinct host names known, for logs. */
  get hosts(): number {
    return this.exact.size + this.wildcard.size;
  }

  match(host: string, method: string, path: string): RouteMatch | undefined {
    // One map per part, not a joined key: joining and hashing a fresh string per record was the
    // matcher's main cost.
    let byMethod = this.memo.get(host);
    if (!byMethod) this.memo.set(host, (byMethod = new Map<string, Map<string, RouteMatch | null>>()));
    let byPath = byMethod.get(method);
    if (!byPath) byMethod.set(method, (byPath = new Map<string, RouteMatch | null>()));
    const known = byPath.get(path);
    if (known !== undefined) return known ?? undefined;
    const name = normaliseHost(host);
    let found = pick(this.exact.get(name), method, path);
    if (!found) {
      const dot = name.indexOf('.');
      if (dot > 0) found = pick(this.wildcard.get(name.slice(dot)), method, path);
    }
    const result = found ? { route: found.id, wafRuleSets: found.wafRuleSets } : undefined;
    if (this.memoSize >= MEMO_LIMIT) {
      this.memo.clear();
      this.memoSize = 0;
    }
    this.memoSize += 1;
    byPath.set(path, result ?? null);
    return result;
  }

  /** Frees the regexes' WebAssembly memory. */
  dispose(): void {
    for (const regex of this.regexes) regex.free();
    this.regexes.length = 0;
  }

  private compile(pattern: string): RRegex | undefined {
    try {
      const regex = new RRegex(pattern);
      this.regexes.push(regex);
      return regex;
    } catch {
      // The compiler refused it already; such a route never reaches a gateway.
      return undefined;
    }
  }
}

/** Lowercase, without a port or a trailing dot. */
export function normaliseHost(host: string): string {
  let name = host.toLowerCase();
  if (name.startsWith('[')) return name;
  const colon = name.lastIndexOf(':');
  if (colon >= 0) name = name.slice(0, colon);
  return name.endsWith('.') ? name.slice(0, -1) : name;
}

function pick(
  candidates: readonly Candidate[] | undefined,
  method: string,
  path: string,
): Candidate | undefined {
  if (!candidates) return undefined;
  let withHeaders: Candidate | undefined;
  for (const c of candidates) {
    if (!pathMatches(c, path)) continue;
    const methods = c.match.methods;
    if (methods && methods.length > 0 && !methods.includes(method)) continue;
    if (c.match.headers && c.match.headers.length > 0) {
      withHeaders ??= c;
      continue;
    }
    return c;
  }
  return withHeaders;
}

function pathMatches(c: Candidate, path: string): boolean {
  const { type, value } = c.match.path;
  switch (type) {
    case 'exact':
      return path === value;
    case 'prefix':
      return value === '/' || path === value || path.startsWith(value.endsWith('/') ? value : `${value}/`);
    case 'regex':
      return c.regex?.isMatch(path) ?? false;
  }
}
