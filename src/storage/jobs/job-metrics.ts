/** The job queue's Prometheus metrics, one set per registry (several runners share a test process). */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export type JobOutcome = 'succeeded' | 'retried' | 'dead' | 'cancelled';

export interface JobMetrics {
  readonly jobs: Counter<'kind' | 'outcome'>;
  readonly duration: Histogram<'kind'>;
  readonly queued: Gauge<'kind'>;
  readonly running: Gauge<'kind'>;
}

const byRegistry = new WeakMap<Registry, JobMetrics>();

export function jobMetrics(registry: Registry): JobMetrics {
  let metrics = byRegistry.get(registry);
  if (!metrics) {
    metrics = {
      jobs: new Counter({
        name: 'gateway_worker_jobs_total',
        help: 'Job attempts that ended, by kind and outcome (succeeded, retried, dead, cancelled).',
        labelNames: ['kind', 'outcome'],
        registers: [registry],
      }),
      duration: new Histogram({
        name: 'gateway_worker_job_duration_seconds',
        help: 'How long job attempts ran, by kind, whatever their outcome.',
        labelNames: ['kind'],
        buckets: [0.005, 0.025, 0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600],
        registers: [registry],
      }),
      queued: new Gauge({
        name: 'gateway_worker_jobs_queued',
        help: 'Jobs waiting to run (queued or waiting for a retry), by kind, as last read from the database.',
        labelNames: ['kind'],
        registers: [registry],
      }),
      running: new Gauge({
        name: 'gateway_worker_jobs_running',
        help: 'Jobs this process is running now, by kind.',
        labelNames: ['kind'],
        registers: [registry],
      }),
    };
    byRegistry.set(registry, metrics);
  }
  return metrics;
}
