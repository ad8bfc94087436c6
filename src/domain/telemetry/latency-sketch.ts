/**
 * Latency sketches: DDSketch with 1 % relative accuracy, so a p99 read from sketches merged
 * across gateways and minutes is within 1 % of the true p99 of all their samples. The sketch
 * travels and is stored as DDSketch's own protobuf encoding, which any DDSketch library reads.
 */
import { DDSketch } from '@datadog/sketches-js';

export const RELATIVE_ACCURACY = 0.01;

export type LatencySketch = DDSketch;

export function newSketch(): LatencySketch {
  return new DDSketch({ relativeAccuracy: RELATIVE_ACCURACY });
}

export function encodeSketch(sketch: LatencySketch): Uint8Array {
  return sketch.toProto();
}

/** The stored form read back; its count survives, its sum and min/max do not (stored beside it). */
export function decodeSketch(bytes: Uint8Array): LatencySketch {
  return DDSketch.fromProto(bytes);
}

/** Merges `from` into `into` and returns `into`. */
export function mergeSketch(into: LatencySketch, from: LatencySketch): LatencySketch {
  if (from.count > 0) into.merge(from);
  return into;
}

export interface Percentiles {
  readonly p50: number | null;
  readonly p95: number | null;
  readonly p99: number | null;
}

/** p50, p95 and p99, or nulls for an empty sketch. */
export function percentiles(sketch: LatencySketch): Percentiles {
  if (sketch.count <= 0) return { p50: null, p95: null, p99: null };
  return {
    p50: sketch.getValueAtQuantile(0.5),
    p95: sketch.getValueAtQuantile(0.95),
    p99: sketch.getValueAtQuantile(0.99),
  };
}
