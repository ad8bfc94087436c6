/**
 * Metrics of database operations, one set per registry. Jobs run on every replica, so counters
 * are per replica: sum them across pods.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface DbopsMetrics {
  readonly runs: Counter<'kind' | 'outcome' | 'reason'>;
  readonly duration: Histogram<'kind'>;
  readonly lastSuccess: Gauge<'kind' | 'namespace' | 'name'>;
  readonly rowsArchived: Counter<'namespace' | 'name' | 'table'>;
  readonly rowsDeleted: Counter<'namespace' | 'name' | 'table'>;
  readonly migrationsApplied: Counter<'namespace' | 'name'>;
  readonly backupBytes: Gauge<'namespace' | 'name'>;
  readonly findings: Gauge<'namespace' | 'name' | 'finding'>;
}

const byRegistry = new WeakMap<Registry, DbopsMetrics>();

export function dbopsMetrics(registry: Registry): DbopsMetrics {
  let metrics = byRegistry.get(registry);
  if (metrics) return metrics;
  const registers = [registry];
  metrics = {
    runs: new Counter({
      name: 'gateway_worker_dbops_runs_total',
      help: 'Runs of database operations that ended, by resource kind, outcome (succeeded, failed) and failure reason.',
      labelNames: ['kind', 'outcome', 'reason'],
      registers,
    }),
    duration: new Histogram({
      name: 'gateway_worker_dbops_run_duration_seconds',
      help: 'How long runs of database operations took, by resource kind.',
      labelNames: ['kind'],
      buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 900, 1800, 3600, 7200],
      registers,
    }),
    lastSuccess: new Gauge({
      name: 'gateway_worker_dbops_last_success_timestamp_seconds',
      help: 'When each resource last ran successfully (on this replica), as a Unix time.',
      labelNames: ['kind', 'namespace', 'name'],
      registers,
    }),
    rowsArchived: new Counter({
      name: 'gateway_worker_dbops_rows_archived_total',
      help: 'Rows retention wrote to verified archives, by resource and table.',
      labelNames: ['namespace', 'name', 'table'],
      registers,
    }),
    rowsDeleted: new Counter({
      name: 'gateway_worker_dbops_rows_deleted_total',
      help: 'Rows retention deleted (whole partitions included), by resource and table.',
      labelNames: ['namespace', 'name', 'table'],
      registers,
    }),
    migrationsApplied: new Counter({
      name: 'gateway_worker_dbops_migrations_applied_total',
      help: 'Migration files applied (or undone), by DatabaseMigration.',
      labelNames: ['namespace', 'name'],
      registers,
    }),
    backupBytes: new Gauge({
      name: 'gateway_worker_dbops_backup_size_bytes',
      help: 'Size of the newest stored backup, by DatabaseBackup.',
      labelNames: ['namespace', 'name'],
      registers,
    }),
    findings: new Gauge({
      name: 'gateway_worker_dbops_maintenance_findings',
      help: 'Findings of the last maintenance run, by DatabaseMaintenance and finding kind.',
      labelNames: ['namespace', 'name', 'finding'],
      registers,
    }),
  };
  byRegistry.set(registry, metrics);
  return metrics;
}
