/**
 * What the two importers share: the RouteConfig manifest they emit, the notes they report for
 * whatever they could not carry over (so nothing is dropped silently), and conversions from the
 * gateway's own spellings (snake_case, seconds, its algorithm names) to RouteConfig fields.
 */
import { API_VERSION, type InputOfKind, type routeConfigKind } from '../../../api/v1alpha1/index.js';
import { durationProblem, parseDuration } from '../../../api/v1alpha1/checks/duration.js';
import { LOAD_BALANCERS } from '../prepare.js';

export type RouteConfigManifest = InputOfKind<typeof routeConfigKind>;
export type RouteInput = RouteConfigManifest['spec']['routes'][number];
export type Spec = RouteConfigManifest['spec'];

/** Something in the input that the manifests do not carry, or carry differently. */
export interface ImportNote {
  /** Where: `gateway.yaml upstream.backends[0].max_connections`, `Ingress shop/web annotation cors`. */
  readonly source: string;
  readonly message: string;
}

export interface ImportResult {
  readonly manifests: RouteConfigManifest[];
  readonly notes: ImportNote[];
}

/** Records notes under a source prefix. */
export class Notes {
  constructor(
    readonly list: ImportNote[],
    private readonly prefix: string,
  ) {}

  add(where: string, message: string): void {
    this.list.push({ source: where ? `${this.prefix} ${where}` : this.prefix, message });
  }
}

export const IMPORTED_FROM = 'gateway.awesomeapi.com.br/imported-from';

export function manifest(
  name: string,
  namespace: string | undefined,
  source: string,
  spec: Spec,
): RouteConfigManifest {
  return {
    apiVersion: API_VERSION,
    kind: 'RouteConfig',
    metadata: {
      name,
      ...(namespace ? { namespace } : {}),
      annotations: { [IMPORTED_FROM]: source },
    },
    spec,
  };
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A duration as RouteConfig spells it: Go syntax as is, a bare number as seconds (the gateway's
 * `timeout_seconds` and many annotations); undefined when it is neither.
 */
export function toDuration(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return `${value}s`;
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return `${text}s`;
  return durationProblem(text) === undefined ? text : undefined;
}

export function durationMs(text: string): number {
  return Number((parseDuration(text) ?? 0n) / 1_000_000n);
}

type LoadBalancer = NonNullable<RouteInput['loadBalancer']>;

/** The gateway's algorithm names → RouteConfig's; `weighted` is round robin over weighted backends. */
export function loadBalancer(algorithm: unknown, notes: Notes, where: string): LoadBalancer | undefined {
  if (algorithm === undefined) return undefined;
  if ((LOAD_BALANCERS as readonly unknown[]).includes(algorithm)) return algorithm as LoadBalancer;
  if (algorithm === 'weighted') {
    notes.add(
      where,
      'weighted is round_robin over the backend weights in RouteConfig; imported as round_robin',
    );
    return 'round_robin';
  }
  notes.add(
    where,
    `${JSON.stringify(algorithm)} is not supported (${LOAD_BALANCERS.join(', ')}); using round_robin`,
  );
  return 'round_robin';
}

/** An integer within bounds, or a note and undefined. */
export function boundedInteger(
  value: unknown,
  min: number,
  max: number,
  notes: Notes,
  where: string,
): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) return value;
  notes.add(where, `${JSON.stringify(value)} is not a whole number from ${min} to ${max}; left out`);
  return undefined;
}

/** A duration within bounds (milliseconds), or a note and undefined. */
export function boundedDuration(
  value: unknown,
  minMs: number,
  maxMs: number,
  notes: Notes,
  where: string,
): string | undefined {
  if (value === undefined) return undefined;
  const text = toDuration(value);
  if (text !== undefined) {
    const ms = durationMs(text);
    if (ms >= minMs && ms <= maxMs && (parseDuration(text) ?? 1n) % 1_000_000n === 0n) return text;
  }
  notes.add(where, `${JSON.stringify(value)} is not a duration RouteConfig accepts here; left out`);
  return undefined;
}

/**
 * A route name (RFC 1123 label) from a path: `/` → root, `/api/v1/` → api-v1; numbered when
 * taken, so every route of a RouteConfig has its own.
 */
export function routeName(path: string, taken: Set<string>): string {
  const base =
    path
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 56)
      .replace(/-+$/, '') || 'root';
  let name = base;
  for (let n = 2; taken.has(name); n++) name = `${base}-${n}`;
  taken.add(name);
  return name;
}

/**
 * The health-check timeout must be shorter than its interval (the CRD checks it with the defaults,
 * 5s and 30s, filled in): a timeout that is not is replaced by half the interval, with a note.
 */
export function fitHealthCheckTimeout(
  check: NonNullable<RouteInput['healthCheck']>,
  notes: Notes,
  where: string,
): void {
  const interval = durationMs(check.interval ?? '30s');
  const timeout = durationMs(check.timeout ?? '5s');
  if (timeout < interval) return;
  check.timeout = `${Math.floor(interval / 2)}ms`;
  notes.add(where, `a timeout of ${check.timeout} is used: it must be shorter than the interval`);
}
