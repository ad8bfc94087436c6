/** Push metrics: what went out, what came back, how long it took, who is connected. */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface PushMetrics {
  readonly pushes: Counter<'type'>;
  readonly bytes: Counter<'type'>;
  readonly acks: Counter<'type'>;
  readonly nacks: Counter<'type'>;
  readonly latency: Histogram<'type'>;
  readonly connected: Gauge;
}

const byRegistry = new WeakMap<Registry, PushMetrics>();

export function pushMetrics(registry: Registry): PushMetrics {
  let metrics = byRegistry.get(registry);
  if (metrics) return metrics;
  const registers = [registry];
  metrics = {
    pushes: new Counter({
      name: 'gateway_worker_pushes_total',
      help: 'Updates sent to gateways, by type.',
      labelNames: ['type'],
      registers,
    }),
    bytes: new Counter({
      name: 'gateway_worker_push_bytes_total',
      help: 'Payload bytes sent to gateways, by type.',
      labelNames: ['type'],
      registers,
    }),
    acks: new Counter({
      name: 'gateway_worker_push_acks_total',
      help: 'Updates gateways applied, by type.',
      labelNames: ['type'],
      registers,
    }),
    nacks: new Counter({
      name: 'gateway_worker_push_nacks_total',
      help: 'Updates gateways rejected, by type.',
      labelNames: ['type'],
      registers,
    }),
    latency: new Histogram({
      name: 'gateway_worker_push_latency_seconds',
      help: 'From a change being published to a gateway acknowledging it, by type.',
      labelNames: ['type'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    connected: new Gauge({
      name: 'gateway_worker_connected_gateways',
      help: 'Gateways with an open config stream.',
      registers,
    }),
  };
  byRegistry.set(registry, metrics);
  return metrics;
}
