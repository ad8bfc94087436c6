import { expect } from 'chai';
import { newSketch, percentiles } from './latency-sketch.js';
import { StepGrid } from './step-grid.js';
import { trafficRow } from './builders.test-support.js';
import { TrafficRollup } from './traffic-rows.js';
import { SeriesAccumulator } from './traffic-series.js';

const D = Date.UTC(2026, 10, 2);
const HOUR = 3_600_000;

describe('traffic series from rollup rows', () => {
  it('counts each row in the step its bucket starts in, per group, sorted by group', () => {
    const series = new SeriesAccumulator(StepGrid.uniform(D, D + 3 * HOUR, HOUR), 'route');
    series.add(trafficRow({ bucketMs: D, route: 'b', latencies: [10, 30] }));
    series.add(trafficRow({ bucketMs: D + 2 * HOUR, route: 'a', latencies: [5] }));
    series.add(trafficRow({ bucketMs: D + 2 * HOUR + 60_000, route: 'a', latencies: [7], errors: 1 }));
    series.add(trafficRow({ bucketMs: D + 3 * HOUR, route: 'a', latencies: [99] }));
    const [a, b] = series.series();
    expect(a?.group).to.equal('a');
    expect(a?.points.map((p) => p.requests)).to.deep.equal([0, 0, 2]);
    expect(a?.points[2]).to.include({ errors: 1, time: new Date(D + 2 * HOUR).toISOString() });
    expect(a?.points[2]?.latencyMs.mean).to.equal(6);
    expect(b?.points.map((p) => p.requests)).to.deep.equal([2, 0, 0]);
    expect(b?.points[1]?.latencyMs).to.deep.equal({ mean: null, p50: null, p95: null, p99: null });
  });

  it('gives one series of empty steps when nothing matched and nothing is grouped', () => {
    const series = new SeriesAccumulator(StepGrid.uniform(D, D + 2 * HOUR, HOUR)).series();
    expect(series).to.have.length(1);
    expect(series[0]?.group).to.equal(undefined);
    expect(series[0]?.points.map((p) => p.requests)).to.deep.equal([0, 0]);
    expect(new SeriesAccumulator(StepGrid.uniform(D, D + HOUR, HOUR), 'host').series()).to.deep.equal([]);
  });
});

describe('rolling traffic rows up into a coarser bucket', () => {
  it('sums the counters and merges the sketches of rows with the same key', () => {
    const rollup = new TrafficRollup(D);
    rollup.add(trafficRow({ bucketMs: D + HOUR, latencies: [10, 20] }));
    rollup.add(trafficRow({ bucketMs: D + 5 * HOUR, latencies: [30], errors: 1 }));
    rollup.add(trafficRow({ bucketMs: D + 5 * HOUR, gatewayId: 'gw-b', latencies: [40] }));
    const cells = rollup.values();
    expect(cells.map((c) => [c.bucketMs, c.gatewayId, c.requests, c.errors, c.latencySumMs])).to.deep.equal([
      [D, 'gw-a', 3, 1, 60],
      [D, 'gw-b', 1, 0, 40],
    ]);
    const all = newSketch();
    for (const l of [10, 20, 30]) all.accept(l);
    expect(percentiles(cells[0]?.sketch ?? newSketch())).to.deep.equal(percentiles(all));
  });
});
