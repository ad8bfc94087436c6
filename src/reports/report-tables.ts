/**
 * The report's tables as rows of cells, shared by the HTML and CSV renderings so both show the
 * same columns and the same numbers.
 */
import type { ReportModel } from '../domain/reports/report-model.js';
import type { ReportSection } from '../domain/reports/sections.js';

export type Cell = string | number | null;

export interface Table {
  /** Stable name, used as the CSV block's name. */
  readonly name: string;
  readonly title: string;
  readonly columns: readonly string[];
  readonly rows: readonly (readonly Cell[])[];
}

function iso(ms: number | undefined): string {
  return ms === undefined ? '' : new Date(ms).toISOString();
}

/** The tables of one section, in display order. */
export function sectionTables(model: ReportModel, section: ReportSection): Table[] {
  switch (section) {
    case 'traffic': {
      const t = model.traffic;
      if (!t) return [];
      return [
        {
          name: 'traffic_summary',
          title: 'Summary',
          columns: ['requests', 'errors', 'error_rate_percent', 'bytes_in', 'bytes_out', 'average_rps'],
          rows: [[t.requests, t.errors, t.errorRatePercent, t.bytesIn, t.bytesOut, t.averageRps]],
        },
        {
          name: 'traffic_series',
          title: 'Per step',
          columns: ['time', 'requests', 'errors', 'bytes_in', 'bytes_out'],
          rows: t.series.map((p) => [iso(p.timeMs), p.requests, p.errors, p.bytesIn, p.bytesOut]),
        },
      ];
    }
    case 'top': {
      const t = model.top;
      if (!t) return [];
      const top = (name: string, title: string, rows: typeof t.hosts): Table => ({
        name,
        title,
        columns: ['name', 'requests', 'share_percent'],
        rows: rows.map((r) => [r.name, r.requests, r.sharePercent]),
      });
      return [
        top('top_hosts', 'Top hosts', t.hosts),
        top('top_routes', 'Top routes', t.routes),
        top('top_paths', 'Top paths (heavy hitters, upper bounds)', t.paths),
        top('status_classes', 'Status classes', t.statusClasses),
      ];
    }
    case 'latency':
      return [
        {
          name: 'latency',
          title: 'Latency per route (ms)',
          columns: ['route', 'requests', 'p50_ms', 'p95_ms', 'p99_ms'],
          rows: (model.latency ?? []).map((r) => [r.route, r.requests, r.p50Ms, r.p95Ms, r.p99Ms]),
        },
      ];
    case 'errors':
      return [
        {
          name: 'errors',
          title: 'Error rates per route',
          columns: ['route', 'requests', 'errors', 'error_rate_percent'],
          rows: (model.errors ?? []).map((r) => [r.route, r.requests, r.errors, r.errorRatePercent]),
        },
      ];
    case 'waf': {
      const w = model.waf;
      if (!w) return [];
      return [
        {
          name: 'waf_rules',
          title: `Blocks by rule (total ${w.totalBlocked})`,
          columns: ['rule_id', 'description', 'blocked'],
          rows: w.byRule.map((r) => [r.ruleId, r.description, r.blocked]),
        },
        {
          name: 'waf_blocked_ips',
          title: 'Top blocked IPs',
          columns: ['client_ip', 'blocked'],
          rows: w.topIps.map((r) => [r.value, r.count]),
        },
      ];
    }
    case 'threats': {
      const t = model.threats;
      if (!t) return [];
      return [
        {
          name: 'incidents',
          title: 'Incidents',
          columns: ['id', 'policy', 'scenario', 'source', 'mode', 'first_seen', 'last_seen', 'events'],
          rows: t.incidents.map((i) => [
            i.id,
            i.policy,
            i.scenario,
            i.source,
            i.mode,
            iso(i.firstSeenMs),
            iso(i.lastSeenMs),
            i.events,
          ]),
        },
        {
          name: 'decisions',
          title: 'Decisions',
          columns: ['scope', 'value', 'type', 'scenario', 'reason', 'created', 'until'],
          rows: t.decisions.map((d) => [
            d.scope,
            d.value,
            d.type,
            d.scenario,
            d.reason,
            iso(d.createdMs),
            iso(d.untilMs),
          ]),
        },
      ];
    }
    case 'certificates':
      return [
        {
          name: 'certificates',
          title:
            model.certificates?.available === false
              ? 'Certificates (not available: no cluster access)'
              : 'Certificates',
          columns: ['namespace', 'name', 'dns_names', 'not_after', 'days_left', 'ready'],
          rows: (model.certificates?.items ?? []).map((c) => [
            c.namespace,
            c.name,
            c.dnsNames.join(' '),
            iso(c.notAfterMs),
            c.daysLeft,
            c.ready ? 'true' : 'false',
          ]),
        },
      ];
    case 'changes':
      return [
        {
          name: 'changes',
          title: 'Configuration changes (audit trail)',
          columns: ['time', 'action', 'actor', 'kind', 'namespace', 'name', 'summary'],
          rows: (model.changes ?? []).map((c) => [
            iso(c.timeMs),
            c.action,
            c.actor,
            c.kind,
            c.namespace,
            c.name,
            c.summary,
          ]),
        },
      ];
    case 'capacity':
      return [
        {
          name: 'capacity',
          title: 'Capacity: daily peak requests/second and 30-day forecast',
          columns: [
            'route',
            'peak_rps',
            'growth_percent',
            'slope_rps_per_day',
            'forecast_peak_rps_30d',
            'backtest_mape_percent',
            'backtest_training_days',
            'backtest_held_out_days',
          ],
          rows: (model.capacity ?? []).map((r) => [
            r.route,
            r.peakRps,
            r.growthPercent,
            r.slopeRpsPerDay,
            r.forecastPeakRps,
            r.backtest?.mapePercent ?? null,
            r.backtest?.trainingDays ?? null,
            r.backtest?.heldOutDays ?? null,
          ]),
        },
        {
          name: 'capacity_daily_peaks',
          title: 'Daily peaks per route (busiest minute of each UTC day)',
          columns: ['route', 'day', 'peak_rps'],
          rows: (model.capacity ?? []).flatMap((r) =>
            r.days.map((d) => [r.route, iso(d.dayMs).slice(0, 10), d.peakRps]),
          ),
        },
      ];
  }
}
