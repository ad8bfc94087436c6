/** DatabaseRetention: runs on its schedule (and on request); the status shows what the newest finished run removed per table. */
import { statusOf, type DatabaseRetention, type DatabaseRetentionStatus } from '../../api/v1alpha1/index.js';
import type { KindHandler } from './controller.js';
import { scheduleProblem, timing } from './kinds-common.js';
import { newestFinished, runConditions } from './status.js';

export function retentionKind(): KindHandler<DatabaseRetention> {
  return {
    kind: 'DatabaseRetention',
    invalid: (obj) => scheduleProblem('schedule', obj.spec.schedule, obj.spec.timeZone),
    schedule: (obj) => timing(obj.spec.schedule, obj.spec.timeZone),
    status: ({ obj, history, nextRun, now, previous }) => {
      const finished = newestFinished(history);
      const before: Partial<DatabaseRetentionStatus> = statusOf(obj) ?? {};
      const summary = finished?.summary as
        Partial<Pick<DatabaseRetentionStatus, 'rowsDeleted' | 'tables'>> | undefined;
      return Promise.resolve({
        conditions: runConditions(
          previous,
          history,
          () => undefined,
          {
            scheduled: true,
            message: `scheduled; the first run is at ${nextRun?.toISOString() ?? 'its schedule'}`,
          },
          obj.metadata.generation,
          now,
        ),
        rowsDeleted: summary?.rowsDeleted ?? before.rowsDeleted,
        tables: summary?.tables ?? before.tables,
      });
    },
  };
}
