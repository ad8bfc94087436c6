/**
 * The gather step's own reads against a real PostgreSQL, with telemetry written by the real
 * processor: each route's daily peak (busiest minute / 60), a namespace's scope, and WAF blocks.
 */
import { expect } from 'chai';
import { RouteMatcher } from '../../src/domain/telemetry/route-matcher.js';
import { gatherReportData } from '../../src/reports/gather.js';
import { FakeClock } from '../../src/runtime/clock.js';
import { silentLogger } from '../../src/runtime/logger.js';
import { TelemetryProcessor } from '../../src/telemetry/processor.js';
import { migratedStore, type TestStore } from '../support/job-fixtures.js';
import { accessEntry, insertBatch, securityEntry } from '../support/stored-batches.js';
import { prefixRoute } from '../support/telemetry-fixtures.js';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const D0 = Date.UTC(2026, 4, 4);
const NOW = D0 + 7 * DAY + 10 * MINUTE;

const routes = new RouteMatcher([
  { key: 'shop/web', payload: { hostnames: ['shop.example.com'], routes: [prefixRoute('site', '/')] } },
  { key: 'blog/web', payload: { hostnames: ['blog.example.com'], routes: [prefixRoute('site', '/')] } },
]);

describe('report gather step (real PostgreSQL, real processor)', function () {
  this.timeout(60_000);
  let test: TestStore;

  before(async () => {
    test = await migratedStore('reportgather');
    let sequence = 0;
    const burst = async (host: string, atMs: number, count: number) => {
      await insertBatch(test.db, test.schema, {
        gatewayId: 'gw-a',
        sequence: ++sequence,
        receivedAt: new Date(atMs),
        // Spread over less than a minute: one minute bucket.
        entries: Array.from({ length: count }, (_, i) =>
          accessEntry('gw-a', { timeMs: atMs + Math.floor((i * 50_000) / count), host, uri: '/x' }),
        ),
      });
    };
    await burst('shop.example.com', D0 + 10 * HOUR, 120); // day 0: 2 req/s
    await burst('shop.example.com', D0 + 11 * HOUR, 60); // day 0: 1 req/s, not the peak
    await burst('shop.example.com', D0 + DAY + 9 * HOUR, 180); // day 1: 3 req/s
    await burst('shop.example.com', D0 + 3 * DAY + 9 * HOUR, 300); // day 3: 5 req/s
    await burst('blog.example.com', D0 + 2 * DAY + 9 * HOUR, 600); // another namespace: 10 req/s
    await insertBatch(test.db, test.schema, {
      gatewayId: 'gw-a',
      sequence: ++sequence,
      receivedAt: new Date(D0 + 12 * HOUR),
      entries: [
        securityEntry('gw-a', { timeMs: D0 + 12 * HOUR, host: 'shop.example.com', uri: '/x', ruleId: 'r1' }),
        securityEntry('gw-a', {
          timeMs: D0 + 12 * HOUR + 1,
          host: 'shop.example.com',
          uri: '/x',
          ruleId: 'r1',
        }),
        securityEntry('gw-a', {
          timeMs: D0 + 12 * HOUR + 2,
          host: 'blog.example.com',
          uri: '/x',
          ruleId: 'r2',
        }),
        securityEntry('gw-a', {
          timeMs: D0 + 12 * HOUR + 3,
          host: 'shop.example.com',
          uri: '/x',
          ruleId: 'r3',
          actionTaken: 'logged',
        }),
      ],
    });
    await new TelemetryProcessor({
      store: test.store,
      schema: test.schema,
      logger: silentLogger,
      clock: new FakeClock(NOW),
      routes: () => routes,
    }).processOnce(test.db);
  });
  after(async () => {
    await test.db.close();
  });

  it('finds each route’s busiest minute per UTC day, as requests/second', async () => {
    const data = await gatherReportData({ db: test.db, schema: test.schema, window: '7d', nowMs: NOW });
    expect(data.sinceMs).to.equal(D0);
    expect(data.dailyPeaks.map((r) => [r.route, r.days.map((d) => d.peakRps)])).to.deep.equal([
      ['blog/web/site', [0, 0, 10, 0, 0, 0, 0]],
      ['shop/web/site', [2, 3, 0, 5, 0, 0, 0]],
    ]);
    expect(data.dailyPeaks[0]?.days[0]?.dayMs).to.equal(D0);
    expect(data.totals.requests).to.equal(1260);
    expect(data.wafRules.map((r) => [r.ruleId, r.blocked])).to.deep.equal([
      ['r1', 2],
      ['r2', 1],
    ]);
  });

  it('keeps to a namespace’s routes when one is given', async () => {
    const data = await gatherReportData({
      db: test.db,
      schema: test.schema,
      window: '7d',
      nowMs: NOW,
      namespace: 'shop',
    });
    expect(data.totals.requests).to.equal(660);
    expect(data.routes.map((r) => r.route)).to.deep.equal(['shop/web/site']);
    expect(data.dailyPeaks.map((r) => r.route)).to.deep.equal(['shop/web/site']);
    expect(data.wafRules.map((r) => [r.ruleId, r.blocked])).to.deep.equal([['r1', 2]]);
    expect(data.paths).to.deep.equal([]);
    expect(data.certificates).to.equal(undefined);
  });
});
