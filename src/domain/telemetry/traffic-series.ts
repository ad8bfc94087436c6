/**
 * Traffic series from rollup rows: per step (and per group: host, route, status class or
 * gateway) requests, errors, bytes and latency percentiles from the merged sketches. Rows come
 * in any order and from any tier; each counts in the step its bucket starts in.
 */
import { newSketch, percentiles, type LatencySketch } from './latency-sketch.js';
import { mergeEncodedSketch } from './sketch-bytes.js';
import type { StepGrid } from './step-grid.js';
import type { TrafficRow } from './traffic-rows.js';

export const GROUP_BY = ['host', 'route', 'status', 'gateway'] as const;
export type GroupBy = (typeof GROUP_BY)[number];

export interface TrafficPoint {
  readonly time: string;
  readonly requests: number;
  readonly errors: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  /** Milliseconds; null without requests. */
  readonly latencyMs: {
    readonly mean: number | null;
    readonly p50: number | null;
    readonly p95: number | null;
    readonly p99: number | null;
  };
}

export interface TrafficSeries {
  /** The group's value (route name, status class, ...), absent when not grouped. */
  readonly group?: string;
  readonly points: readonly TrafficPoint[];
}

/** Counters and, when asked for, a merged latency sketch. */
export class TrafficCounter {
  requests = 0;
  errors = 0;
  bytesIn = 0;
  bytesOut = 0;
  latencySumMs = 0;
  readonly sketch: LatencySketch | undefined;

  constructor(withSketch: boolean) {
    this.sketch = withSketch ? newSketch() : undefined;
  }

  add(row: TrafficRow): void {
    this.requests += row.requests;
    this.errors += row.errors;
    this.bytesIn += row.bytesIn;
    this.bytesOut += row.bytesOut;
    this.latencySumMs += row.latencySumMs;
    if (this.sketch) mergeEncodedSketch(this.sketch, row.sketch);
  }
}

export function groupOf(row: TrafficRow, by: GroupBy): string {
  switch (by) {
    case 'host':
      return row.host;
    case 'route':
      return row.route;
    case 'status':
      return row.statusClass;
    case 'gateway':
      return row.gatewayId;
  }
}

export class SeriesAccumulator {
  private readonly groups = new Map<string, (TrafficCounter | undefined)[]>();

  constructor(
    private readonly grid: StepGrid,
    private readonly by?: GroupBy,
  ) {}

  add(row: TrafficRow): void {
    const step = this.grid.indexOf(row.bucketMs);
    if (step < 0) return;
    const key = this.by ? groupOf(row, this.by) : '';
    let series = this.groups.get(key);
    if (!series) {
      series = new Array<TrafficCounter | undefined>(this.grid.length).fill(undefined);
      this.groups.set(key, series);
    }
    (series[step] ??= new TrafficCounter(true)).add(row);
  }

  /** Sorted by group; one series of empty points when ungrouped and nothing was added. */
  series(): TrafficSeries[] {
    if (this.groups.size === 0 && !this.by)
      this.groups.set('', new Array<TrafficCounter | undefined>(this.grid.length).fill(undefined));
    return [...this.groups.entries()]
      .sort(([a], [b]) => compare(a, b))
      .map(([group, counters]) => ({
        ...(this.by ? { group } : {}),
        points: counters.map((counter, i) => trafficPoint(this.grid.starts[i] as number, counter)),
      }));
  }
}

export function trafficPoint(timeMs: number, counter: TrafficCounter | undefined): TrafficPoint {
  if (!counter || counter.requests === 0) {
    return {
      time: new Date(timeMs).toISOString(),
      requests: 0,
      errors: 0,
      bytesIn: counter?.bytesIn ?? 0,
      bytesOut: counter?.bytesOut ?? 0,
      latencyMs: { mean: null, p50: null, p95: null, p99: null },
    };
  }
  const p = counter.sketch ? percentiles(counter.sketch) : { p50: null, p95: null, p99: null };
  return {
    time: new Date(timeMs).toISOString(),
    requests: counter.requests,
    errors: counter.errors,
    bytesIn: counter.bytesIn,
    bytesOut: counter.bytesOut,
    latencyMs: {
      mean: round(counter.latencySumMs / counter.requests),
      p50: round(p.p50),
      p95: round(p.p95),
      p99: round(p.p99),
    },
  };
}

/** Code-unit order, as the answers have always been sorted (not locale order). */
export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function round(value: number | null): number | null {
  return value === null ? null : Math.round(value * 1000) / 1000;
}
