/** The log shipper's metrics on the agent's HTTP port (`/metrics`); every label is bounded. */
import { Counter, Gauge, type Registry } from 'prom-client';

export interface ShipperMetrics {
  readonly records: Counter<'log_type'>;
  readonly malformed: Counter;
  readonly dropped: Counter<'log_type'>;
  readonly batches: Counter<'outcome'>;
  readonly resent: Counter;
  readonly unacked: Gauge;
  readonly pending: Gauge<'log_type'>;
}

export function shipperMetrics(registry: Registry): ShipperMetrics {
  const registers = [registry];
  return {
    records: new Counter({
      name: 'gateway_worker_agent_log_records_total',
      help: 'Log records read from the access log, by log type.',
      labelNames: ['log_type'],
      registers,
    }),
    malformed: new Counter({
      name: 'gateway_worker_agent_log_malformed_lines_total',
      help: 'Lines of the access log that were not records (counted, skipped, and reported to the worker).',
      registers,
    }),
    dropped: new Counter({
      name: 'gateway_worker_agent_log_dropped_records_total',
      help:
        'Records dropped because the worker was slower than the gateway: access (oldest first, past --log-buffer) ' +
        'and security (past --log-security-buffer: an error, alert on it).',
      labelNames: ['log_type'],
      registers,
    }),
    batches: new Counter({
      name: 'gateway_worker_agent_log_batches_total',
      help: 'Batches the worker acknowledged, by outcome (stored, duplicate).',
      labelNames: ['outcome'],
      registers,
    }),
    resent: new Counter({
      name: 'gateway_worker_agent_log_batches_resent_total',
      help: 'Unacknowledged batches sent again on a new stream.',
      registers,
    }),
    unacked: new Gauge({
      name: 'gateway_worker_agent_log_unacknowledged_batches',
      help: 'Batches committed and not yet acknowledged (at most --log-window).',
      registers,
    }),
    pending: new Gauge({
      name: 'gateway_worker_agent_log_pending_records',
      help: 'Records read and not yet in a batch, by class (access, security).',
      labelNames: ['log_type'],
      registers,
    }),
  };
}
