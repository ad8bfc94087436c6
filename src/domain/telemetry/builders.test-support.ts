/** Traffic rows for tests: `trafficRow({ route: 'shop/web/site', latencies: [10, 20] })`. */
import { encodeSketch, newSketch } from './latency-sketch.js';
import type { TrafficRow } from './traffic-rows.js';

export function trafficRow(
  overrides: Partial<Omit<TrafficRow, 'sketch' | 'requests' | 'latencySumMs'>> & {
    readonly latencies?: readonly number[];
  } = {},
): TrafficRow {
  const { latencies = [10], ...rest } = overrides;
  const sketch = newSketch();
  for (const l of latencies) sketch.accept(l);
  return {
    bucketMs: Date.UTC(2026, 10, 2),
    host: 'shop.example.com',
    route: 'shop/web/site',
    method: 'GET',
    statusClass: '2xx',
    gatewayId: 'gw-a',
    errors: 0,
    bytesIn: 100 * latencies.length,
    bytesOut: 1000 * latencies.length,
    ...rest,
    requests: latencies.length,
    latencySumMs: latencies.reduce((a, b) => a + b, 0),
    sketch: encodeSketch(sketch),
  };
}
