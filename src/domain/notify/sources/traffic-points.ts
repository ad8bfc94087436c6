/**
 * From the hourly traffic rollups to the points the traffic anomaly rules judge
 * (traffic-anomalies.ts): one per hour, host and route, whatever the method, status class and
 * gateway of the rows, with the p95 of their latency sketches merged (a p95 of p95s would not be
 * one). Requests that matched no route (route '') are left out: they are not a route whose
 * traffic can drop, and scanners come and go there. Pure.
 */
import {
  decodeSketch,
  mergeSketch,
  newSketch,
  percentiles,
  type LatencySketch,
} from '../../telemetry/latency-sketch.js';
import type { TrafficPoint } from './traffic-anomalies.js';

export interface TrafficHourRow {
  readonly hourStartMs: number;
  readonly host: string;
  readonly route: string;
  readonly requests: number;
  /** Requests the server failed: a 5xx answer, or none at all (the rollups' `errors`). */
  readonly errors: number;
  /** DDSketch protobuf, as stored. */
  readonly latencySketch: Uint8Array;
}

export function trafficPoints(rows: readonly TrafficHourRow[]): TrafficPoint[] {
  const cells = new Map<string, { point: TrafficPoint; sketch: LatencySketch }>();
  for (const row of rows) {
    if (row.route === '') continue;
    const key = `${row.hourStartMs}\0${row.host}\0${row.route}`;
    let cell = cells.get(key);
    if (!cell) {
      cell = {
        point: {
          hourStartMs: row.hourStartMs,
          host: row.host,
          route: row.route,
          requests: 0,
          serverErrors: 0,
        },
        sketch: newSketch(),
      };
      cells.set(key, cell);
    }
    cell.point = {
      ...cell.point,
      requests: cell.point.requests + row.requests,
      serverErrors: cell.point.serverErrors + row.errors,
    };
    mergeSketch(cell.sketch, decodeSketch(row.latencySketch));
  }
  return [...cells.values()].map(({ point, sketch }) => {
    const { p95 } = percentiles(sketch);
    return p95 === null ? point : { ...point, p95LatencyMs: p95 };
  });
}
