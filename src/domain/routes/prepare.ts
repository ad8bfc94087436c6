/**
 * One RouteConfig spec → its valid routes in canonical form, plus a problem for everything the
 * gateway could not take. The API server runs most of the schema's rules, but not the gateway's
 * regex engine, and objects stored under an older CRD skip the newer rules, so the compiler checks
 * the whole spec again and never ships what fails. A route with a problem is left out; a bad
 * hostname is left out; the rest of the RouteConfig is still compiled.
 */
import type { RouteConfigSpec } from '../../api/v1alpha1/index.js';
import { DNS_LABEL, DNS_SUBDOMAIN, HEADER_NAME, HOSTNAME, matches } from '../../api/v1alpha1/checks/names.js';
import { HOUR_MS, SECOND_MS, durationField, formatMillis, type DurationBounds } from './durations.js';
import {
  cachedRegexProblem,
  canonicalPath,
  comparePrecedence,
  compareStrings,
  isPathType,
  matchKey,
  pathProblem,
  payloadPathType,
} from './match.js';
import type { PayloadMatch, PayloadRoute, RouteProblem } from './types.js';

/** Every field optional: the compiler may see a spec without the API server's defaults. */
type Loose<T> = T extends readonly (infer U)[]
  ? readonly Loose<U>[]
  : T extends object
    ? { readonly [K in keyof T]?: Loose<T[K]> }
    : T;
type LooseRoute = NonNullable<Loose<RouteConfigSpec>['routes']>[number];

export interface PreparedBackend {
  readonly service?: { readonly name: string; readonly port: number };
  readonly url?: string;
  readonly weight: number;
}

/** The settings of a route that do not depend on other objects, already in payload form. */
export type RouteSettings = Omit<PayloadRoute, 'name' | 'match' | 'backends' | 'waf_rule_sets'>;

export interface PreparedRoute {
  readonly name: string;
  readonly match: PayloadMatch;
  /** {@link matchKey} of the match. */
  readonly key: string;
  /** What the route claims: one key per hostname of the RouteConfig, in hostname order. */
  readonly claims: readonly string[];
  readonly backends: readonly PreparedBackend[];
  /** Names of WafRuleSets in the RouteConfig's namespace, in the order the spec gives. */
  readonly wafRuleSets: readonly string[];
  readonly settings: RouteSettings;
}

export interface PreparedConfig {
  readonly problems: readonly RouteProblem[];
  /** Valid hostnames, sorted. */
  readonly hostnames: readonly string[];
  /** Name of the Certificate in the RouteConfig's namespace. */
  readonly certificate?: string;
  /** Valid routes, most specific first. */
  readonly routes: readonly PreparedRoute[];
  readonly routesTotal: number;
}

export const LOAD_BALANCERS = ['round_robin', 'least_connections', 'ip_hash', 'random'] as const;
export const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'CONNECT', 'TRACE'];

const ROUTE_TIMEOUT: DurationBounds = { minMs: 1, maxMs: HOUR_MS };
const OPEN_CIRCUIT: DurationBounds = { minMs: SECOND_MS, maxMs: HOUR_MS };
const CHECK_INTERVAL: DurationBounds = { minMs: SECOND_MS, maxMs: HOUR_MS };
const CHECK_TIMEOUT: DurationBounds = { minMs: 1, maxMs: HOUR_MS };

/** Collects problems under a path prefix; each check returns the value it read when it is valid. */
class Checker {
  readonly problems: RouteProblem[] = [];

  add(path: string, message: string): void {
    this.problems.push({ path, message });
  }

  integer(value: unknown, fallback: number, path: string, min: number, max: number): number {
    const n = value ?? fallback;
    if (typeof n === 'number' && Number.isInteger(n) && n >= min && n <= max) return n;
    const got = value === undefined ? 'it is required' : `got ${JSON.stringify(value)}`;
    this.add(path, `must be a whole number from ${min} to ${max}, ${got}`);
    return fallback;
  }

  /** Milliseconds; undefined (and a problem) when the value is not allowed. */
  duration(value: unknown, fallback: string, path: string, bounds: DurationBounds): number | undefined {
    const result = durationField(value ?? fallback, bounds);
    if ('ms' in result) return result.ms;
    this.add(path, result.problem);
    return undefined;
  }

  regex(pattern: string, path: string): void {
    const problem = cachedRegexProblem(pattern);
    if (problem) this.add(path, `${problem} (patterns use the gateway's Rust regex syntax)`);
  }
}

export function prepareRoutes(rawSpec: RouteConfigSpec): PreparedConfig {
  const spec = rawSpec as Loose<RouteConfigSpec>;
  const check = new Checker();
  const hostnames = prepareHostnames(spec.hostnames ?? [], check);

  const certificate = spec.tls?.certificateRef?.name;
  if (certificate !== undefined && !isObjectName(certificate)) {
    check.add(
      'spec.tls.certificateRef.name',
      "must be a lowercase RFC 1123 name: letters, digits, '-' and '.'",
    );
  }

  const raw = spec.routes ?? [];
  if (raw.length < 1 || raw.length > 64)
    check.add('spec.routes', `must list 1 to 64 routes, got ${raw.length}`);
  const routes: PreparedRoute[] = [];
  const names = new Set<string>();
  for (const [i, route] of raw.entries()) {
    const path = `spec.routes[${i}]`;
    const before = check.problems.length;
    const prepared = prepareRoute(route, path, check);
    const name = route.name ?? '';
    if (names.has(name))
      check.add(`${path}.name`, `route name "${name}" is used more than once; names must be unique`);
    names.add(name);
    if (prepared && check.problems.length === before) routes.push(prepared);
  }
  // The same match twice in one RouteConfig is ambiguous: the route whose name sorts first keeps it.
  const byKey = new Map<string, PreparedRoute>();
  const kept: PreparedRoute[] = [];
  for (const route of [...routes].sort((a, b) => compareStrings(a.name, b.name))) {
    const first = byKey.get(route.key);
    if (first) {
      const index = raw.findIndex((r) => r.name === route.name);
      check.add(
        `spec.routes[${index}].match`,
        `route "${route.name}" has the same match as route "${first.name}"; each match may appear once`,
      );
      continue;
    }
    byKey.set(route.key, route);
    kept.push(route);
  }
  return {
    problems: check.problems,
    hostnames,
    ...(certificate !== undefined ? { certificate } : {}),
    routes: kept
      .sort(comparePrecedence)
      .map((route) => ({ ...route, claims: hostnames.map((host) => `${host}\u0003${route.key}`) })),
    routesTotal: raw.length,
  };
}

function isObjectName(name: string): boolean {
  return name.length >= 1 && name.length <= 253 && matches(DNS_SUBDOMAIN, name);
}

function prepareHostnames(raw: readonly (string | undefined)[], check: Checker): string[] {
  if (raw.length < 1 || raw.length > 16)
    check.add('spec.hostnames', `must list 1 to 16 hostnames, got ${raw.length}`);
  const seen = new Set<string>();
  for (const [i, host] of raw.entries()) {
    if (typeof host !== 'string' || host.length > 253 || !matches(HOSTNAME, host)) {
      check.add(
        `spec.hostnames[${i}]`,
        `${JSON.stringify(host)} is not a hostname: use a lowercase DNS name such as app.example.com, ` +
          'or *.example.com for one label of any subdomain',
      );
    } else if (seen.has(host)) {
      check.add(`spec.hostnames[${i}]`, `${host} is listed more than once`);
    } else {
      seen.add(host);
    }
  }
  return [...seen].sort(compareStrings);
}

function prepareRoute(route: LooseRoute, path: string, check: Checker): PreparedRoute | undefined {
  const name = route.name ?? '';
  if (name.length > 63 || !matches(DNS_LABEL, name)) {
    check.add(`${path}.name`, 'must be a lowercase RFC 1123 label (letters, digits and -, at most 63)');
  }
  const match = prepareMatch(route.match, `${path}.match`, check);
  const backends = prepareBackends(route.backends ?? [], `${path}.backends`, check);
  const wafRuleSets = prepareWafRefs(route.wafRuleSetRefs ?? [], `${path}.wafRuleSetRefs`, check);
  const settings = prepareSettings(route, path, check);
  if (!match) return undefined;
  return { name, match, key: matchKey(match), claims: [], backends, wafRuleSets, settings };
}

function prepareMatch(raw: LooseRoute['match'], path: string, check: Checker): PayloadMatch | undefined {
  const type = raw?.path?.type ?? 'Prefix';
  const value = raw?.path?.value ?? '/';
  let valid = true;
  if (!isPathType(type)) {
    check.add(`${path}.path.type`, `must be Prefix, Exact or RegularExpression, got ${JSON.stringify(type)}`);
    return undefined;
  }
  if (value.length > 1024) {
    check.add(`${path}.path.value`, `must be at most 1024 characters, got ${value.length}`);
    valid = false;
  } else if (type === 'RegularExpression') {
    const before = check.problems.length;
    check.regex(value, `${path}.path.value`);
    valid = check.problems.length === before;
  } else {
    const problem = pathProblem(value);
    if (problem) {
      check.add(`${path}.path.value`, `${problem}; for other shapes use type RegularExpression`);
      valid = false;
    }
  }

  const methods = raw?.methods ?? [];
  for (const [i, method] of methods.entries()) {
    if (!METHODS.includes(method)) check.add(`${path}.methods[${i}]`, `must be one of ${METHODS.join(', ')}`);
    else if (methods.indexOf(method) !== i) check.add(`${path}.methods[${i}]`, `${method} is listed twice`);
  }

  const headers: { name: string; type: 'exact' | 'regex'; value: string }[] = [];
  const rawHeaders = raw?.headers ?? [];
  if (rawHeaders.length > 16)
    check.add(`${path}.headers`, `must list at most 16 headers, got ${rawHeaders.length}`);
  for (const [i, header] of rawHeaders.entries()) {
    const at = `${path}.headers[${i}]`;
    const headerName = (header.name ?? '').toLowerCase();
    // Widened: a stored object may hold a value the current schema would refuse.
    const headerType: string = header.type ?? 'Exact';
    const headerValue = header.value ?? '';
    if (!matches(HEADER_NAME, headerName) || headerName.length > 256) {
      check.add(`${at}.name`, "must be an HTTP header name (letters, digits and !#$%&'*+.^_`|~-)");
    } else if (headers.some((h) => h.name === headerName)) {
      check.add(
        `${at}.name`,
        `header ${headerName} is matched twice (names are case-insensitive); match it once`,
      );
    }
    if (headerType === 'RegularExpression') check.regex(headerValue, `${at}.value`);
    else if (headerType !== 'Exact') check.add(`${at}.type`, 'must be Exact or RegularExpression');
    headers.push({
      name: headerName,
      type: headerType === 'RegularExpression' ? 'regex' : 'exact',
      value: headerValue,
    });
  }
  if (!valid) return undefined;
  return {
    path: { type: payloadPathType(type), value: canonicalPath(type, value) },
    ...(methods.length > 0 ? { methods: [...new Set(methods)].sort(compareStrings) } : {}),
    ...(headers.length > 0 ? { headers: headers.sort((a, b) => compareStrings(a.name, b.name)) } : {}),
  };
}

function prepareBackends(
  raw: readonly NonNullable<LooseRoute['backends']>[number][],
  path: string,
  check: Checker,
): PreparedBackend[] {
  if (raw.length < 1 || raw.length > 16) check.add(path, `must list 1 to 16 backends, got ${raw.length}`);
  const backends: PreparedBackend[] = [];
  for (const [i, backend] of raw.entries()) {
    const at = `${path}[${i}]`;
    const weight = check.integer(backend.weight, 1, `${at}.weight`, 0, 1000);
    const { service, url } = backend;
    if ((service === undefined) === (url === undefined)) {
      check.add(at, 'set exactly one of service (a Service in this namespace) or url');
      continue;
    }
    if (service) {
      const name = service.name ?? '';
      if (name.length > 63 || !matches(DNS_LABEL, name)) {
        check.add(`${at}.service.name`, 'must be a Service name: a lowercase RFC 1123 label');
      }
      const port = check.integer(service.port, 0, `${at}.service.port`, 1, 65535);
      backends.push({ service: { name, port }, weight });
    } else if (url !== undefined) {
      if (!/^https?:\/\//.test(url) || !URL.canParse(url) || url.length > 2048) {
        check.add(`${at}.url`, 'must be an http:// or https:// URL of at most 2048 characters');
      }
      backends.push({ url, weight });
    }
  }
  if (raw.length > 0 && !backends.some((b) => b.weight > 0)) {
    check.add(path, 'at least one backend needs a weight above 0, or the route could send nowhere');
  }
  return backends;
}

function prepareWafRefs(
  raw: readonly NonNullable<LooseRoute['wafRuleSetRefs']>[number][],
  path: string,
  check: Checker,
): string[] {
  if (raw.length > 8) check.add(path, `must list at most 8 WafRuleSets, got ${raw.length}`);
  const names: string[] = [];
  for (const [i, ref] of raw.entries()) {
    const name = ref.name ?? '';
    if (!isObjectName(name))
      check.add(`${path}[${i}].name`, "must be a lowercase RFC 1123 name: letters, digits, '-' and '.'");
    else if (names.includes(name))
      check.add(`${path}[${i}].name`, `WafRuleSet ${name} is listed twice; name each once`);
    names.push(name);
  }
  return names;
}

function prepareSettings(route: LooseRoute, path: string, check: Checker): RouteSettings {
  const loadBalancer = route.loadBalancer ?? 'round_robin';
  if (!(LOAD_BALANCERS as readonly string[]).includes(loadBalancer)) {
    check.add(`${path}.loadBalancer`, `must be one of ${LOAD_BALANCERS.join(', ')}`);
  }
  const settings: {
    -readonly [K in keyof RouteSettings]: RouteSettings[K];
  } = {
    load_balancer: loadBalancer,
    timeout: formatMillis(check.duration(route.timeout, '30s', `${path}.timeout`, ROUTE_TIMEOUT) ?? 0),
    retries: check.integer(route.retries, 0, `${path}.retries`, 0, 10),
  };
  const breaker = route.circuitBreaker;
  if (breaker) {
    const at = `${path}.circuitBreaker`;
    settings.circuit_breaker = {
      failure_threshold: check.integer(breaker.failureThreshold, 5, `${at}.failureThreshold`, 1, 1000),
      timeout: formatMillis(check.duration(breaker.timeout, '60s', `${at}.timeout`, OPEN_CIRCUIT) ?? 0),
      half_open_max_calls: check.integer(breaker.halfOpenMaxCalls, 3, `${at}.halfOpenMaxCalls`, 1, 100),
    };
  }
  const health = route.healthCheck;
  if (health) {
    const at = `${path}.healthCheck`;
    const checkPath = health.path ?? '/health';
    if (!checkPath.startsWith('/') || !/^[\x21-\x7e]+$/.test(checkPath) || checkPath.length > 1024) {
      check.add(`${at}.path`, "must start with '/' and hold visible ASCII characters only (at most 1024)");
    }
    // A route with a problem is not shipped, so 0 only stands in for a value already reported.
    const interval = check.duration(health.interval, '30s', `${at}.interval`, CHECK_INTERVAL) ?? 0;
    const timeout = check.duration(health.timeout, '5s', `${at}.timeout`, CHECK_TIMEOUT) ?? 0;
    if (interval > 0 && timeout > 0 && timeout >= interval) {
      check.add(
        `${at}.timeout`,
        `must be shorter than interval (${formatMillis(interval)}), got ${formatMillis(timeout)}`,
      );
    }
    settings.health_check = {
      path: checkPath,
      interval: formatMillis(interval),
      timeout: formatMillis(timeout),
      healthy_threshold: check.integer(health.healthyThreshold, 2, `${at}.healthyThreshold`, 1, 100),
      unhealthy_threshold: check.integer(health.unhealthyThreshold, 3, `${at}.unhealthyThreshold`, 1, 100),
      expected_status: check.integer(health.expectedStatus, 200, `${at}.expectedStatus`, 100, 599),
    };
  }
  const limit = route.rateLimit;
  if (limit) {
    const at = `${path}.rateLimit`;
    const rpm = check.integer(limit.requestsPerMinute, 0, `${at}.requestsPerMinute`, 1, 1_000_000);
    settings.rate_limit =
      limit.burst === undefined
        ? { requests_per_minute: rpm }
        : { requests_per_minute: rpm, burst: check.integer(limit.burst, 0, `${at}.burst`, 0, 100_000) };
  }
  return settings;
}
