/**
 * The ingest's metrics. Labels are bounded: the source (ship_logs, otlp), an outcome or reason
 * from a fixed list, and a log type from the contract's seven — never a gateway, which would
 * grow with the fleet.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export type RefusalReason = 'identity' | 'too_large' | 'malformed' | 'unavailable';

export interface IngestMetrics {
  readonly batches: Counter<'source' | 'outcome'>;
  readonly records: Counter<'source' | 'log_type'>;
  readonly bytes: Counter<'source'>;
  readonly refused: Counter<'source' | 'reason'>;
  readonly dropped: Counter<'log_type'>;
  readonly malformed: Counter<'source'>;
  readonly streams: Gauge;
  readonly insertSeconds: Histogram;
}

const byRegistry = new WeakMap<Registry, IngestMetrics>();

// One set per registry: several servers in one process (tests) would otherwise collide on names.
export function ingestMetrics(registry: Registry): IngestMetrics {
  let metrics = byRegistry.get(registry);
  if (metrics) return metrics;
  const registers = [registry];
  metrics = {
    batches: new Counter({
      name: 'gateway_worker_telemetry_batches_total',
      help: 'Log batches received, by source (ship_logs, otlp) and outcome (stored, duplicate, refused).',
      labelNames: ['source', 'outcome'],
      registers,
    }),
    records: new Counter({
      name: 'gateway_worker_telemetry_records_total',
      help: 'Log records stored, by source and log type.',
      labelNames: ['source', 'log_type'],
      registers,
    }),
    bytes: new Counter({
      name: 'gateway_worker_telemetry_received_bytes_total',
      help: 'Bytes of log batches and OTLP requests received.',
      labelNames: ['source'],
      registers,
    }),
    refused: new Counter({
      name: 'gateway_worker_telemetry_refused_total',
      help: 'Batches and OTLP requests refused, by reason (identity, too_large, malformed, unavailable).',
      labelNames: ['source', 'reason'],
      registers,
    }),
    dropped: new Counter({
      name: 'gateway_worker_telemetry_agent_dropped_records_total',
      help: 'Records agents report they dropped under overload (access oldest first; security past its own bound).',
      labelNames: ['log_type'],
      registers,
    }),
    malformed: new Counter({
      name: 'gateway_worker_telemetry_malformed_total',
      help: 'Log lines agents could not parse (ship_logs) and OTLP log records the worker could not map (otlp).',
      labelNames: ['source'],
      registers,
    }),
    streams: new Gauge({
      name: 'gateway_worker_telemetry_streams',
      help: 'Open ShipLogs streams.',
      registers,
    }),
    insertSeconds: new Histogram({
      name: 'gateway_worker_telemetry_insert_seconds',
      help: 'Time to commit one group of log batches to the database.',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
  };
  byRegistry.set(registry, metrics);
  return metrics;
}
