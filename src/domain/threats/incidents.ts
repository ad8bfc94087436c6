/**
 * Incidents as data: what one overflow adds to the incident of its scenario and source, and the
 * plain, stable shape the CLI, the HTTP API and notification subscribers see. An incident stays
 * open while overflows keep coming less than OPEN_WINDOW_MS apart.
 */
import type { Overflow } from './correlation.js';
import type { CorrelationEvent, PolicyMode } from './scenario.js';

export const OPEN_WINDOW_MS = 3_600_000;
/** Sample events, hosts, routes and decisions kept per incident. */
export const MAX_SAMPLES = 10;
const MAX_LIST = 50;

export interface IncidentDecision {
  readonly scope: 'ip' | 'range';
  readonly value: string;
  readonly type: 'ban' | 'rate_limit' | 'log';
  /** RFC 3339; absent for log. */
  readonly until?: string;
  /** What happened to it: applied, dry-run (would have been), allowlisted (never decided). */
  readonly outcome: 'applied' | 'dry-run' | 'allowlisted' | 'logged';
}

export interface IncidentSample {
  readonly time: string;
  readonly gatewayId: string;
  readonly clientIp: string;
  readonly threatType: string;
  readonly ruleId: string;
  readonly action: string;
  readonly statusCode: number;
  readonly host: string;
  readonly path: string;
}

export interface Incident {
  /** Storage id; '' before it is stored. */
  readonly id: string;
  /** `namespace/name` of the ThreatPolicy. */
  readonly policy: string;
  /** `namespace/name/scenario`. */
  readonly scenario: string;
  /** The bucket's group key: an address, a range, an ASN or a header value. */
  readonly source: string;
  readonly mode: PolicyMode;
  readonly firstSeenMs: number;
  readonly lastSeenMs: number;
  readonly events: number;
  readonly overflows: number;
  readonly samples: readonly IncidentSample[];
  readonly hosts: readonly string[];
  readonly routes: readonly string[];
  readonly decisions: readonly IncidentDecision[];
}

/** What one overflow contributes. */
export type IncidentUpdate = Omit<Incident, 'id' | 'overflows'>;

export function incidentUpdate(
  policy: string,
  overflow: Overflow,
  decisions: readonly IncidentDecision[],
): IncidentUpdate {
  return {
    policy,
    scenario: overflow.scenario.id,
    source: overflow.key,
    mode: overflow.scenario.mode,
    firstSeenMs: overflow.firstSeenMs,
    lastSeenMs: overflow.lastSeenMs,
    events: overflow.events,
    samples: overflow.samples.map(sample),
    hosts: overflow.hosts,
    routes: overflow.routes,
    decisions,
  };
}

/** The incident after `update`: a new one, or `open` extended. */
export function mergeIncident(open: Incident | undefined, update: IncidentUpdate): Incident {
  if (!open) return { ...update, id: '', overflows: 1, samples: update.samples.slice(0, MAX_SAMPLES) };
  return {
    ...open,
    mode: update.mode,
    firstSeenMs: Math.min(open.firstSeenMs, update.firstSeenMs),
    lastSeenMs: Math.max(open.lastSeenMs, update.lastSeenMs),
    events: open.events + update.events,
    overflows: open.overflows + 1,
    samples: [...open.samples, ...update.samples].slice(0, MAX_SAMPLES),
    hosts: unite(open.hosts, update.hosts),
    routes: unite(open.routes, update.routes),
    decisions: [...open.decisions, ...update.decisions].slice(-MAX_LIST),
  };
}

function unite(a: readonly string[], b: readonly string[]): string[] {
  return [...new Set([...a, ...b])].sort().slice(0, MAX_LIST);
}

function sample(e: CorrelationEvent): IncidentSample {
  return {
    time: new Date(e.timeMs).toISOString(),
    gatewayId: e.gatewayId,
    clientIp: e.clientIp,
    threatType: e.threatType,
    ruleId: e.ruleId,
    action: e.action,
    statusCode: e.statusCode,
    host: e.host,
    path: e.path,
  };
}
