import { collectDefaultMetrics, Registry } from 'prom-client';

/**
 * A registry of our own rather than prom-client's global one, so tests and several operators
 * in one process never share counters. It starts with the standard process and Node.js metrics.
 */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}
