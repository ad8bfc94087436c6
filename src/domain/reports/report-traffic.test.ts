import { expect } from 'chai';
import { newSketch, percentiles } from '../telemetry/latency-sketch.js';
import { trafficRow } from '../telemetry/builders.test-support.js';
import { ReportTrafficAccumulator, reportSteps } from './report-traffic.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** The window of a 30-day report generated at 12:30: 12:00 to 12:00. */
const UNTIL = Date.UTC(2026, 10, 30, 12);
const SINCE = UNTIL - 30 * DAY;
const iso = (ms: number) => new Date(ms).toISOString().slice(5, 16);

describe('a report’s traffic from one pass over the rollup rows', () => {
  it('steps a 30-day window by UTC day, partial at both ends; 7 days by 6 hours, 24 hours by hours', () => {
    const days = reportSteps('30d', SINCE, UNTIL);
    expect(days.length).to.equal(31);
    expect([days.starts[0], days.starts[1], days.starts[30]].map((t) => iso(t ?? 0))).to.deep.equal([
      '10-31T12:00',
      '11-01T00:00',
      '11-30T00:00',
    ]);
    expect(reportSteps('7d', UNTIL - 7 * DAY, UNTIL).length).to.equal(28);
    expect(reportSteps('24h', UNTIL - DAY, UNTIL).length).to.equal(24);
  });

  it('feeds the steps, the routes, the hosts and the status classes from the same rows', () => {
    const traffic = new ReportTrafficAccumulator(reportSteps('30d', SINCE, UNTIL));
    const rows = [
      trafficRow({ bucketMs: SINCE, route: 'shop/web/b', latencies: [10, 20, 30] }),
      trafficRow({
        bucketMs: SINCE + 12 * HOUR,
        route: 'shop/web/a',
        statusClass: '5xx',
        errors: 2,
        latencies: [300, 400],
      }),
      trafficRow({ bucketMs: UNTIL - HOUR, route: 'shop/web/b', host: 'api.example.com', latencies: [40] }),
      // Outside the window: not counted.
      trafficRow({ bucketMs: UNTIL, route: 'shop/web/c', latencies: [1] }),
    ];
    for (const row of rows) traffic.add(row);
    const data = traffic.result();
    expect(traffic.rows).to.equal(3);
    expect(data.totals).to.deep.equal({ requests: 6, errors: 2, bytesIn: 600, bytesOut: 6000 });
    expect(data.series.filter((s) => s.requests > 0).map((s) => [iso(s.timeMs), s.requests])).to.deep.equal([
      ['10-31T12:00', 3],
      ['11-01T00:00', 2],
      ['11-30T00:00', 1],
    ]);
    const b = newSketch();
    for (const l of [10, 20, 30, 40]) b.accept(l);
    const p = percentiles(b);
    expect(data.routes.map((r) => r.route)).to.deep.equal(['shop/web/a', 'shop/web/b']);
    expect(data.routes[1]).to.include({ requests: 4, errors: 0 });
    expect([data.routes[1]?.p50Ms, data.routes[1]?.p99Ms]).to.deep.equal([
      Math.round((p.p50 ?? 0) * 1000) / 1000,
      Math.round((p.p99 ?? 0) * 1000) / 1000,
    ]);
    expect(data.hosts.map((h) => [h.host, h.requests])).to.deep.equal([
      ['api.example.com', 1],
      ['shop.example.com', 5],
    ]);
    expect(data.statusClasses).to.deep.equal([
      { statusClass: '2xx', requests: 4 },
      { statusClass: '5xx', requests: 2 },
    ]);
  });
});
