/**
 * The gateway's gateway.yaml `upstream` section → one RouteConfig: one route for every path, its
 * backends the upstream backends (URLs, with their weights), and the section's load balancing,
 * health check and circuit breaker. The section has no host names; they come from the caller or
 * from `ssl.auto_ssl.domains`, the names the gateway already serves.
 */
import { HOUR_MS, SECOND_MS } from '../durations.js';
import {
  Notes,
  boundedDuration,
  boundedInteger,
  durationMs,
  fitHealthCheckTimeout,
  isRecord,
  loadBalancer,
  manifest,
  type ImportNote,
  type ImportResult,
  type RouteInput,
} from './convert.js';

export interface GatewayConfigOptions {
  /** Host names for the RouteConfig; default: the config's ssl.auto_ssl.domains. */
  readonly hostnames?: readonly string[];
  readonly namespace?: string;
  readonly name?: string;
  /** How the source is named in notes and in the imported-from annotation. */
  readonly fileName?: string;
}

const UPSTREAM_KEYS = ['backends', 'load_balancing', 'health_check', 'circuit_breaker'];
const BACKEND_KEYS = ['name', 'address', 'weight', 'health_check_path', 'max_connections', 'timeout'];

export function importGatewayConfig(config: unknown, options: GatewayConfigOptions = {}): ImportResult {
  const found: ImportNote[] = [];
  const file = options.fileName ?? 'gateway.yaml';
  const notes = new Notes(found, file);
  const upstream = isRecord(config) ? config.upstream : undefined;
  if (!isRecord(upstream)) {
    notes.add('upstream', 'missing: nothing to import');
    return { manifests: [], notes: found };
  }
  for (const key of Object.keys(upstream)) {
    if (!UPSTREAM_KEYS.includes(key)) notes.add(`upstream.${key}`, 'unknown setting; not imported');
  }

  const hostnames = options.hostnames?.length ? [...options.hostnames] : autoSslDomains(config);
  if (hostnames.length === 0) {
    notes.add(
      '',
      'no host names: pass --hostname (the upstream section has none, nor has ssl.auto_ssl.domains)',
    );
    return { manifests: [], notes: found };
  }
  if (!options.hostnames?.length) {
    notes.add('ssl.auto_ssl.domains', `used as the RouteConfig's hostnames (${hostnames.join(', ')})`);
  }

  const route: RouteInput = { name: 'default', backends: backends(upstream.backends, notes) };
  if (list(upstream.backends).some((b) => b.name !== undefined)) {
    notes.add('upstream.backends[*].name', 'not imported: RouteConfig backends have no names');
  }
  if (route.backends.length === 0) {
    notes.add('upstream.backends', 'no usable backend: nothing to import');
    return { manifests: [], notes: found };
  }
  const timeout = commonTimeout(upstream.backends, notes);
  if (timeout !== undefined) route.timeout = timeout;
  applyLoadBalancing(route, upstream.load_balancing, notes);
  applyHealthCheck(route, upstream.health_check, upstream.backends, notes);
  applyCircuitBreaker(route, upstream.circuit_breaker, notes);

  const name = options.name ?? 'upstream';
  return {
    manifests: [manifest(name, options.namespace, `${file} upstream`, { hostnames, routes: [route] })],
    notes: found,
  };
}

function autoSslDomains(config: unknown): string[] {
  const ssl = isRecord(config) ? config.ssl : undefined;
  const auto = isRecord(ssl) ? ssl.auto_ssl : undefined;
  const domains = isRecord(auto) ? auto.domains : undefined;
  return Array.isArray(domains) ? domains.filter((d): d is string => typeof d === 'string') : [];
}

function list(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.filter(isRecord) : [];
}

function backends(raw: unknown, notes: Notes): RouteInput['backends'] {
  const result: RouteInput['backends'] = [];
  for (const [i, backend] of list(raw).entries()) {
    const at = `upstream.backends[${i}]`;
    for (const key of Object.keys(backend)) {
      if (!BACKEND_KEYS.includes(key)) notes.add(`${at}.${key}`, 'unknown setting; not imported');
    }
    const address = backend.address;
    if (typeof address !== 'string' || !/^https?:\/\//.test(address) || !URL.canParse(address)) {
      notes.add(
        `${at}.address`,
        `${JSON.stringify(address)} is not an http:// or https:// URL; backend left out`,
      );
      continue;
    }
    const host = new URL(address).hostname;
    if (['localhost', '127.0.0.1', '[::1]'].includes(host)) {
      notes.add(
        `${at}.address`,
        `${address} is the gateway pod itself in Kubernetes; point it at a Service instead`,
      );
    }
    if (backend.max_connections !== undefined) {
      notes.add(
        `${at}.max_connections`,
        'not supported by RouteConfig (no per-backend connection limit); not imported',
      );
    }
    const weight = boundedInteger(backend.weight ?? 1, 0, 1000, notes, `${at}.weight`) ?? 1;
    result.push({ url: address, weight });
  }
  return result;
}

/** RouteConfig has one timeout per route: the backends' timeout when they agree, else the longest. */
function commonTimeout(raw: unknown, notes: Notes): string | undefined {
  const timeouts = new Set<string>();
  for (const [i, backend] of list(raw).entries()) {
    const timeout = boundedDuration(backend.timeout, 1, HOUR_MS, notes, `upstream.backends[${i}].timeout`);
    if (timeout !== undefined) timeouts.add(timeout);
  }
  const distinct = [...timeouts];
  if (distinct.length <= 1) return distinct[0];
  const longest = distinct.reduce((a, b) => (durationMs(b) > durationMs(a) ? b : a));
  notes.add(
    'upstream.backends[*].timeout',
    `backends differ (${distinct.join(', ')}); the route uses the longest, ${longest}`,
  );
  return longest;
}

function applyLoadBalancing(route: RouteInput, raw: unknown, notes: Notes): void {
  if (!isRecord(raw)) return;
  const algorithm = loadBalancer(raw.algorithm, notes, 'upstream.load_balancing.algorithm');
  if (algorithm) route.loadBalancer = algorithm;
  if (raw.sticky_sessions === true) {
    notes.add(
      'upstream.load_balancing.sticky_sessions',
      'not supported by RouteConfig; use ip_hash for affinity',
    );
  }
  if (raw.session_cookie !== undefined) {
    const why = raw.sticky_sessions === true ? 'sticky sessions are not supported' : 'sticky_sessions is off';
    notes.add('upstream.load_balancing.session_cookie', `not imported (${why})`);
  }
}

function applyHealthCheck(route: RouteInput, raw: unknown, backends: unknown, notes: Notes): void {
  const at = 'upstream.health_check';
  const paths = [
    ...new Set(
      list(backends).flatMap((b) => (typeof b.health_check_path === 'string' ? [b.health_check_path] : [])),
    ),
  ];
  if (!isRecord(raw) || raw.enabled === false) {
    if (paths.length > 0)
      notes.add('upstream.backends[*].health_check_path', 'health checks are off; not imported');
    return;
  }
  const path = typeof raw.path === 'string' ? raw.path : paths[0];
  const others = paths.filter((p) => p !== path);
  if (others.length > 0) {
    notes.add(
      'upstream.backends[*].health_check_path',
      `RouteConfig checks one path per route; using ${path ?? '/health'}, not ${others.join(', ')}`,
    );
  }
  const interval = boundedDuration(raw.interval, SECOND_MS, HOUR_MS, notes, `${at}.interval`);
  const timeout = boundedDuration(raw.timeout, 1, HOUR_MS, notes, `${at}.timeout`);
  const check: NonNullable<RouteInput['healthCheck']> = {};
  if (path !== undefined) check.path = path;
  if (interval !== undefined) check.interval = interval;
  if (timeout !== undefined) check.timeout = timeout;
  fitHealthCheckTimeout(check, notes, `${at}.timeout`);
  // The gateway's retries are the failures in a row that mark a backend down.
  const retries = boundedInteger(raw.retries, 1, 100, notes, `${at}.retries`);
  if (retries !== undefined) check.unhealthyThreshold = retries;
  const status = boundedInteger(raw.expected_status, 100, 599, notes, `${at}.expected_status`);
  if (status !== undefined) check.expectedStatus = status;
  for (const key of Object.keys(raw)) {
    if (!['enabled', 'interval', 'timeout', 'retries', 'path', 'expected_status'].includes(key)) {
      notes.add(`${at}.${key}`, 'unknown setting; not imported');
    }
  }
  route.healthCheck = check;
}

function applyCircuitBreaker(route: RouteInput, raw: unknown, notes: Notes): void {
  if (!isRecord(raw) || raw.enabled === false) return;
  const at = 'upstream.circuit_breaker';
  const breaker: NonNullable<RouteInput['circuitBreaker']> = {};
  const threshold = boundedInteger(raw.failure_threshold, 1, 1000, notes, `${at}.failure_threshold`);
  if (threshold !== undefined) breaker.failureThreshold = threshold;
  const open = boundedDuration(
    raw.timeout ?? raw.timeout_seconds,
    SECOND_MS,
    HOUR_MS,
    notes,
    `${at}.timeout`,
  );
  if (open !== undefined) breaker.timeout = open;
  const calls = boundedInteger(raw.half_open_max_calls, 1, 100, notes, `${at}.half_open_max_calls`);
  if (calls !== undefined) breaker.halfOpenMaxCalls = calls;
  for (const key of Object.keys(raw)) {
    if (
      !['enabled', 'failure_threshold', 'timeout', 'timeout_seconds', 'half_open_max_calls'].includes(key)
    ) {
      notes.add(`${at}.${key}`, 'unknown setting; not imported');
    }
  }
  route.circuitBreaker = breaker;
}
