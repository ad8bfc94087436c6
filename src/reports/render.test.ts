import { expect } from 'chai';
import type { ReportData } from '../domain/reports/report-data.js';
import { buildReport } from '../domain/reports/report-model.js';
import { renderReport } from './render.js';

const T0 = Date.UTC(2026, 0, 1);
const DAY = 86_400_000;

const data: ReportData = {
  generatedAtMs: T0 + DAY,
  window: '24h',
  sinceMs: T0,
  untilMs: T0 + DAY,
  namespace: 'shop',
  totals: { requests: 10, errors: 1, bytesIn: 0, bytesOut: 0 },
  series: [],
  routes: [],
  hosts: [],
  statusClasses: [],
  paths: [],
  wafRules: [{ ruleId: 'r"1', description: 'comma, "quote"\nnewline', blocked: 2 }],
  blockedIps: [],
  incidents: [],
  decisions: [],
  changes: [
    {
      timeMs: T0 + 1000,
      action: 'update',
      actor: '<img src=x onerror=alert(1)>',
      kind: 'RouteConfig',
      namespace: 'shop',
      name: 'a&b',
      summary: 'it\'s "fine"',
    },
  ],
  dailyPeaks: [],
};

describe('report renderings', () => {
  const model = buildReport(data, ['traffic', 'waf', 'certificates', 'changes']);

  it('quotes CSV fields holding commas, quotes or newlines (RFC 4180)', () => {
    const csv = renderReport(model, 'csv').body;
    expect(csv).to.include(
      '# waf/waf_rules\r\nrule_id,description,blocked\r\n"r""1","comma, ""quote""\nnewline",2\r\n',
    );
    expect(renderReport(model, 'csv').contentType).to.equal('text/csv; charset=utf-8');
  });

  it('renders JSON that parses back to the model with its format version', () => {
    const rendered = renderReport(model, 'json');
    expect(rendered.contentType).to.equal('application/json');
    expect(JSON.parse(rendered.body)).to.deep.equal(JSON.parse(JSON.stringify({ version: 1, ...model })));
  });

  it('escapes every text in HTML and says when certificates could not be read', () => {
    const html = renderReport(model, 'html', 'Report <shop>').body;
    expect(html).to.include('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).to.include('a&amp;b');
    expect(html).to.include('it&#39;s &quot;fine&quot;');
    expect(html).to.include('<title>Report &lt;shop&gt;</title>');
    expect(html).not.to.include('<img');
    expect(html).to.include('Certificates (not available: no cluster access)');
    expect(html).not.to.match(/<script/i);
  });

  it('names requests no route matched instead of leaving the cell empty, in HTML only', () => {
    const unmatched = {
      route: '',
      requests: 5,
      errors: 0,
      bytesIn: 0,
      bytesOut: 0,
      p50Ms: 1,
      p95Ms: 2,
      p99Ms: 3,
    };
    const withUnmatched = buildReport({ ...data, routes: [unmatched] }, ['top', 'latency']);
    const html = renderReport(withUnmatched, 'html', 'Report').body;
    expect(html).to.include('<td class="none" data-column="route" data-value="">(no route)</td>');
    expect(html).to.include('<td class="none" data-column="name" data-value="">(no route)</td>');
    expect(renderReport(withUnmatched, 'csv', 'Report').body).not.to.include('(no route)');
  });
});
