import { expect } from 'chai';
import type { ReportData } from './report-data.js';
import { buildReport, normaliseSections } from './report-model.js';
import { REPORT_SECTIONS } from './sections.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 1);

function data(overrides: Partial<ReportData> = {}): ReportData {
  return {
    generatedAtMs: T0 + 7 * DAY,
    window: '7d',
    sinceMs: T0,
    untilMs: T0 + 7 * DAY,
    totals: { requests: 1000, errors: 25, bytesIn: 5000, bytesOut: 90_000 },
    series: [],
    routes: [
      {
        route: 'shop/web/api',
        requests: 600,
        errors: 5,
        bytesIn: 0,
        bytesOut: 0,
        p50Ms: 10,
        p95Ms: 40,
        p99Ms: 90,
      },
      {
        route: 'shop/web/static',
        requests: 300,
        errors: 0,
        bytesIn: 0,
        bytesOut: 0,
        p50Ms: 2,
        p95Ms: 5,
        p99Ms: 8,
      },
      { route: '', requests: 100, errors: 20, bytesIn: 0, bytesOut: 0, p50Ms: 1, p95Ms: 1, p99Ms: 2 },
    ],
    hosts: [
      { host: 'b.example', requests: 400, errors: 0, bytesIn: 0, bytesOut: 0 },
      { host: 'a.example', requests: 600, errors: 25, bytesIn: 0, bytesOut: 0 },
    ],
    statusClasses: [
      { statusClass: '2xx', requests: 950 },
      { statusClass: '5xx', requests: 25 },
      { statusClass: '4xx', requests: 25 },
    ],
    paths: [{ value: '/api/items', count: 500 }],
    wafRules: [
      { ruleId: '942100', description: 'SQL injection', blocked: 7 },
      { ruleId: '941100', description: 'XSS', blocked: 9 },
    ],
    blockedIps: [
      { value: '198.51.100.7', count: 10 },
      { value: '203.0.113.9', count: 6 },
    ],
    incidents: [],
    decisions: [],
    certificates: [
      { namespace: 'shop', name: 'late', dnsNames: ['l.example'], notAfterMs: T0 + 97 * DAY, ready: true },
      { namespace: 'shop', name: 'new', dnsNames: ['n.example'], ready: false },
      {
        namespace: 'shop',
        name: 'soon',
        dnsNames: ['s.example'],
        notAfterMs: T0 + 10 * DAY + 1,
        ready: true,
      },
    ],
    changes: [
      {
        timeMs: T0 + 2 * DAY,
        action: 'update',
        actor: 'kubectl',
        kind: 'RouteConfig',
        namespace: 'shop',
        name: 'web',
        summary: 'spec.routes',
      },
      {
        timeMs: T0 + DAY,
        action: 'create',
        actor: 'kubectl',
        kind: 'RouteConfig',
        namespace: 'shop',
        name: 'web',
        summary: 'created',
      },
    ],
    dailyPeaks: [
      {
        route: 'shop/web/api',
        days: [10, 12, 14, 16, 18, 20, 22].map((peakRps, i) => ({ dayMs: T0 + i * DAY, peakRps })),
      },
      { route: 'shop/web/static', days: [{ dayMs: T0, peakRps: 3 }] },
    ],
    ...overrides,
  };
}

describe('report model', () => {
  it('summarises the traffic: error rate and average requests per second over the window', () => {
    const model = buildReport(data(), ['traffic']);
    expect(model.traffic).to.include({ requests: 1000, errors: 25, errorRatePercent: 2.5, bytesOut: 90_000 });
    // 1000 requests / 604,800 s = 0.0016534… → 0.002
    expect(model.traffic?.averageRps).to.equal(0.002);
    expect(model.sections).to.deep.equal(['traffic']);
    expect(model.top).to.equal(undefined);
  });

  it('ranks hosts, routes, paths and status classes with their share of all requests', () => {
    const top = buildReport(data(), ['top']).top;
    expect(top?.hosts).to.deep.equal([
      { name: 'a.example', requests: 600, sharePercent: 60 },
      { name: 'b.example', requests: 400, sharePercent: 40 },
    ]);
    expect(top?.routes.map((r) => r.name)).to.deep.equal(['shop/web/api', 'shop/web/static', '']);
    expect(top?.paths).to.deep.equal([{ name: '/api/items', requests: 500, sharePercent: 50 }]);
    // Equal counts: by name.
    expect(top?.statusClasses.map((s) => s.name)).to.deep.equal(['2xx', '4xx', '5xx']);
  });

  it('lists latency by traffic and error rates worst first', () => {
    const model = buildReport(data(), ['latency', 'errors']);
    expect(model.latency?.[0]).to.deep.equal({
      route: 'shop/web/api',
      requests: 600,
      p50Ms: 10,
      p95Ms: 40,
      p99Ms: 90,
    });
    expect(model.errors).to.deep.equal([
      { route: '', requests: 100, errors: 20, errorRatePercent: 20 },
      { route: 'shop/web/api', requests: 600, errors: 5, errorRatePercent: 0.83 },
      { route: 'shop/web/static', requests: 300, errors: 0, errorRatePercent: 0 },
    ]);
  });

  it('totals WAF blocks and ranks rules and blocked IPs', () => {
    const waf = buildReport(data(), ['waf']).waf;
    expect(waf?.totalBlocked).to.equal(16);
    expect(waf?.byRule.map((r) => r.ruleId)).to.deep.equal(['941100', '942100']);
    expect(waf?.topIps[0]).to.deep.equal({ value: '198.51.100.7', count: 10 });
  });

  it('orders certificates by expiry with whole days left, never-issued last', () => {
    const certs = buildReport(data(), ['certificates']).certificates;
    expect(certs?.available).to.equal(true);
    expect(certs?.items.map((c) => [c.name, c.daysLeft])).to.deep.equal([
      ['soon', 3],
      ['late', 90],
      ['new', null],
    ]);
    const { certificates: _omitted, ...withoutCertificates } = data();
    expect(buildReport(withoutCertificates, ['certificates']).certificates).to.deep.equal({
      available: false,
      items: [],
    });
  });

  it('lists configuration changes oldest first', () => {
    expect(buildReport(data(), ['changes']).changes?.map((c) => c.action)).to.deep.equal([
      'create',
      'update',
    ]);
  });

  it('plans capacity per route: peak, growth, 30-day forecast and its backtest', () => {
    const capacity = buildReport(data(), ['capacity']).capacity;
    // 10 + 2·day over 7 days: growth (22 - 10) / 10 = 120 %; forecast day 36: 10 + 72 = 82;
    // backtest fits days 0..5 and predicts day 6 exactly.
    expect(capacity?.[0]).to.deep.include({
      route: 'shop/web/api',
      peakRps: 22,
      growthPercent: 120,
      slopeRpsPerDay: 2,
      forecastPeakRps: 82,
      backtest: { trainingDays: 6, heldOutDays: 1, mapePercent: 0 },
    });
    // One day: no line, no forecast.
    expect(capacity?.[1]).to.deep.include({
      route: 'shop/web/static',
      peakRps: 3,
      growthPercent: null,
      forecastPeakRps: null,
      backtest: null,
    });
  });

  it('reads an empty section list as every section, in the canonical order', () => {
    expect(normaliseSections(undefined)).to.deep.equal([...REPORT_SECTIONS]);
    expect(normaliseSections([])).to.deep.equal([...REPORT_SECTIONS]);
    expect(normaliseSections(['capacity', 'traffic'])).to.deep.equal(['traffic', 'capacity']);
  });
});
