/**
 * What a report is built from: plain data the gather step reads from storage (and, for
 * certificates, from the cluster). Nothing here knows where it came from, so the model is tested
 * with literal data.
 */

export const REPORT_WINDOWS = ['24h', '7d', '30d'] as const;
export type ReportWindow = (typeof REPORT_WINDOWS)[number];

export const WINDOW_MS: Record<ReportWindow, number> = {
  '24h': 86_400_000,
  '7d': 7 * 86_400_000,
  '30d': 30 * 86_400_000,
};

export interface TrafficTotals {
  readonly requests: number;
  readonly errors: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
}

/** One step of the traffic chart. */
export interface TrafficStep extends TrafficTotals {
  readonly timeMs: number;
}

/** A route's traffic over the window; percentiles from its merged latency sketches (ms). */
export interface RouteTraffic extends TrafficTotals {
  /** 'namespace/name/route', or '' for requests no route matched. */
  readonly route: string;
  readonly p50Ms: number | null;
  readonly p95Ms: number | null;
  readonly p99Ms: number | null;
}

export interface HostTraffic extends TrafficTotals {
  readonly host: string;
}

export interface StatusClassCount {
  /** 2xx, 4xx, 5xx, ... as stored in the rollups. */
  readonly statusClass: string;
  readonly requests: number;
}

export interface Counted {
  readonly value: string;
  readonly count: number;
}

export interface WafRuleCount {
  readonly ruleId: string;
  readonly description: string;
  readonly blocked: number;
}

export interface IncidentItem {
  readonly id: string;
  readonly policy: string;
  readonly scenario: string;
  readonly source: string;
  readonly mode: string;
  readonly firstSeenMs: number;
  readonly lastSeenMs: number;
  readonly events: number;
}

export interface DecisionItem {
  readonly scope: string;
  readonly value: string;
  readonly type: string;
  readonly scenario: string;
  readonly reason: string;
  readonly createdMs: number;
  readonly untilMs: number;
}

export interface CertificateItem {
  readonly namespace: string;
  readonly name: string;
  readonly dnsNames: readonly string[];
  /** Undefined when the certificate was never issued. */
  readonly notAfterMs?: number;
  readonly ready: boolean;
}

export interface ChangeItem {
  readonly timeMs: number;
  readonly action: string;
  readonly actor: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly summary: string;
}

/** A route's busiest minute of each day (UTC days), as requests in that minute / 60. */
export interface RouteDailyPeaks {
  readonly route: string;
  /** Oldest first, one per day of the window (0 for a day without traffic). */
  readonly days: readonly { readonly dayMs: number; readonly peakRps: number }[];
}

export interface ReportData {
  readonly generatedAtMs: number;
  readonly window: ReportWindow;
  readonly sinceMs: number;
  readonly untilMs: number;
  /** Only this namespace's routes, policies and resources; undefined: the whole fleet. */
  readonly namespace?: string;
  readonly totals: TrafficTotals;
  readonly series: readonly TrafficStep[];
  readonly routes: readonly RouteTraffic[];
  readonly hosts: readonly HostTraffic[];
  readonly statusClasses: readonly StatusClassCount[];
  /** Heavy hitters; `count` is the space-saving upper bound. */
  readonly paths: readonly Counted[];
  readonly wafRules: readonly WafRuleCount[];
  readonly blockedIps: readonly Counted[];
  readonly incidents: readonly IncidentItem[];
  readonly decisions: readonly DecisionItem[];
  /** Undefined when the certificates could not be read (no cluster access). */
  readonly certificates?: readonly CertificateItem[];
  readonly changes: readonly ChangeItem[];
  readonly dailyPeaks: readonly RouteDailyPeaks[];
}
