/** `dbops.maintenance`: a DatabaseMaintenance's checks and, in mode Apply, its fixes (src/dbops/maintenance/runner.ts). */
import { durationMillis } from '../../api/v1alpha1/checks/duration.js';
import type { DatabaseMaintenance } from '../../api/v1alpha1/index.js';
import type { MaintenanceThresholds } from '../../domain/dbops/index.js';
import { takeLock } from '../connection/advisory-lock.js';
import { runMaintenance } from '../maintenance/runner.js';
import { OperationError } from '../operation-error.js';
import { targetOf } from '../operations.js';
import { withOperationClient } from './connect.js';
import type { OperationDefinition } from './operation-job.js';

const UNUSED_INDEX_STATS_AGE_MS = 7 * 86_400_000;
const MIB = 1024 * 1024;

export function thresholdsOf(spec: DatabaseMaintenance['spec']): MaintenanceThresholds {
  const t = spec.thresholds;
  return {
    deadTupleRatio: t.deadTuplePercent / 100,
    minDeadTuples: t.minDeadTuples,
    staleStatisticsRatio: t.staleStatisticsPercent / 100,
    minModifiedRows: t.minDeadTuples,
    indexBloatRatio: t.indexBloatPercent / 100,
    minIndexBytes: t.minIndexSizeMiB * MIB,
    unusedIndexMinStatsAgeMs: UNUSED_INDEX_STATS_AGE_MS,
    longQueryMs: durationMillis(t.longQuery),
  };
}

const KINDS = [
  'DeadTuples',
  'StaleStatistics',
  'BloatedIndex',
  'InvalidIndex',
  'UnusedIndex',
  'DuplicateIndex',
  'LongRunningQuery',
  'LockWait',
];

export const maintenanceOperation: OperationDefinition<DatabaseMaintenance> = {
  kind: 'DatabaseMaintenance',
  description:
    "checks a DatabaseMaintenance's database for dead tuples, stale statistics, bloated or useless indexes, long queries and lock waits; fixes what is safe in mode Apply",
  timeoutMs: 25 * 3_600_000,
  retry: { maxAttempts: 2, backoffInitialMs: 5 * 60_000, backoffMaxMs: 15 * 60_000 },
  async run(run) {
    const { resource, payload, deps, job } = run;
    const { spec } = resource;
    const result = await withOperationClient(run, spec.connectionRef.name, async (client) => {
      const lock = await takeLock(client, `run:${targetOf(payload)}`, { waitMs: 0 });
      if (!lock)
        throw new OperationError(
          'AlreadyRunning',
          `another run of ${targetOf(payload)} is at work on this database`,
          false,
        );
      try {
        return await runMaintenance(client, {
          mode: spec.mode,
          thresholds: thresholdsOf(spec),
          window: spec.window
            ? {
                schedule: spec.window.schedule,
                timeZone: spec.timeZone,
                durationMs: durationMillis(spec.window.duration),
              }
            : undefined,
          now: () => new Date(deps.clock.now()),
          signal: job.signal,
          logger: run.logger,
          onApplied: (finding, ms) =>
            run.audit('database.maintenance.applied', 'success', {
              kind: finding.kind,
              object: finding.object,
              action: finding.action ?? '',
              ms: Math.round(ms),
            }),
        });
      } finally {
        await lock.release();
      }
    });
    for (const kind of KINDS)
      deps.metrics.findings.set(
        { namespace: payload.namespace, name: payload.name, finding: kind },
        result.findings.filter((f) => f.kind === kind).length,
      );
    const waiting = result.findings.filter((f) => f.action !== undefined && !f.applied).length;
    return {
      message:
        `${result.findings.length} findings, ${result.applied} fixed` +
        (waiting > 0 && spec.mode === 'Apply' ? `, ${waiting} waiting` : '') +
        (result.windowNote ? `; ${result.windowNote}` : ''),
      summary: { findings: result.findings, applied: result.applied, windowNote: result.windowNote },
    };
  },
};
