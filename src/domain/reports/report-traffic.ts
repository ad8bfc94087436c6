/**
 * The traffic part of a report from one pass over the rollup rows of its window: the chart's
 * steps, and the whole window by route (with latency percentiles from the merged sketches), by
 * host and by status class. Each row is added once and feeds all four, so a report reads its
 * rows once instead of once per view.
 */
import { HOUR_MS } from '../telemetry/records.js';
import { StepGrid } from '../telemetry/step-grid.js';
import { compare, TrafficCounter, trafficPoint, type TrafficPoint } from '../telemetry/traffic-series.js';
import type { TrafficRow } from '../telemetry/traffic-rows.js';
import type {
  HostTraffic,
  ReportWindow,
  RouteTraffic,
  StatusClassCount,
  TrafficStep,
  TrafficTotals,
} from './report-data.js';

/**
 * The chart's steps: hours for 24h, quarter days for 7d, UTC days for 30d — days, not 24 hours
 * from the window's start, so that the daily rollups answer each whole day (the first and last
 * steps are the partial days at the window's ends).
 */
export function reportSteps(window: ReportWindow, sinceMs: number, untilMs: number): StepGrid {
  switch (window) {
    case '24h':
      return StepGrid.uniform(sinceMs, untilMs, HOUR_MS);
    case '7d':
      return StepGrid.uniform(sinceMs, untilMs, 6 * HOUR_MS);
    case '30d':
      return StepGrid.utcDays(sinceMs, untilMs);
  }
}

export interface ReportTrafficData {
  readonly totals: TrafficTotals;
  readonly series: readonly TrafficStep[];
  readonly routes: readonly RouteTraffic[];
  readonly hosts: readonly HostTraffic[];
  readonly statusClasses: readonly StatusClassCount[];
}

export class ReportTrafficAccumulator {
  private readonly steps: TrafficCounter[];
  private readonly routes = new Map<string, TrafficCounter>();
  private readonly hosts = new Map<string, TrafficCounter>();
  private readonly statusClasses = new Map<string, TrafficCounter>();
  /** Rows added, for the benchmark and the logs. */
  rows = 0;

  constructor(private readonly grid: StepGrid) {
    this.steps = grid.starts.map(() => new TrafficCounter(false));
  }

  add(row: TrafficRow): void {
    const step = this.steps[this.grid.indexOf(row.bucketMs)];
    if (!step) return;
    this.rows += 1;
    step.add(row);
    // Only the routes show percentiles: the one sketch merge per row.
    counter(this.routes, row.route, true).add(row);
    counter(this.hosts, row.host, false).add(row);
    counter(this.statusClasses, row.statusClass, false).add(row);
  }

  result(): ReportTrafficData {
    const series = this.steps.map((c, i) => {
      const timeMs = this.grid.starts[i] as number;
      return { timeMs, ...counters(trafficPoint(timeMs, c)) };
    });
    const totals = series.reduce(
      (t, p) => ({
        requests: t.requests + p.requests,
        errors: t.errors + p.errors,
        bytesIn: t.bytesIn + p.bytesIn,
        bytesOut: t.bytesOut + p.bytesOut,
      }),
      { requests: 0, errors: 0, bytesIn: 0, bytesOut: 0 },
    );
    return {
      totals,
      series,
      routes: sorted(this.routes).map(([route, c]) => {
        const point = trafficPoint(this.grid.sinceMs, c);
        return {
          route,
          ...counters(point),
          p50Ms: point.latencyMs.p50,
          p95Ms: point.latencyMs.p95,
          p99Ms: point.latencyMs.p99,
        };
      }),
      hosts: sorted(this.hosts).map(([host, c]) => ({ host, ...counters(trafficPoint(0, c)) })),
      statusClasses: sorted(this.statusClasses).map(([statusClass, c]) => ({
        statusClass,
        requests: trafficPoint(0, c).requests,
      })),
    };
  }
}

function counter(map: Map<string, TrafficCounter>, key: string, withSketch: boolean): TrafficCounter {
  let c = map.get(key);
  if (!c) {
    c = new TrafficCounter(withSketch);
    map.set(key, c);
  }
  return c;
}

/** A point's counters: as the per-view queries gave them (no errors counted without requests). */
function counters(p: TrafficPoint): TrafficTotals {
  return { requests: p.requests, errors: p.errors, bytesIn: p.bytesIn, bytesOut: p.bytesOut };
}

function sorted(map: Map<string, TrafficCounter>): [string, TrafficCounter][] {
  return [...map.entries()].sort(([a], [b]) => compare(a, b));
}
