/**
 * A report end to end in a real browser: known telemetry goes through the real processor into a
 * real PostgreSQL, the report is gathered and rendered, and Chromium shows it. The numbers on the
 * page must equal what the telemetry queries answer, the SVG charts must be drawn with a size,
 * data must be escaped (no script runs), and a screenshot must be a PNG.
 */
import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { RouteMatcher } from '../../src/domain/telemetry/route-matcher.js';
import { FakeClock } from '../../src/runtime/clock.js';
import { silentLogger } from '../../src/runtime/logger.js';
import { normaliseSections } from '../../src/domain/reports/report-model.js';
import { generateReport } from '../../src/reports/generate.js';
import { reportWindow } from '../../src/reports/gather.js';
import { AuditStore } from '../../src/telemetry/audit-store.js';
import { TelemetryProcessor } from '../../src/telemetry/processor.js';
import { queryTraffic } from '../../src/telemetry/queries.js';
import { chromiumPath, launchChromium } from '../support/chromium.js';
import { migratedStore, type TestStore } from '../support/job-fixtures.js';
import { accessEntry, insertBatch, securityEntry } from '../support/stored-batches.js';
import { prefixRoute } from '../support/telemetry-fixtures.js';

const HOUR = 3_600_000;
const D0 = Date.UTC(2026, 2, 2);
const NOW = D0 + 24 * HOUR + 20 * 60_000;

const routes = new RouteMatcher([
  {
    key: 'shop/web',
    payload: {
      hostnames: ['shop.example.com'],
      routes: [prefixRoute('api', '/api'), prefixRoute('site', '/')],
    },
  },
]);

describe('report in a real browser (real PostgreSQL, real processor, Chromium)', function () {
  this.timeout(120_000);
  let stored: TestStore | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let html: string;

  before(async () => {
    browser = await launchChromium();
    const test = await migratedStore('report');
    stored = test;
    const clock = new FakeClock(NOW);
    let sequence = 0;
    const ingest = async (timeMs: number, entries: Parameters<typeof insertBatch>[2]['entries']) => {
      await insertBatch(test.db, test.schema, {
        gatewayId: 'gw-a',
        sequence: ++sequence,
        receivedAt: new Date(timeMs),
        entries,
      });
      await new TelemetryProcessor({
        store: test.store,
        schema: test.schema,
        logger: silentLogger,
        clock,
        routes: () => routes,
      }).processOnce(test.db);
    };
    for (const [hour, count] of [
      [2, 40],
      [10, 70],
      [20, 25],
    ] as const) {
      await ingest(
        D0 + hour * HOUR,
        Array.from({ length: count }, (_, i) =>
          accessEntry('gw-a', {
            timeMs: D0 + hour * HOUR + i * 1000,
            uri: i % 3 === 0 ? '/index.html' : i % 7 === 0 ? '/api/<script>alert(1)</script>' : '/api/items',
            statusCode: i % 10 === 0 ? 503 : 200,
            responseTimeMs: 5 + (i % 20) * 3,
            responseSize: 1000 + i,
          }),
        ),
      );
    }
    await ingest(D0 + 12 * HOUR, [
      securityEntry('gw-a', { timeMs: D0 + 12 * HOUR, clientIp: '198.51.100.7', ruleId: '942100' }),
      securityEntry('gw-a', { timeMs: D0 + 12 * HOUR + 1000, clientIp: '198.51.100.7', ruleId: '942100' }),
      securityEntry('gw-a', { timeMs: D0 + 12 * HOUR + 2000, clientIp: '203.0.113.9', ruleId: '941100' }),
    ]);
    await new AuditStore(test.db, test.schema).append([
      {
        timeMs: D0 + 3 * HOUR,
        action: 'update',
        actor: 'kubectl',
        kind: 'RouteConfig',
        namespace: 'shop',
        name: 'web',
        generation: 2,
        summary: 'spec.routes[0] <changed>',
        details: {},
      },
    ]);
    const report = await generateReport({
      db: test.db,
      schema: test.schema,
      window: '24h',
      nowMs: NOW,
      sections: normaliseSections(undefined),
      formats: ['html'],
    });
    html = report.files[0]?.body ?? '';
    page = await browser.newPage({ viewport: { width: 1000, height: 800 } });
    await page.setContent(html, { waitUntil: 'load' });
  });

  after(async () => {
    await browser?.close();
    await stored?.db.close();
  });

  function store(): TestStore {
    if (!stored) throw new Error('the store was not set up');
    return stored;
  }

  it('shows the totals the telemetry queries answer for the window', async () => {
    const { sinceMs, untilMs } = reportWindow('24h', NOW);
    const answer = await queryTraffic(
      store().db,
      store().schema,
      { sinceMs, untilMs, stepMs: untilMs - sinceMs },
      NOW,
    );
    const point = answer.series[0]?.points[0];
    expect(point?.requests).to.equal(135);
    const shown = async (id: string) => {
      const element = page.locator(`#${id}`);
      return {
        text: (await element.innerText()).replace(/[,\s%]/g, ''),
        value: await element.getAttribute('data-value'),
      };
    };
    expect(await shown('total-requests')).to.deep.equal({ text: '135', value: '135' });
    expect((await shown('total-errors')).value).to.equal(String(point?.errors));
    expect((await shown('bytes-out')).value).to.equal(String(point?.bytesOut));
    // 14 errors in 135 requests (one in ten of each batch, from its first): 10.37 %.
    expect(point?.errors).to.equal(14);
    expect(await shown('error-rate')).to.deep.equal({ text: '10.37', value: '10.37' });
  });

  it('shows each route p95 equal to the merged sketches the queries answer', async () => {
    const { sinceMs, untilMs } = reportWindow('24h', NOW);
    const answer = await queryTraffic(
      store().db,
      store().schema,
      { sinceMs, untilMs, stepMs: untilMs - sinceMs, by: 'route' },
      NOW,
    );
    expect(answer.series.map((s) => s.group)).to.deep.equal(['shop/web/api', 'shop/web/site']);
    const rows = page.locator('table[data-table="latency"] tbody tr');
    expect(await rows.count()).to.equal(2);
    for (const series of answer.series) {
      const row = rows.filter({
        has: page.locator('td[data-column="route"]', { hasText: series.group ?? '' }),
      });
      const p95 = row.locator('td[data-column="p95_ms"]');
      expect(await p95.getAttribute('data-value')).to.equal(String(series.points[0]?.latencyMs.p95));
      expect(await row.locator('td[data-column="requests"]').getAttribute('data-value')).to.equal(
        String(series.points[0]?.requests),
      );
    }
  });

  it('draws the SVG charts with a size and shapes', async () => {
    const charts = page.locator('.chart svg');
    const count = await charts.count();
    // traffic, top routes, status classes, latency, and two routes' capacity charts.
    expect(count).to.equal(6);
    for (let i = 0; i < count; i++) {
      const svg = charts.nth(i);
      const box = await svg.boundingBox();
      expect(box?.width, `chart ${i} width`).to.be.greaterThan(100);
      expect(box?.height, `chart ${i} height`).to.be.greaterThan(100);
      expect(await svg.locator('path, rect').count(), `chart ${i} shapes`).to.be.greaterThan(3);
    }
  });

  it('lists WAF blocks, blocked IPs and configuration changes, escaped', async () => {
    const cells = async (table: string, column: string) =>
      page.locator(`table[data-table="${table}"] td[data-column="${column}"]`).allInnerTexts();
    expect(await cells('waf_rules', 'rule_id')).to.deep.equal(['942100', '941100']);
    expect(await cells('waf_blocked_ips', 'client_ip')).to.deep.equal(['198.51.100.7', '203.0.113.9']);
    expect(await cells('changes', 'summary')).to.deep.equal(['spec.routes[0] <changed>']);
    // A path holding a script tag is shown as text; the page has no script element.
    expect(await cells('top_paths', 'name')).to.include('/api/<script>alert(1)</script>');
    expect(await page.locator('script').count()).to.equal(0);
    expect(html).not.to.match(/<script/i);
  });

  it('fails naming the install command when Chromium is missing', () => {
    const saved = process.env.CHROMIUM_PATH;
    process.env.CHROMIUM_PATH = '/nonexistent/chromium';
    try {
      expect(() => chromiumPath()).to.throw(/apt-get install chromium/);
    } finally {
      if (saved === undefined) delete process.env.CHROMIUM_PATH;
      else process.env.CHROMIUM_PATH = saved;
    }
  });

  it('takes a screenshot: a non-empty PNG', async () => {
    const png = await page.screenshot({ fullPage: true });
    expect(png.subarray(0, 8).toString('hex')).to.equal('89504e470d0a1a0a');
    expect(png.length).to.be.greaterThan(10_000);
  });
});
