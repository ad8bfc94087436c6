/**
 * Stored traffic rollup rows as plain data, and rolling them up into a coarser bucket: one cell
 * per (host, route, method, status class, gateway), counters summed and sketches merged from
 * their stored bytes. Downsampling rolls minutes up into hours and hours up into days with it.
 */
import type { TrafficCell } from './aggregate.js';
import { newSketch } from './latency-sketch.js';
import type { StatusClass } from './records.js';
import { mergeEncodedSketch } from './sketch-bytes.js';

/** One row of traffic_minute, traffic_hour or traffic_day. */
export interface TrafficRow {
  readonly bucketMs: number;
  readonly host: string;
  readonly route: string;
  readonly method: string;
  readonly statusClass: string;
  readonly gatewayId: string;
  readonly requests: number;
  readonly errors: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly latencySumMs: number;
  /** DDSketch's protobuf encoding. */
  readonly sketch: Uint8Array;
}

const SEP = '\u0000';

export class TrafficRollup {
  private readonly cells = new Map<string, TrafficCell>();

  /** Rows added are rolled up into the bucket starting at `bucketMs`, whatever their own bucket. */
  constructor(readonly bucketMs: number) {}

  add(row: TrafficRow): void {
    const key = `${row.host}${SEP}${row.route}${SEP}${row.method}${SEP}${row.statusClass}${SEP}${row.gatewayId}`;
    let cell = this.cells.get(key);
    if (!cell) {
      cell = {
        bucketMs: this.bucketMs,
        host: row.host,
        route: row.route,
        method: row.method,
        statusClass: row.statusClass as StatusClass,
        gatewayId: row.gatewayId,
        requests: 0,
        errors: 0,
        bytesIn: 0,
        bytesOut: 0,
        latencySumMs: 0,
        sketch: newSketch(),
      };
      this.cells.set(key, cell);
    }
    cell.requests += row.requests;
    cell.errors += row.errors;
    cell.bytesIn += row.bytesIn;
    cell.bytesOut += row.bytesOut;
    cell.latencySumMs += row.latencySumMs;
    mergeEncodedSketch(cell.sketch, row.sketch);
  }

  get size(): number {
    return this.cells.size;
  }

  values(): TrafficCell[] {
    return [...this.cells.values()];
  }
}
