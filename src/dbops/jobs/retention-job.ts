/** `dbops.retention`: a DatabaseRetention's tables, archived and deleted (src/dbops/retention/runner.ts). */
import { durationMillis } from '../../api/v1alpha1/checks/duration.js';
import type { DatabaseRetention } from '../../api/v1alpha1/index.js';
import { takeLock } from '../connection/advisory-lock.js';
import { OperationError } from '../operation-error.js';
import { targetOf } from '../operations.js';
import { runRetention, type TableResult } from '../retention/runner.js';
import { withOperationClient } from './connect.js';
import type { OperationDefinition } from './operation-job.js';

function tableSummary(r: TableResult): Record<string, unknown> {
  return {
    table: r.table,
    cutoff: r.cutoff.toISOString(),
    rowsArchived: r.rowsArchived,
    rowsDeleted: r.rowsDeleted,
    partitionsDropped: r.partitionsDropped,
    archives: r.archives,
    complete: r.complete,
    message: [r.error?.message, ...r.notes].filter((m) => m !== undefined).join('; '),
  };
}

export const retentionOperation: OperationDefinition<DatabaseRetention> = {
  kind: 'DatabaseRetention',
  description: "archives and deletes a DatabaseRetention's old rows, batch by batch, within its time budget",
  // The run keeps to spec.maxRunTime (at most 24 h) by itself; this is the backstop.
  timeoutMs: 25 * 3_600_000,
  retry: { maxAttempts: 3, backoffInitialMs: 60_000, backoffMaxMs: 30 * 60_000 },
  async run(run) {
    const { resource, payload, deps, job, startedAt } = run;
    const { spec } = resource;
    const results = await withOperationClient(run, spec.connectionRef.name, async (client) => {
      const lock = await takeLock(client, `run:${targetOf(payload)}`, { waitMs: 0 });
      if (!lock)
        throw new OperationError(
          'AlreadyRunning',
          `another run of ${targetOf(payload)} is at work on this database`,
          false,
        );
      try {
        return await runRetention(
          client,
          spec.tables.map((t) => ({
            table: t.table,
            timeColumn: t.timeColumn,
            keepMs: durationMillis(t.keep),
            archive: t.archive,
            batchSize: t.batchSize,
          })),
          {
            namespace: payload.namespace,
            name: payload.name,
            startedAt,
            now: () => new Date(deps.clock.now()),
            maxRunMs: durationMillis(spec.maxRunTime),
            store: deps.objectStore(),
            signal: job.signal,
            logger: run.logger,
            onProgress: (table, archived, deleted) => {
              const labels = { namespace: payload.namespace, name: payload.name, table };
              deps.metrics.rowsArchived.inc(labels, archived);
              deps.metrics.rowsDeleted.inc(labels, deleted);
            },
          },
        );
      } finally {
        await lock.release();
      }
    });
    for (const r of results)
      if (r.rowsDeleted > 0 || r.error)
        run.audit('database.retention.deleted', r.error ? 'failure' : 'success', {
          table: r.table,
          cutoff: r.cutoff.toISOString(),
          rowsDeleted: r.rowsDeleted,
          rowsArchived: r.rowsArchived,
          partitionsDropped: r.partitionsDropped,
        });
    const rowsDeleted = results.reduce((sum, r) => sum + r.rowsDeleted, 0);
    const summary = { rowsDeleted, tables: results.map(tableSummary) };
    const failed = results.filter((r) => r.error);
    if (failed.length > 0) {
      const [first] = failed;
      const reason = failed.length === 1 && first?.error ? first.error.reason : 'RetentionFailed';
      throw new OperationError(
        reason,
        `${failed.map((r) => r.error?.message ?? r.table).join('; ')}${results.length > failed.length ? `; the other tables ran (${rowsDeleted} rows deleted)` : ''}`,
        failed.every((r) => r.error?.permanent === true),
        summary,
      );
    }
    const incomplete = results.filter((r) => !r.complete).map((r) => r.table);
    const archived = results.reduce((sum, r) => sum + r.rowsArchived, 0);
    return {
      reason: incomplete.length > 0 ? 'Incomplete' : 'Succeeded',
      message:
        `deleted ${rowsDeleted} rows (${archived} archived first)` +
        (incomplete.length > 0
          ? `; ${incomplete.join(', ')} not finished within maxRunTime, continued next run`
          : ''),
      summary,
    };
  },
};
