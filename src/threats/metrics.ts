/** Threat-feed and deny-list metrics. */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface ThreatMetrics {
  readonly refreshes: Counter<'outcome'>;
  readonly refreshSeconds: Histogram;
  readonly denyRanges: Gauge<'source'>;
}

const byRegistry = new WeakMap<Registry, ThreatMetrics>();

export function threatMetrics(registry: Registry): ThreatMetrics {
  let metrics = byRegistry.get(registry);
  if (metrics) return metrics;
  const registers = [registry];
  metrics = {
    refreshes: new Counter({
      name: 'gateway_worker_threat_feed_refreshes_total',
      help: 'Threat feed downloads by outcome: Refreshed, NotModified, or the reason one was refused (Timeout, Shrunk, ...).',
      labelNames: ['outcome'],
      registers,
    }),
    refreshSeconds: new Histogram({
      name: 'gateway_worker_threat_feed_refresh_seconds',
      help: 'How long a threat feed refresh took: download, parsing, checks and storing.',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers,
    }),
    denyRanges: new Gauge({
      name: 'gateway_worker_ip_deny_ranges',
      help: 'Address ranges pushed as IP deny lists, by source (feed:<namespace>/<name>, decisions).',
      labelNames: ['source'],
      registers,
    }),
  };
  byRegistry.set(registry, metrics);
  return metrics;
}
