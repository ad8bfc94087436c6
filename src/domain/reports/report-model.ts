/**
 * The report model: the sections a Report asked for, computed from gathered data. Rates and
 * percentages are rounded here, once, so the HTML, JSON and CSV renderings show the same numbers.
 */
import { forecastPeaks, type Backtest } from './forecast.js';
import type {
  CertificateItem,
  ChangeItem,
  Counted,
  DecisionItem,
  IncidentItem,
  ReportData,
  ReportWindow,
  StatusClassCount,
  TrafficStep,
} from './report-data.js';
import { REPORT_SECTIONS, type ReportSection } from './sections.js';

const DAY_MS = 86_400_000;
/** Rows per "top" table. */
export const TOP_LIMIT = 10;

export interface TrafficSummary {
  readonly requests: number;
  readonly errors: number;
  /** Percent of requests that were errors (5xx, or no response), two decimals; 0 without requests. */
  readonly errorRatePercent: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  /** Requests per second over the whole window, three decimals. */
  readonly averageRps: number;
  readonly series: readonly TrafficStep[];
}

export interface TopRow {
  readonly name: string;
  readonly requests: number;
  /** Share of all requests in the window, percent, two decimals. */
  readonly sharePercent: number;
}

export interface TopSection {
  readonly hosts: readonly TopRow[];
  readonly routes: readonly TopRow[];
  readonly paths: readonly TopRow[];
  readonly statusClasses: readonly TopRow[];
}

export interface LatencyRow {
  readonly route: string;
  readonly requests: number;
  readonly p50Ms: number | null;
  readonly p95Ms: number | null;
  readonly p99Ms: number | null;
}

export interface ErrorRow {
  readonly route: string;
  readonly requests: number;
  readonly errors: number;
  readonly errorRatePercent: number;
}

export interface WafSection {
  readonly totalBlocked: number;
  readonly byRule: readonly {
    readonly ruleId: string;
    readonly description: string;
    readonly blocked: number;
  }[];
  readonly topIps: readonly Counted[];
}

export interface ThreatsSection {
  readonly incidents: readonly IncidentItem[];
  readonly decisions: readonly DecisionItem[];
}

export interface CertificateRow extends CertificateItem {
  /** Whole days from the report's time to expiry (negative: expired); null when never issued. */
  readonly daysLeft: number | null;
}

export interface CertificatesSection {
  /** False when the certificates could not be read (an ad-hoc report without cluster access). */
  readonly available: boolean;
  readonly items: readonly CertificateRow[];
}

export interface CapacityRow {
  readonly route: string;
  readonly days: readonly { readonly dayMs: number; readonly peakRps: number }[];
  /** The highest daily peak in the window. */
  readonly peakRps: number;
  /** Growth of the fitted line over the window, percent, two decimals; null when not computable. */
  readonly growthPercent: number | null;
  /** Forecast peak of the next 30 days, requests/second, three decimals; null with fewer than 2 days. */
  readonly forecastPeakRps: number | null;
  readonly slopeRpsPerDay: number | null;
  readonly backtest: Backtest | null;
}

export interface ReportModel {
  readonly generatedAt: string;
  readonly window: ReportWindow;
  readonly since: string;
  readonly until: string;
  readonly namespace: string | null;
  readonly sections: readonly ReportSection[];
  readonly traffic?: TrafficSummary;
  readonly top?: TopSection;
  readonly latency?: readonly LatencyRow[];
  readonly errors?: readonly ErrorRow[];
  readonly waf?: WafSection;
  readonly threats?: ThreatsSection;
  readonly certificates?: CertificatesSection;
  readonly changes?: readonly ChangeItem[];
  readonly capacity?: readonly CapacityRow[];
}

export function round(value: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
}

function percent(part: number, whole: number): number {
  return whole > 0 ? round((part / whole) * 100, 2) : 0;
}

function byCountThenName<T>(count: (t: T) => number, name: (t: T) => string) {
  return (a: T, b: T): number => count(b) - count(a) || (name(a) < name(b) ? -1 : name(a) > name(b) ? 1 : 0);
}

/** The sections in their canonical order; an empty or absent list means all of them. */
export function normaliseSections(sections: readonly string[] | undefined): ReportSection[] {
  if (!sections || sections.length === 0) return [...REPORT_SECTIONS];
  return REPORT_SECTIONS.filter((s) => sections.includes(s));
}

export function buildReport(data: ReportData, sections: readonly ReportSection[]): ReportModel {
  const want = new Set(sections);
  const total = data.totals.requests;
  const top = (rows: readonly { name: string; requests: number }[]): TopRow[] =>
    [...rows]
      .sort(
        byCountThenName(
          (r) => r.requests,
          (r) => r.name,
        ),
      )
      .slice(0, TOP_LIMIT)
      .map((r) => ({ name: r.name, requests: r.requests, sharePercent: percent(r.requests, total) }));
  const routes = [...data.routes].sort(
    byCountThenName(
      (r) => r.requests,
      (r) => r.route,
    ),
  );
  return {
    generatedAt: new Date(data.generatedAtMs).toISOString(),
    window: data.window,
    since: new Date(data.sinceMs).toISOString(),
    until: new Date(data.untilMs).toISOString(),
    namespace: data.namespace ?? null,
    sections: REPORT_SECTIONS.filter((s) => want.has(s)),
    ...(want.has('traffic')
      ? {
          traffic: {
            requests: total,
            errors: data.totals.errors,
            errorRatePercent: percent(data.totals.errors, total),
            bytesIn: data.totals.bytesIn,
            bytesOut: data.totals.bytesOut,
            averageRps: round(total / ((data.untilMs - data.sinceMs) / 1000), 3),
            series: data.series,
          },
        }
      : {}),
    ...(want.has('top')
      ? {
          top: {
            hosts: top(data.hosts.map((h) => ({ name: h.host, requests: h.requests }))),
            routes: top(data.routes.map((r) => ({ name: r.route, requests: r.requests }))),
            paths: top(data.paths.map((p) => ({ name: p.value, requests: p.count }))),
            statusClasses: top(statusRows(data.statusClasses)),
          },
        }
      : {}),
    ...(want.has('latency')
      ? {
          latency: routes.map((r) => ({
            route: r.route,
            requests: r.requests,
            p50Ms: r.p50Ms,
            p95Ms: r.p95Ms,
            p99Ms: r.p99Ms,
          })),
        }
      : {}),
    ...(want.has('errors')
      ? {
          errors: routes
            .map((r) => ({
              route: r.route,
              requests: r.requests,
              errors: r.errors,
              errorRatePercent: percent(r.errors, r.requests),
            }))
            .sort(
              (a, b) =>
                b.errorRatePercent - a.errorRatePercent ||
                b.errors - a.errors ||
                (a.route < b.route ? -1 : 1),
            ),
        }
      : {}),
    ...(want.has('waf')
      ? {
          waf: {
            totalBlocked: data.wafRules.reduce((sum, r) => sum + r.blocked, 0),
            byRule: [...data.wafRules].sort(
              byCountThenName(
                (r) => r.blocked,
                (r) => r.ruleId,
              ),
            ),
            topIps: [...data.blockedIps]
              .sort(
                byCountThenName(
                  (c) => c.count,
                  (c) => c.value,
                ),
              )
              .slice(0, TOP_LIMIT),
          },
        }
      : {}),
    ...(want.has('threats')
      ? {
          threats: {
            incidents: [...data.incidents].sort((a, b) => b.lastSeenMs - a.lastSeenMs),
            decisions: [...data.decisions].sort((a, b) => b.createdMs - a.createdMs),
          },
        }
      : {}),
    ...(want.has('certificates') ? { certificates: certificates(data) } : {}),
    ...(want.has('changes') ? { changes: [...data.changes].sort((a, b) => a.timeMs - b.timeMs) } : {}),
    ...(want.has('capacity') ? { capacity: capacity(data) } : {}),
  };
}

function statusRows(rows: readonly StatusClassCount[]): { name: string; requests: number }[] {
  return rows.map((s) => ({ name: s.statusClass, requests: s.requests }));
}

function certificates(data: ReportData): CertificatesSection {
  if (!data.certificates) return { available: false, items: [] };
  const items = data.certificates.map((c): CertificateRow => ({
    ...c,
    daysLeft: c.notAfterMs === undefined ? null : Math.floor((c.notAfterMs - data.generatedAtMs) / DAY_MS),
  }));
  // Soonest expiry first; never-issued ones (nothing to renew yet, but worth a look) last.
  items.sort(
    (a, b) =>
      (a.notAfterMs ?? Number.MAX_SAFE_INTEGER) - (b.notAfterMs ?? Number.MAX_SAFE_INTEGER) ||
      (a.namespace + a.name < b.namespace + b.name ? -1 : 1),
  );
  return { available: true, items };
}

function capacity(data: ReportData): CapacityRow[] {
  return data.dailyPeaks
    .map((r): CapacityRow => {
      const peaks = r.days.map((d) => d.peakRps);
      const forecast = forecastPeaks(peaks);
      return {
        route: r.route,
        days: r.days,
        peakRps: round(Math.max(0, ...peaks), 3),
        growthPercent:
          forecast?.growthPercent === null || forecast === undefined
            ? null
            : round(forecast.growthPercent, 2),
        forecastPeakRps: forecast ? round(forecast.nextPeakRps, 3) : null,
        slopeRpsPerDay: forecast ? round(forecast.fit.slope, 3) : null,
        backtest: forecast?.backtest
          ? { ...forecast.backtest, mapePercent: round(forecast.backtest.mapePercent, 2) }
          : null,
      };
    })
    .sort((a, b) => b.peakRps - a.peakRps || (a.route < b.route ? -1 : 1));
}
