/**
 * DatabaseMaintenance: runs on its schedule (and on request); the status lists the newest
 * finished run's findings, and MaintenanceNeeded says whether any waits for a fix or a person.
 */
import type { DatabaseMaintenance, MaintenanceFinding } from '../../api/v1alpha1/databasemaintenance.js';
import { statusOf } from '../../api/v1alpha1/index.js';
import type { AppliedFinding } from '../../dbops/maintenance/runner.js';
import { setCondition } from '../../runtime/status/conditions.js';
import type { KindHandler } from './controller.js';
import { scheduleProblem, timing } from './kinds-common.js';
import { newestFinished, runConditions } from './status.js';

const SHOWN = 50;

export function maintenanceKind(): KindHandler<DatabaseMaintenance> {
  return {
    kind: 'DatabaseMaintenance',
    invalid: (obj) =>
      scheduleProblem('schedule', obj.spec.schedule, obj.spec.timeZone) ??
      scheduleProblem('window.schedule', obj.spec.window?.schedule, obj.spec.timeZone),
    schedule: (obj) => timing(obj.spec.schedule, obj.spec.timeZone),
    status: ({ obj, history, nextRun, now, previous }) => {
      const finished = newestFinished(history);
      const generation = obj.metadata.generation;
      let conditions = runConditions(
        previous,
        history,
        () => undefined,
        {
          scheduled: true,
          message: `scheduled; the first check is at ${nextRun?.toISOString() ?? 'its schedule'}`,
        },
        generation,
        now,
      );
      // Without a newer successful run, the last findings stay as they were.
      if (finished?.outcome !== 'succeeded') {
        const { findingCount, appliedCount, findings } = statusOf(obj) ?? {};
        return Promise.resolve({ conditions, findingCount, appliedCount, findings });
      }
      const found = (finished.summary.findings as AppliedFinding[] | undefined) ?? [];
      const findings: MaintenanceFinding[] = found.slice(0, SHOWN).map((f) => ({
        kind: f.kind,
        object: f.object.slice(0, 256),
        detail: (f.note ? `${f.detail}; ${f.note}` : f.detail).slice(0, 512),
        ...(f.action === undefined ? {} : { action: f.action.slice(0, 512) }),
        ...(f.recommendation === undefined ? {} : { recommendation: f.recommendation.slice(0, 512) }),
        applied: f.applied,
      }));
      const open = found.filter((f) => !f.applied);
      const kinds = [...new Set(open.map((f) => f.kind))];
      conditions = setCondition(
        conditions,
        open.length > 0
          ? {
              type: 'MaintenanceNeeded',
              status: 'True',
              reason: obj.spec.mode === 'Apply' ? 'FindingsOpen' : 'FindingsReported',
              message: `${open.length} findings (${kinds.join(', ')}) ${obj.spec.mode === 'Apply' ? 'wait for the window or for a person' : 'recommended; mode Recommend applies nothing'}`,
              observedGeneration: generation,
            }
          : {
              type: 'MaintenanceNeeded',
              status: 'False',
              reason: 'NothingFound',
              message: 'nothing needs doing',
              observedGeneration: generation,
            },
        now,
      );
      return Promise.resolve({
        conditions,
        findingCount: found.length,
        appliedCount: found.filter((f) => f.applied).length,
        findings,
      });
    },
  };
}
