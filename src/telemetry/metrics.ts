/**
 * Telemetry metrics on /metrics: the processor's own (records, batches, backlog, time) and the
 * fleet's traffic as the gateways logged it, with bounded cardinality: the N busiest
 * (host, route) pairs get labels of their own, the rest are `other` (FleetLabels).
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { FleetLabels, OTHER } from '../domain/telemetry/fleet-labels.js';
import { statusClass, type AccessRecord } from '../domain/telemetry/records.js';

export interface TelemetryMetrics {
  readonly records: Counter<'type' | 'outcome'>;
  readonly batches: Counter;
  readonly backlog: Gauge;
  readonly processing: Histogram;
  readonly requests: Counter<'host' | 'route' | 'code_class'>;
  readonly duration: Histogram<'route'>;
}

const byRegistry = new WeakMap<Registry, TelemetryMetrics>();

export function telemetryMetrics(registry: Registry): TelemetryMetrics {
  let metrics = byRegistry.get(registry);
  if (metrics) return metrics;
  const registers = [registry];
  metrics = {
    records: new Counter({
      name: 'gateway_worker_telemetry_processed_records_total',
      help: 'Log records processed, by type (access, security, other) and outcome (aggregated, too_old).',
      labelNames: ['type', 'outcome'],
      registers,
    }),
    batches: new Counter({
      name: 'gateway_worker_telemetry_processed_batches_total',
      help: 'Shipped batches processed (aggregated and marked processed in one transaction).',
      registers,
    }),
    backlog: new Gauge({
      name: 'gateway_worker_telemetry_backlog_batches',
      help: 'Stored batches not processed yet (read by the leader at each poll).',
      registers,
    }),
    processing: new Histogram({
      name: 'gateway_worker_telemetry_processing_seconds',
      help: 'Time to process one group of batches: claim, decode, aggregate, write, commit.',
      buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    requests: new Counter({
      name: 'gateway_requests_total',
      help: 'Requests the gateways logged, by host, route (namespace/name/route; the busiest N, the rest "other") and status class.',
      labelNames: ['host', 'route', 'code_class'],
      registers,
    }),
    duration: new Histogram({
      name: 'gateway_request_duration_seconds',
      help: 'Request duration the gateways logged, by route (the busiest N, the rest "other").',
      labelNames: ['route'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
  };
  byRegistry.set(registry, metrics);
  return metrics;
}

/** Counts access records into the fleet metrics with bounded labels. */
export class FleetMetrics {
  private readonly labels: FleetLabels;

  constructor(
    private readonly metrics: TelemetryMetrics,
    topRoutes: number,
  ) {
    this.labels = new FleetLabels(topRoutes);
  }

  observe(records: readonly AccessRecord[], nowMs: number): void {
    for (const r of records) {
      const pair = `${r.host}\u0000${r.route || '-'}`;
      const admitted = this.labels.label(pair, nowMs) !== OTHER;
      const host = admitted ? r.host || '-' : OTHER;
      const route = admitted ? r.route || '-' : OTHER;
      this.metrics.requests.inc({ host, route, code_class: statusClass(r.status) });
      this.metrics.duration.observe({ route }, Math.max(0, r.latencyMs) / 1000);
    }
  }
}
