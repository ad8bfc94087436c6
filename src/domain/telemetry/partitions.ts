/**
 * Time partitions of the rollup tables, by UTC day or month: their names, bounds, which must
 * exist before rows are written, and which have passed their retention. Pure, so retention is
 * tested with any clock.
 */
import { DAY_MS } from './records.js';

export type Granularity = 'day' | 'month';

export interface Partition {
  /** e.g. traffic_minute_p20260105 or traffic_hour_p202601 */
  readonly name: string;
  readonly fromMs: number;
  readonly toMs: number;
}

export function partitionStart(timeMs: number, granularity: Granularity): number {
  const d = new Date(timeMs);
  return granularity === 'day'
    ? Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate())
    : Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

export function partitionFor(table: string, timeMs: number, granularity: Granularity): Partition {
  const fromMs = partitionStart(timeMs, granularity);
  const d = new Date(fromMs);
  const toMs = granularity === 'day' ? fromMs + DAY_MS : Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  const y = String(d.getUTCFullYear()).padStart(4, '0');
  const m = String(d.getUTCMonth() + 1).padStart(2, '0');
  const day = String(d.getUTCDate()).padStart(2, '0');
  return { name: `${table}_p${y}${m}${granularity === 'day' ? day : ''}`, fromMs, toMs };
}

/** The partitions covering [fromMs, toMs). */
export function partitionsBetween(
  table: string,
  fromMs: number,
  toMs: number,
  granularity: Granularity,
): Partition[] {
  const out: Partition[] = [];
  for (let at = partitionStart(fromMs, granularity); at < toMs;) {
    const p = partitionFor(table, at, granularity);
    out.push(p);
    at = p.toMs;
  }
  return out;
}

/** Reads a partition's bounds back from its name; undefined for a name of another shape. */
export function parsePartition(table: string, name: string, granularity: Granularity): Partition | undefined {
  const match = new RegExp(
    `^${table}_p([0-9]{4})([0-9]{2})${granularity === 'day' ? '([0-9]{2})' : ''}$`,
  ).exec(name);
  if (!match) return undefined;
  const at = Date.UTC(Number(match[1]), Number(match[2]) - 1, granularity === 'day' ? Number(match[3]) : 1);
  const p = partitionFor(table, at, granularity);
  return p.name === name ? p : undefined;
}

/**
 * Partitions entirely older than the retention: every row in them is older than now − retention.
 * A partition that straddles the cut-off stays until all of it has expired.
 */
export function expiredPartitions(
  partitions: readonly Partition[],
  nowMs: number,
  retentionMs: number,
): Partition[] {
  const cutoff = nowMs - retentionMs;
  return partitions.filter((p) => p.toMs <= cutoff).sort((a, b) => a.fromMs - b.fromMs);
}
