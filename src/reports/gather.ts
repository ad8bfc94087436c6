/**
 * The gather step of a report: reads the rollups, security events, threats and audit trail for
 * a window (and certificates through a function the caller provides, since only the operator
 * has the cluster), and returns the plain ReportData the pure model is built from.
 */
import type { CertificateItem, ReportData, ReportWindow } from '../domain/reports/report-data.js';
import { WINDOW_MS } from '../domain/reports/report-data.js';
import { TOP_LIMIT } from '../domain/reports/report-model.js';
import {
  ReportTrafficAccumulator,
  reportSteps,
  type ReportTrafficData,
} from '../domain/reports/report-traffic.js';
import type { Database } from '../storage/database.js';
import { DecisionRepository } from '../storage/threats/decision-repository.js';
import { IncidentRepository } from '../storage/threats/incident-repository.js';
import { AuditStore } from '../telemetry/audit-store.js';
import { queryTop } from '../telemetry/queries.js';
import { scanTraffic, type ScanResult } from '../telemetry/traffic-scan.js';
import { dailyPeaks, wafBlocks } from './gather-sql.js';

const HOUR_MS = 3_600_000;

/** Audit actions that change configuration (the rest record observations and pushes). */
const CHANGE_ACTIONS = new Set(['create', 'update', 'delete', 'rollback', 'restore']);

export interface GatherOptions {
  readonly db: Database;
  readonly schema: string;
  readonly window: ReportWindow;
  readonly nowMs: number;
  readonly namespace?: string;
  /** The certificates to list; absent when the caller cannot read the cluster. */
  readonly certificates?: () => Promise<CertificateItem[]>;
}

/**
 * The window ends at the start of the current hour, so hourly rollups answer whole steps and
 * two reports generated in the same hour agree.
 */
export function reportWindow(window: ReportWindow, nowMs: number): { sinceMs: number; untilMs: number } {
  const untilMs = nowMs - (nowMs % HOUR_MS);
  return { sinceMs: untilMs - WINDOW_MS[window], untilMs };
}

/**
 * The report's traffic in one pass over the rollup rows of its window: steps, routes, hosts and
 * status classes all from the same rows, read once (whole days from the daily rollups).
 */
export async function gatherTraffic(
  options: GatherOptions,
): Promise<{ traffic: ReportTrafficData; scan: ScanResult }> {
  const { sinceMs, untilMs } = reportWindow(options.window, options.nowMs);
  const grid = reportSteps(options.window, sinceMs, untilMs);
  const accumulator = new ReportTrafficAccumulator(grid);
  const scan = await scanTraffic(
    options.db,
    options.schema,
    {
      sinceMs,
      untilMs,
      grid,
      hours: true,
      // With a namespace, only its RouteConfigs' routes ('namespace/name/route') count.
      ...(options.namespace === undefined ? {} : { routeConfig: options.namespace }),
    },
    options.nowMs,
    (row) => accumulator.add(row),
  );
  return { traffic: accumulator.result(), scan };
}

export async function gatherReportData(options: GatherOptions): Promise<ReportData> {
  const { db, schema, nowMs, namespace } = options;
  const { sinceMs, untilMs } = reportWindow(options.window, nowMs);
  // The two large reads side by side: the traffic pass keeps the worker busy merging sketches
  // while the daily peaks keep another database connection busy summing rows.
  const [{ traffic }, peaks] = await Promise.all([
    gatherTraffic(options),
    dailyPeaks(db, schema, sinceMs, untilMs, namespace),
  ]);
  const { totals, series, routes, hosts, statusClasses } = traffic;
  // Heavy-hitter summaries are kept for the whole fleet, not per route: none for a namespace.
  const paths =
    namespace === undefined
      ? (await queryTop(db, schema, { sinceMs, untilMs, by: 'path', limit: TOP_LIMIT }, nowMs)).items.map(
          (i) => ({
            value: i.value,
            count: i.count,
          }),
        )
      : [];
  const waf = await wafBlocks(db, schema, sinceMs, untilMs, namespace, TOP_LIMIT);
  const incidents = (await new IncidentRepository(db, schema).list({ sinceMs, limit: 1000 }))
    .filter(
      (i) => i.firstSeenMs < untilMs && (namespace === undefined || i.policy.startsWith(`${namespace}/`)),
    )
    .map((i) => ({
      id: i.id,
      policy: i.policy,
      scenario: i.scenario,
      source: i.source,
      mode: i.mode,
      firstSeenMs: i.firstSeenMs,
      lastSeenMs: i.lastSeenMs,
      events: i.events,
    }));
  const decisions = (await new DecisionRepository(db, schema).list(nowMs, true))
    .filter(
      (d) =>
        d.updatedAtMs >= sinceMs &&
        d.createdAtMs < untilMs &&
        (namespace === undefined || d.scenario.startsWith(`${namespace}/`)),
    )
    .map((d) => ({
      scope: d.scope,
      value: d.value,
      type: d.type,
      scenario: d.scenario,
      reason: d.reason,
      createdMs: d.createdAtMs,
      untilMs: d.untilMs,
    }));
  const changes = (
    await new AuditStore(db, schema).list({
      since: new Date(sinceMs),
      until: new Date(untilMs),
      ...(namespace === undefined ? {} : { namespace }),
      ascending: true,
      limit: 10_000,
    })
  )
    .filter((e) => CHANGE_ACTIONS.has(e.action))
    .map((e) => ({
      timeMs: e.timeMs,
      action: e.action,
      actor: e.actor,
      kind: e.kind,
      namespace: e.namespace,
      name: e.name,
      summary: e.summary,
    }));
  const certificates = options.certificates
    ? (await options.certificates()).filter((c) => namespace === undefined || c.namespace === namespace)
    : undefined;
  return {
    generatedAtMs: nowMs,
    window: options.window,
    sinceMs,
    untilMs,
    ...(namespace === undefined ? {} : { namespace }),
    totals,
    series,
    routes,
    hosts,
    statusClasses,
    paths,
    wafRules: waf.rules,
    blockedIps: waf.ips,
    incidents,
    decisions,
    ...(certificates ? { certificates } : {}),
    changes,
    dailyPeaks: peaks,
  };
}
