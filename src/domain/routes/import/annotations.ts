/**
 * The gateway's Ingress annotations (`gateway.awesomeapi.com.br/*`) → settings of every route
 * made from that Ingress. Each annotation is either carried over, or reported with the reason it
 * is not: RouteConfig has no authentication, plugins, CORS, compression or redirects (the gateway
 * keeps those in its own configuration).
 */
import { GROUP } from '../../../api/v1alpha1/index.js';
import { HOUR_MS, SECOND_MS } from '../durations.js';
import {
  boundedDuration,
  boundedInteger,
  fitHealthCheckTimeout,
  isRecord,
  loadBalancer,
  type Notes,
  type RouteInput,
} from './convert.js';

export const ANNOTATION_PREFIX = `${GROUP}/`;

export type RouteSettings = Pick<
  RouteInput,
  'timeout' | 'loadBalancer' | 'rateLimit' | 'circuitBreaker' | 'healthCheck'
>;

type Handler = (value: string, settings: RouteSettings, notes: Notes, where: string) => void;

const unsupported =
  (why: string): Handler =>
  (_value, _settings, notes, where) =>
    notes.add(where, `not supported by RouteConfig (${why}); not imported`);

function json(value: string, notes: Notes, where: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(value);
    if (isRecord(parsed)) return parsed;
  } catch {
    // reported below
  }
  notes.add(where, 'is not a JSON object; not imported');
  return undefined;
}

function unknownKeys(object: Record<string, unknown>, known: string[], notes: Notes, where: string): void {
  for (const key of Object.keys(object)) {
    if (!known.includes(key)) notes.add(`${where} ${key}`, 'not supported by RouteConfig; not imported');
  }
}

const HANDLERS: Record<string, Handler> = {
  'backend-protocol': (value, _settings, notes, where) => {
    if (value !== 'http') {
      notes.add(
        where,
        `${value} is not supported: RouteConfig sends plain HTTP to Service backends; not imported`,
      );
    }
  },
  'ssl-redirect': unsupported('HTTP to HTTPS redirects stay in the gateway configuration'),
  'auth-type': unsupported('authentication stays in the gateway configuration'),
  plugins: unsupported('plugins stay in the gateway configuration'),
  cors: unsupported('CORS stays in the gateway configuration'),
  compression: unsupported('compression stays in the gateway configuration'),
  'upstream-timeout': (value, settings, notes, where) => {
    const timeout = boundedDuration(value, 1, HOUR_MS, notes, where);
    if (timeout !== undefined) settings.timeout = timeout;
  },
  'rate-limit': (value, settings, notes, where) => {
    const raw = json(value, notes, where);
    if (!raw) return;
    unknownKeys(raw, ['requests_per_minute', 'burst', 'key'], notes, where);
    if (raw.key !== undefined && raw.key !== 'ip') {
      notes.add(
        `${where} key`,
        `${JSON.stringify(raw.key)} is not supported: RouteConfig limits per client IP`,
      );
    }
    const rpm = boundedInteger(raw.requests_per_minute, 1, 1_000_000, notes, `${where} requests_per_minute`);
    if (rpm === undefined) return;
    const burst = boundedInteger(raw.burst, 0, 100_000, notes, `${where} burst`);
    settings.rateLimit = burst === undefined ? { requestsPerMinute: rpm } : { requestsPerMinute: rpm, burst };
  },
  'load-balancer': (value, settings, notes, where) => {
    const raw = json(value, notes, where);
    if (!raw) return;
    unknownKeys(raw, ['algorithm', 'sticky_sessions', 'health_check'], notes, where);
    const algorithm = loadBalancer(raw.algorithm, notes, `${where} algorithm`);
    if (algorithm) settings.loadBalancer = algorithm;
    if (raw.sticky_sessions === true) {
      notes.add(
        `${where} sticky_sessions`,
        'not supported by RouteConfig; use the ip_hash algorithm for affinity',
      );
    }
    if (raw.health_check !== undefined)
      healthCheck(raw.health_check, settings, notes, `${where} health_check`);
  },
  'circuit-breaker': (value, settings, notes, where) => {
    const raw = json(value, notes, where);
    if (!raw || raw.enabled === false) return;
    unknownKeys(
      raw,
      ['enabled', 'failure_threshold', 'timeout_seconds', 'half_open_max_calls'],
      notes,
      where,
    );
    const breaker: NonNullable<RouteInput['circuitBreaker']> = {};
    const threshold = boundedInteger(raw.failure_threshold, 1, 1000, notes, `${where} failure_threshold`);
    if (threshold !== undefined) breaker.failureThreshold = threshold;
    const open = boundedDuration(raw.timeout_seconds, SECOND_MS, HOUR_MS, notes, `${where} timeout_seconds`);
    if (open !== undefined) breaker.timeout = open;
    const calls = boundedInteger(raw.half_open_max_calls, 1, 100, notes, `${where} half_open_max_calls`);
    if (calls !== undefined) breaker.halfOpenMaxCalls = calls;
    settings.circuitBreaker = breaker;
  },
};

/** `health_check` of the load-balancer annotation: true, or the gateway's snake_case fields. */
function healthCheck(raw: unknown, settings: RouteSettings, notes: Notes, where: string): void {
  if (raw === false) return;
  if (raw === true) {
    settings.healthCheck = {};
    return;
  }
  if (!isRecord(raw)) {
    notes.add(where, 'must be true, false or an object; not imported');
    return;
  }
  if (raw.enabled === false) return;
  const known = [
    'enabled',
    'path',
    'interval',
    'timeout',
    'healthy_threshold',
    'unhealthy_threshold',
    'expected_status',
  ];
  unknownKeys(raw, known, notes, where);
  const check: NonNullable<RouteInput['healthCheck']> = {};
  if (typeof raw.path === 'string' && raw.path.startsWith('/')) check.path = raw.path;
  else if (raw.path !== undefined) notes.add(`${where} path`, "must start with '/'; left at the default");
  const interval = boundedDuration(raw.interval, SECOND_MS, HOUR_MS, notes, `${where} interval`);
  if (interval !== undefined) check.interval = interval;
  const timeout = boundedDuration(raw.timeout, 1, HOUR_MS, notes, `${where} timeout`);
  if (timeout !== undefined) check.timeout = timeout;
  const healthy = boundedInteger(raw.healthy_threshold, 1, 100, notes, `${where} healthy_threshold`);
  if (healthy !== undefined) check.healthyThreshold = healthy;
  const unhealthy = boundedInteger(raw.unhealthy_threshold, 1, 100, notes, `${where} unhealthy_threshold`);
  if (unhealthy !== undefined) check.unhealthyThreshold = unhealthy;
  const status = boundedInteger(raw.expected_status, 100, 599, notes, `${where} expected_status`);
  if (status !== undefined) check.expectedStatus = status;
  settings.healthCheck = check;
}

/** The settings the annotations give every route of the Ingress; notes for the rest. */
export function annotationSettings(annotations: Record<string, unknown>, notes: Notes): RouteSettings {
  const settings: RouteSettings = {};
  for (const [key, value] of Object.entries(annotations).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (!key.startsWith(ANNOTATION_PREFIX)) continue;
    const name = key.slice(ANNOTATION_PREFIX.length);
    const where = `annotation ${key}`;
    const handler = HANDLERS[name];
    if (!handler) notes.add(where, 'unknown gateway annotation; not imported');
    else if (typeof value !== 'string') notes.add(where, 'must be a string; not imported');
    else handler(value, settings, notes, where);
  }
  if (settings.healthCheck) {
    fitHealthCheckTimeout(
      settings.healthCheck,
      notes,
      `annotation ${ANNOTATION_PREFIX}load-balancer health_check`,
    );
  }
  return settings;
}
