import { expect } from 'chai';
import { Registry } from 'prom-client';
import { decodeSketch, percentiles } from '../../src/domain/telemetry/latency-sketch.js';
import { RouteMatcher } from '../../src/domain/telemetry/route-matcher.js';
import type { SecurityEvent } from '../../src/domain/telemetry/records.js';
import { FakeClock } from '../../src/runtime/clock.js';
import { silentLogger } from '../../src/runtime/logger.js';
import { identifier } from '../../src/storage/database.js';
import { FleetMetrics, telemetryMetrics } from '../../src/telemetry/metrics.js';
import { TelemetryProcessor } from '../../src/telemetry/processor.js';
import { querySecurityEvents } from '../../src/telemetry/security-events.js';
import { migratedStore, type TestStore } from '../support/job-fixtures.js';
import { accessEntry, insertBatch, securityEntry } from '../support/stored-batches.js';

const T0 = Date.UTC(2026, 0, 5, 10, 0, 0);

const routes = new RouteMatcher([
  {
    key: 'shop/storefront',
    payload: {
      hostnames: ['shop.example.com'],
      routes: [
        {
          name: 'api',
          match: { path: { type: 'prefix', value: '/api' } },
          backends: [],
          load_balancer: 'round_robin',
          timeout: '30s',
          retries: 0,
          waf_rule_sets: ['shop.strict'],
        },
      ],
    },
  },
]);

describe('telemetry processor (real PostgreSQL)', function () {
  this.timeout(60_000);
  let test: TestStore;
  let clock: FakeClock;

  beforeEach(async () => {
    test = await migratedStore('telemetry');
    clock = new FakeClock(T0 + 5 * 60_000);
  });
  afterEach(async () => {
    await test.db.close();
  });

  function processor(extra: Partial<ConstructorParameters<typeof TelemetryProcessor>[0]> = {}) {
    return new TelemetryProcessor({
      store: test.store,
      schema: test.schema,
      logger: silentLogger,
      clock,
      routes: () => routes,
      ...extra,
    });
  }

  it('aggregates batches from two gateways into minute rollups, once, and marks them processed', async () => {
    const s = identifier(test.schema);
    for (const [i, gateway] of ['gw-a', 'gw-b'].entries()) {
      await insertBatch(test.db, test.schema, {
        gatewayId: gateway,
        sequence: 1,
        receivedAt: new Date(T0 + 61_000),
        droppedAccess: i === 0 ? 7 : 0,
        entries: [
          accessEntry(gateway, { timeMs: T0 + 1_000, uri: '/api/items?x=1', responseTimeMs: 10 }),
          accessEntry(gateway, {
            timeMs: T0 + 2_000,
            uri: '/api/items',
            responseTimeMs: 30,
            statusCode: 503,
          }),
          accessEntry(gateway, { timeMs: T0 + 61_000, uri: '/other', responseTimeMs: 20 }),
          securityEntry(gateway, { timeMs: T0 + 3_000, uri: '/api/search?q=x' }),
        ],
      });
    }
    const registry = new Registry();
    const metrics = telemetryMetrics(registry);
    const events: SecurityEvent[] = [];
    const p = processor({
      metrics,
      fleet: new FleetMetrics(metrics, 10),
      onSecurityEvents: (e) => events.push(...e),
    });
    expect(await p.processOnce(test.db)).to.deep.equal({ batches: 2, access: 6, security: 2 });
    expect(await p.processOnce(test.db)).to.deep.equal({ batches: 0, access: 0, security: 0 });

    const rows = await test.db.query<{
      bucket: Date;
      route: string;
      status_class: string;
      gateway_id: string;
      requests: string;
      errors: string;
      latency_sketch: Uint8Array;
    }>(`SELECT * FROM ${s}.traffic_minute ORDER BY bucket, route, status_class, gateway_id`);
    expect(
      rows.rows.map((r) => [
        r.bucket.getTime() - T0,
        r.route,
        r.status_class,
        r.gateway_id,
        Number(r.requests),
        Number(r.errors),
      ]),
    ).to.deep.equal([
      [0, 'shop/storefront/api', '2xx', 'gw-a', 1, 0],
      [0, 'shop/storefront/api', '2xx', 'gw-b', 1, 0],
      [0, 'shop/storefront/api', '5xx', 'gw-a', 1, 1],
      [0, 'shop/storefront/api', '5xx', 'gw-b', 1, 1],
      [60_000, '', '2xx', 'gw-a', 1, 0],
      [60_000, '', '2xx', 'gw-b', 1, 0],
    ]);
    const sketch = decodeSketch(rows.rows[0]!.latency_sketch);
    expect(percentiles(sketch).p50).to.be.closeTo(10, 0.1);

    const unprocessed = await test.db.query<{ n: string }>(
      `SELECT count(*) AS n FROM ${s}.telemetry_batches WHERE processed_at IS NULL`,
    );
    expect(Number(unprocessed.rows[0]?.n)).to.equal(0);
    const drops = await test.db.query<{ gateway_id: string; dropped_access: string }>(
      `SELECT gateway_id, dropped_access FROM ${s}.drops_minute`,
    );
    expect(drops.rows.map((r) => [r.gateway_id, Number(r.dropped_access)])).to.deep.equal([['gw-a', 7]]);
    const waf = await test.db.query<{ rule_id: string; action: string; route: string; matches: string }>(
      `SELECT rule_id, action, route, matches FROM ${s}.waf_minute`,
    );
    expect(waf.rows.map((r) => [r.rule_id, r.action, r.route, Number(r.matches)])).to.deep.equal([
      ['sqli-1', 'blocked', 'shop/storefront/api', 2],
    ]);
    const stored = await querySecurityEvents(test.db, test.schema, {
      since: new Date(T0),
      until: new Date(T0 + 3_600_000),
      clientIp: '198.51.100.7',
    });
    expect(stored).to.have.length(2);
    expect(stored[0]).to.deep.include({
      ruleId: 'sqli-1',
      route: 'shop/storefront/api',
      ruleSets: ['shop.strict'],
    });
    expect(events.map((e) => e.gatewayId).sort()).to.deep.equal(['gw-a', 'gw-b']);

    const exposition = await registry.metrics();
    expect(exposition).to.include(
      'gateway_requests_total{host="shop.example.com",route="shop/storefront/api",code_class="5xx"} 2',
    );
    expect(exposition).to.include(
      'gateway_worker_telemetry_processed_records_total{type="access",outcome="aggregated"}',
    );
  });

  it('merges a later batch into the same minute: counters add, sketches merge, heavy hitters combine', async () => {
    const s = identifier(test.schema);
    const p = processor({ topCapacity: 5 });
    const latencies: number[] = [];
    for (let sequence = 1; sequence <= 3; sequence++) {
      const entries = Array.from({ length: 100 }, (_, i) => {
        const latency = sequence * 100 + i;
        latencies.push(latency);
        return accessEntry('gw-a', {
          timeMs: T0 + i * 100,
          uri: `/api/p${i % 3}`,
          clientIp: `203.0.113.${i % 10}`,
          responseTimeMs: latency,
        });
      });
      await insertBatch(test.db, test.schema, {
        gatewayId: 'gw-a',
        sequence,
        receivedAt: new Date(T0),
        entries,
      });
      await p.processOnce(test.db);
    }
    const rows = await test.db.query<{ requests: string; latency_sketch: Uint8Array }>(
      `SELECT requests, latency_sketch FROM ${s}.traffic_minute`,
    );
    expect(rows.rows).to.have.length(1);
    expect(Number(rows.rows[0]?.requests)).to.equal(300);
    const sketch = decodeSketch(rows.rows[0]!.latency_sketch);
    const sorted = latencies.sort((a, b) => a - b);
    const p99 = sorted[Math.floor(0.99 * (sorted.length - 1))] ?? 0;
    expect(Math.abs((percentiles(sketch).p99 ?? 0) - p99) / p99).to.be.at.most(0.01);
    const top = await test.db.query<{
      dimension: string;
      summary: { total: number; items: { value: string; count: number }[] };
    }>(`SELECT dimension, summary FROM ${s}.top_minute WHERE dimension = 'path'`);
    expect(top.rows[0]?.summary.total).to.equal(300);
    expect(top.rows[0]?.summary.items.map((i) => [i.value, i.count])).to.deep.equal([
      ['/api/p0', 102],
      ['/api/p1', 99],
      ['/api/p2', 99],
    ]);
  });

  it('a transaction that fails before commit leaves nothing behind; the batch is counted once afterwards', async () => {
    const s = identifier(test.schema);
    await insertBatch(test.db, test.schema, {
      gatewayId: 'gw-a',
      sequence: 1,
      receivedAt: new Date(T0),
      entries: [accessEntry('gw-a', { timeMs: T0 }), securityEntry('gw-a', { timeMs: T0 })],
    });
    const failing = processor({ beforeCommit: () => Promise.reject(new Error('crash before commit')) });
    let failure: unknown;
    try {
      await failing.processOnce(test.db);
    } catch (error) {
      failure = error;
    }
    expect(String(failure)).to.include('crash before commit');
    const empty = await test.db.query<{ n: string }>(`SELECT count(*) AS n FROM ${s}.traffic_minute`);
    expect(Number(empty.rows[0]?.n)).to.equal(0);
    await processor().processOnce(test.db);
    await processor().processOnce(test.db);
    const after = await test.db.query<{ requests: string }>(`SELECT requests FROM ${s}.traffic_minute`);
    expect(after.rows.map((r) => Number(r.requests))).to.deep.equal([1]);
    const events = await test.db.query<{ n: string }>(`SELECT count(*) AS n FROM ${s}.security_events`);
    expect(Number(events.rows[0]?.n)).to.equal(1);
  });
});
