/**
 * Writes an aggregate into the minute rollups inside the processor's transaction. Counters add
 * up in SQL; latency sketches and heavy-hitter summaries are read, merged here and written back
 * (SQL cannot merge them), which is safe because processors take turns (an advisory lock).
 * Every hour touched is marked for downsampling.
 */
import { mergeTraffic, type MinuteAggregator, type TrafficCell } from '../domain/telemetry/aggregate.js';
import { decodeSketch, encodeSketch } from '../domain/telemetry/latency-sketch.js';
import { hourOf } from '../domain/telemetry/records.js';
import { SpaceSaving, type SpaceSavingSummary } from '../domain/telemetry/space-saving.js';
import { identifier, type Queryable } from '../storage/database.js';
import { fromBase64, toBase64 } from './bytes.js';

interface TrafficRow {
  bms: number;
  h: string;
  r: string;
  m: string;
  c: string;
  g: string;
  requests: string | number;
  errors: string | number;
  bytes_in: string | number;
  bytes_out: string | number;
  latency_sum_ms: number;
  sketch: string;
}

const KEY_COLUMNS = 'b timestamptz, h text, r text, m text, c text, g text';

export type TrafficTable = 'traffic_minute' | 'traffic_hour' | 'traffic_day';

/** Cells per statement: a day of thousands of routes would otherwise be one JSON parameter of tens of MB. */
const CELLS_PER_STATEMENT = 1_000;

export class RollupWriter {
  private readonly s: string;

  constructor(
    private readonly tx: Queryable,
    schema: string,
    /** Counters kept per minute and dimension in storage. */
    private readonly topCapacity: number,
  ) {
    this.s = identifier(schema);
  }

  async write(aggregate: MinuteAggregator, table: 'minute' | 'hour' = 'minute'): Promise<void> {
    await this.writeTraffic([...aggregate.traffic.values()], `traffic_${table}`);
    await this.writeTop(aggregate, `top_${table}`);
    await this.writeWaf(aggregate, `waf_${table}`);
    await this.writeDrops(aggregate, `drops_${table}`);
    if (table === 'minute') await this.markDirty(aggregate.buckets());
  }

  /** Adds `cells` to what `table` holds for their keys (counters summed, sketches merged). */
  async writeTraffic(cells: readonly TrafficCell[], table: TrafficTable): Promise<void> {
    for (let i = 0; i < cells.length; i += CELLS_PER_STATEMENT)
      await this.writeTrafficChunk(cells.slice(i, i + CELLS_PER_STATEMENT), table);
  }

  private async writeTrafficChunk(cells: readonly TrafficCell[], table: TrafficTable): Promise<void> {
    const key = (c: TrafficCell) => ({
      b: new Date(c.bucketMs).toISOString(),
      h: c.host,
      r: c.route,
      m: c.method,
      c: c.statusClass,
      g: c.gatewayId,
    });
    const existing = await this.tx.query<TrafficRow>(
      `SELECT extract(epoch FROM k.b)::float8 * 1000 AS bms, k.h, k.r, k.m, k.c, k.g, t.requests, t.errors, t.bytes_in, t.bytes_out, t.latency_sum_ms,
              encode(t.latency_sketch, 'base64') AS sketch
         FROM jsonb_to_recordset($1::jsonb) AS k(${KEY_COLUMNS})
         JOIN ${this.s}.${table} t
           ON t.bucket = k.b AND t.host = k.h AND t.route = k.r AND t.method = k.m
          AND t.status_class = k.c AND t.gateway_id = k.g`,
      [JSON.stringify(cells.map(key))],
    );
    const byKey = new Map(
      cells.map((c) => [cellKey(c.bucketMs, c.host, c.route, c.method, c.statusClass, c.gatewayId), c]),
    );
    for (const row of existing.rows) {
      const cell = byKey.get(cellKey(row.bms, row.h, row.r, row.m, row.c, row.g));
      if (!cell) continue;
      mergeTraffic(cell, {
        requests: Number(row.requests),
        errors: Number(row.errors),
        bytesIn: Number(row.bytes_in),
        bytesOut: Number(row.bytes_out),
        latencySumMs: row.latency_sum_ms,
        sketch: decodeSketch(fromBase64(row.sketch)),
      });
    }
    const rows = cells.map((c) => ({
      ...key(c),
      n: c.requests,
      e: c.errors,
      i: c.bytesIn,
      o: c.bytesOut,
      l: c.latencySumMs,
      s: toBase64(encodeSketch(c.sketch)),
    }));
    await this.tx.query(
      `INSERT INTO ${this.s}.${table}
         (bucket, host, route, method, status_class, gateway_id, requests, errors, bytes_in, bytes_out,
          latency_sum_ms, latency_sketch)
       SELECT x.b, x.h, x.r, x.m, x.c, x.g, x.n, x.e, x.i, x.o, x.l, decode(x.s, 'base64')
         FROM jsonb_to_recordset($1::jsonb)
           AS x(${KEY_COLUMNS}, n bigint, e bigint, i bigint, o bigint, l double precision, s text)
       ON CONFLICT (bucket, host, route, method, status_class, gateway_id) DO UPDATE SET
         requests = excluded.requests, errors = excluded.errors, bytes_in = excluded.bytes_in,
         bytes_out = excluded.bytes_out, latency_sum_ms = excluded.latency_sum_ms,
         latency_sketch = excluded.latency_sketch`,
      [JSON.stringify(rows)],
    );
  }

  private async writeTop(aggregate: MinuteAggregator, table: string): Promise<void> {
    const cells = [...aggregate.top.values()];
    if (cells.length === 0) return;
    const keys = cells.map((c) => ({ b: new Date(c.bucketMs).toISOString(), d: c.dimension }));
    const existing = await this.tx.query<{ bms: number; d: string; summary: SpaceSavingSummary }>(
      `SELECT extract(epoch FROM k.b)::float8 * 1000 AS bms, k.d, t.summary FROM jsonb_to_recordset($1::jsonb) AS k(b timestamptz, d text)
         JOIN ${this.s}.${table} t ON t.bucket = k.b AND t.dimension = k.d`,
      [JSON.stringify(keys)],
    );
    const stored = new Map(existing.rows.map((r) => [`${r.bms}\u0000${r.d}`, r.summary]));
    const rows = cells.map((c) => {
      const merged = new SpaceSaving(Math.max(this.topCapacity, c.summary.capacity));
      merged.merge(c.summary.summary());
      const before = stored.get(`${c.bucketMs}\u0000${c.dimension}`);
      if (before) merged.merge(before);
      return { b: new Date(c.bucketMs).toISOString(), d: c.dimension, v: merged.summary(this.topCapacity) };
    });
    await this.tx.query(
      `INSERT INTO ${this.s}.${table} (bucket, dimension, summary)
       SELECT x.b, x.d, x.v FROM jsonb_to_recordset($1::jsonb) AS x(b timestamptz, d text, v jsonb)
       ON CONFLICT (bucket, dimension) DO UPDATE SET summary = excluded.summary`,
      [JSON.stringify(rows)],
    );
  }

  private async writeWaf(aggregate: MinuteAggregator, table: string): Promise<void> {
    const rows = [...aggregate.waf.values()].map((c) => ({
      b: new Date(c.bucketMs).toISOString(),
      r: c.ruleId,
      a: c.action,
      h: c.host,
      t: c.route,
      n: c.matches,
    }));
    if (rows.length === 0) return;
    await this.tx.query(
      `INSERT INTO ${this.s}.${table} AS w (bucket, rule_id, action, host, route, matches)
       SELECT x.b, x.r, x.a, x.h, x.t, x.n
         FROM jsonb_to_recordset($1::jsonb) AS x(b timestamptz, r text, a text, h text, t text, n bigint)
       ON CONFLICT (bucket, rule_id, action, host, route) DO UPDATE SET matches = w.matches + excluded.matches`,
      [JSON.stringify(rows)],
    );
  }

  private async writeDrops(aggregate: MinuteAggregator, table: string): Promise<void> {
    const rows = [...aggregate.drops.values()].map((c) => ({
      b: new Date(c.bucketMs).toISOString(),
      g: c.gatewayId,
      a: c.access,
      s: c.security,
    }));
    if (rows.length === 0) return;
    await this.tx.query(
      `INSERT INTO ${this.s}.${table} AS d (bucket, gateway_id, dropped_access, dropped_security)
       SELECT x.b, x.g, x.a, x.s FROM jsonb_to_recordset($1::jsonb) AS x(b timestamptz, g text, a bigint, s bigint)
       ON CONFLICT (bucket, gateway_id) DO UPDATE SET
         dropped_access = d.dropped_access + excluded.dropped_access,
         dropped_security = d.dropped_security + excluded.dropped_security`,
      [JSON.stringify(rows)],
    );
  }

  private async markDirty(buckets: ReadonlySet<number>): Promise<void> {
    const hours = [...new Set([...buckets].map(hourOf))].map((h) => new Date(h).toISOString());
    if (hours.length === 0) return;
    await this.tx.query(
      `INSERT INTO ${this.s}.telemetry_dirty_hours (hour)
       SELECT j.h::timestamptz FROM jsonb_array_elements_text($1::jsonb) AS j(h)
       ON CONFLICT (hour) DO NOTHING`,
      [JSON.stringify(hours)],
    );
  }
}

function cellKey(
  bucketMs: number,
  host: string,
  route: string,
  method: string,
  cls: string,
  gateway: string,
): string {
  return `${bucketMs}\u0000${host}\u0000${route}\u0000${method}\u0000${cls}\u0000${gateway}`;
}
