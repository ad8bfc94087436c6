import { expect } from 'chai';
import { encodeSketch, newSketch } from '../../telemetry/latency-sketch.js';
import { trafficPoints, type TrafficHourRow } from './traffic-points.js';

const H = Date.UTC(2026, 11, 7, 10);

function row(route: string, requests: number, errors: number, latenciesMs: number[]): TrafficHourRow {
  const sketch = newSketch();
  for (const ms of latenciesMs) sketch.accept(ms);
  return {
    hourStartMs: H,
    host: 'shop.example.com',
    route,
    requests,
    errors,
    latencySketch: encodeSketch(sketch),
  };
}

describe('traffic points from hourly rollup rows', () => {
  it("adds a route's rows up (methods, status classes, gateways) and takes the p95 of the merged sketches", () => {
    const fast = Array.from({ length: 96 }, () => 10);
    const slow = Array.from({ length: 4 }, () => 5000);
    const [point] = trafficPoints([row('shop/web/home', 96, 0, fast), row('shop/web/home', 4, 4, slow)]);
    expect(point).to.deep.include({
      hourStartMs: H,
      host: 'shop.example.com',
      route: 'shop/web/home',
      requests: 100,
      serverErrors: 4,
    });
    // 96 of 100 requests took 10 ms: the p95 is theirs, not the slow rows' own p95 (5000).
    expect(point?.p95LatencyMs).to.be.within(9.9, 10.1);
  });

  it('keeps hours and routes apart, leaves out requests with no route, and has no p95 without latency data', () => {
    const points = trafficPoints([
      row('shop/web/home', 10, 0, [10]),
      { ...row('shop/web/home', 20, 0, [10]), hourStartMs: H - 7 * 24 * 3_600_000 },
      row('shop/web/search', 5, 0, []),
      row('', 1000, 1000, [10]),
    ]);
    expect(points.map((p) => [p.hourStartMs, p.route, p.requests])).to.deep.equal([
      [H, 'shop/web/home', 10],
      [H - 7 * 24 * 3_600_000, 'shop/web/home', 20],
      [H, 'shop/web/search', 5],
    ]);
    expect(points[2]).to.not.have.property('p95LatencyMs');
  });
});
