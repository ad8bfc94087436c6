/**
 * Certificate metrics: cert-manager's expiry, not-before, renewal and readiness gauges under our
 * prefix, and what cert-manager lacks, how long issuance takes from start to stored Secret.
 */
import { Gauge, Histogram, type Registry } from 'prom-client';

export interface CertificateMetrics {
  readonly expiration: Gauge<'namespace' | 'name'>;
  readonly notBefore: Gauge<'namespace' | 'name'>;
  readonly renewal: Gauge<'namespace' | 'name'>;
  readonly ready: Gauge<'namespace' | 'name' | 'condition'>;
  readonly issuance: Histogram<'result' | 'kind'>;
  forget(namespace: string, name: string): void;
}

export function certificateMetrics(registry: Registry): CertificateMetrics {
  const labels = ['namespace', 'name'] as const;
  const expiration = new Gauge({
    name: 'gateway_worker_certificate_expiration_timestamp_seconds',
    help: 'notAfter of the certificate stored for each Certificate, in seconds since the epoch.',
    labelNames: labels,
    registers: [registry],
  });
  const notBefore = new Gauge({
    name: 'gateway_worker_certificate_not_before_timestamp_seconds',
    help: 'notBefore of the certificate stored for each Certificate, in seconds since the epoch.',
    labelNames: labels,
    registers: [registry],
  });
  const renewal = new Gauge({
    name: 'gateway_worker_certificate_renewal_timestamp_seconds',
    help: 'When each Certificate will be renewed, in seconds since the epoch.',
    labelNames: labels,
    registers: [registry],
  });
  const ready = new Gauge({
    name: 'gateway_worker_certificate_ready_status',
    help: 'The Ready condition of each Certificate: 1 for the current status (True, False or Unknown).',
    labelNames: [...labels, 'condition'] as const,
    registers: [registry],
  });
  const issuance = new Histogram({
    name: 'gateway_worker_certificate_issuance_duration_seconds',
    help: 'From starting an issuance to the certificate stored (or the attempt failing), by result.',
    labelNames: ['result', 'kind'] as const,
    buckets: [0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600],
    registers: [registry],
  });
  return {
    expiration,
    notBefore,
    renewal,
    ready,
    issuance,
    forget(namespace, name) {
      for (const gauge of [expiration, notBefore, renewal]) gauge.remove({ namespace, name });
      for (const condition of ['True', 'False', 'Unknown']) ready.remove({ namespace, name, condition });
    },
  };
}
