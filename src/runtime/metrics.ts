import { collectDefaultMetrics, Registry } from 'prom-client';

/**
 * prom-client adds `*_total` gauges beside its per-type `nodejs_active_*` gauges; Prometheus
 * reserves that suffix for counters, so `promtool check metrics` rejects them. The per-type
 * gauges carry the same numbers.
 */
const MISNAMED_GAUGES = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

/**
 * A registry of our own rather than prom-client's global one, so tests and several operators
 * in one process never share counters. It starts with the standard process and Node.js metrics.
 */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  for (const name of MISNAMED_GAUGES) registry.removeSingleMetric(name);
  return registry;
}
