/**
 * DatabaseMigration: a run whenever its spec or its ConfigMaps change (and on its optional
 * schedule, and on request); the status says which version is applied, what is pending, and —
 * from the newest finished run — the drift or the failing file, statement and error.
 */
import {
  DatabaseMigrationResource,
  statusOf,
  type DatabaseMigration,
  type DatabaseMigrationStatus,
} from '../../api/v1alpha1/index.js';
import type { MigrationFailure } from '../../dbops/migrations/runner.js';
import type { RunRecord } from '../../dbops/runs/run-store.js';
import type { Drift } from '../../domain/dbops/index.js';
import type { Manager } from '../../runtime/controller/manager.js';
import { CoreTypes, type KubeObject } from '../../runtime/kube/resource.js';
import { setCondition } from '../../runtime/status/conditions.js';
import { hashOf, type KindHandler } from './controller.js';
import { scheduleProblem, timing, versionsOf, watchReferenced } from './kinds-common.js';
import { newestFinished, runConditions } from './status.js';

const configMapNames = (obj: DatabaseMigration): string[] => obj.spec.configMaps.map((c) => c.name);

interface Progress {
  appliedVersion?: string;
  latestVersion?: string;
  applied?: number;
  pending?: number;
  filesDigest?: string;
}

/** What a run says about progress; a failed run's plan, less what it applied before failing. */
function progressOf(run: RunRecord): Progress | undefined {
  const s = run.summary as Progress & {
    plan?: { currentVersion?: string; latestVersion?: string; applied?: number; pending?: number };
    applied?: unknown;
  };
  if (run.outcome === 'succeeded') return s;
  if (!s.plan) return s.filesDigest === undefined ? undefined : { filesDigest: s.filesDigest };
  const appliedNow = Array.isArray(s.applied) ? (s.applied as string[]) : [];
  return {
    appliedVersion: appliedNow.at(-1) ?? s.plan.currentVersion,
    latestVersion: s.plan.latestVersion,
    applied: (s.plan.applied ?? 0) + appliedNow.length,
    pending: Math.max(0, (s.plan.pending ?? 0) - appliedNow.length),
    filesDigest: s.filesDigest,
  };
}

export function migrationKind(manager: Manager): KindHandler<DatabaseMigration> {
  const migrations = manager.informer<DatabaseMigration>(DatabaseMigrationResource);
  const configMaps = manager.informer<KubeObject>(CoreTypes.configMap, { metadataOnly: true });
  return {
    kind: 'DatabaseMigration',
    invalid: (obj) => scheduleProblem('schedule', obj.spec.schedule, obj.spec.timeZone),
    schedule: (obj) => timing(obj.spec.schedule, obj.spec.timeZone),
    inputs: (obj) =>
      hashOf([
        obj.metadata.generation,
        versionsOf(configMaps, obj.metadata.namespace ?? '', configMapNames(obj)),
      ]),
    watches: (controller) => watchReferenced(controller, migrations, configMaps, configMapNames),
    status: ({ obj, history, now, previous }) => {
      const finished = newestFinished(history);
      const before: Partial<DatabaseMigrationStatus> = statusOf(obj) ?? {};
      const progress = finished ? progressOf(finished) : undefined;
      const generation = obj.metadata.generation;
      let conditions = runConditions(
        previous,
        history,
        (run) => {
          if (run.outcome !== 'succeeded') return undefined;
          const p = progressOf(run);
          return {
            status: 'True',
            reason: 'Applied',
            message: `${run.message}; ${p?.applied ?? 0} applied, ${p?.pending ?? 0} pending`,
          };
        },
        { scheduled: false, message: 'the first run is on its way' },
        generation,
        now,
      );
      const drifted = finished?.reason === 'Drifted';
      conditions = setCondition(
        conditions,
        finished
          ? drifted
            ? {
                type: 'Drifted',
                status: 'True',
                reason: 'ChecksumChanged',
                message: finished.message,
                observedGeneration: generation,
              }
            : finished.outcome === 'succeeded'
              ? {
                  type: 'Drifted',
                  status: 'False',
                  reason: 'ChecksumsMatch',
                  message: 'every applied file matches its checksum',
                  observedGeneration: generation,
                }
              : {
                  type: 'Drifted',
                  status: 'Unknown',
                  reason: 'NotChecked',
                  message: 'the last run did not get to compare checksums',
                  observedGeneration: generation,
                }
          : {
              type: 'Drifted',
              status: 'Unknown',
              reason: 'NotChecked',
              message: 'not checked yet',
              observedGeneration: generation,
            },
        now,
      );
      const failure =
        finished?.reason === 'MigrationFailed'
          ? (finished.summary.failure as MigrationFailure | undefined)
          : undefined;
      const drift = drifted ? ((finished.summary.drift as Drift[] | undefined) ?? []) : [];
      return Promise.resolve({
        conditions,
        appliedVersion: progress?.appliedVersion ?? before.appliedVersion,
        latestVersion: progress?.latestVersion ?? before.latestVersion,
        applied: progress?.applied ?? before.applied,
        pending: progress?.pending ?? before.pending,
        filesDigest: progress?.filesDigest ?? before.filesDigest,
        ...(failure && finished?.finishedAt
          ? { failure: { ...failure, at: finished.finishedAt.toISOString().replace(/\.\d{3}Z$/, 'Z') } }
          : {}),
        ...(drift.length > 0 ? { drift: drift.slice(0, 16) } : {}),
      });
    },
  };
}
