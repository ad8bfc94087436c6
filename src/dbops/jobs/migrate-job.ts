/** `dbops.migrate`: applies a DatabaseMigration's files (src/dbops/migrations/runner.ts). */
import type { DatabaseMigration } from '../../api/v1alpha1/index.js';
import { OperationError } from '../operation-error.js';
import { runMigrations } from '../migrations/runner.js';
import { configMapFiles, filesDigest } from '../migrations/sources.js';
import { withOperationClient } from './connect.js';
import type { OperationDefinition } from './operation-job.js';

/** How long a run waits for another runner's migration before it gives up and retries later. */
const LOCK_WAIT_MS = 10 * 60_000;

export const migrateOperation: OperationDefinition<DatabaseMigration> = {
  kind: 'DatabaseMigration',
  description: "applies a DatabaseMigration's SQL files to its database, in order, under an advisory lock",
  timeoutMs: 6 * 3_600_000,
  retry: { maxAttempts: 5, backoffInitialMs: 30_000, backoffMaxMs: 15 * 60_000 },
  async run(run) {
    const { resource, payload, deps, job } = run;
    const { spec } = resource;
    const files = await configMapFiles(
      deps.kube,
      payload.namespace,
      spec.configMaps.map((c) => c.name),
    );
    const digest = filesDigest(files);
    const target = `DatabaseMigration ${payload.namespace}/${payload.name}`;
    try {
      const result = await withOperationClient(run, spec.connectionRef.name, (client) =>
        runMigrations(client, files, {
          history: { schema: spec.historySchema, table: spec.historyTable },
          allowOutOfOrder: spec.allowOutOfOrder,
          ...(spec.targetVersion === undefined ? {} : { targetVersion: spec.targetVersion }),
          appliedBy: `${target} (job ${job.id})`,
          lockWaitMs: LOCK_WAIT_MS,
          signal: job.signal,
          logger: run.logger,
          onFile: (file, ms) => {
            deps.metrics.migrationsApplied.inc({ namespace: payload.namespace, name: payload.name });
            run.audit(
              file.type === 'undo' ? 'database.migration.undone' : 'database.migration.applied',
              'success',
              {
                file: file.name,
                version: file.version,
                checksum: file.checksum,
                ms: Math.round(ms),
                database: client.params.description,
              },
            );
          },
        }),
      );
      const applied = result.plan.applied.length + result.applied.length - result.undone.length;
      const done = [
        ...result.undone.map((f) => `undid ${f.name}`),
        ...result.applied.map((f) => `applied ${f.name}`),
      ];
      return {
        message:
          done.length > 0
            ? `${done.join(', ')}; at version ${result.appliedVersion ?? 'none'}`
            : `nothing to apply; at version ${result.appliedVersion ?? 'none'}`,
        summary: {
          filesDigest: digest,
          appliedVersion: result.appliedVersion,
          latestVersion: result.plan.latestVersion,
          applied,
          pending: 0,
          appliedNow: result.applied.map((f) => f.version),
          undone: result.undone.map((f) => f.version),
          missing: result.plan.missing,
          waited: result.waited,
        },
      };
    } catch (err) {
      if (!(err instanceof OperationError)) throw err;
      if (err.reason === 'Drifted' || err.reason === 'MigrationFailed')
        run.audit(
          err.reason === 'Drifted' ? 'database.migration.drift' : 'database.migration.failed',
          'failure',
          {
            reason: err.reason,
            message: err.message.slice(0, 500),
          },
        );
      throw new OperationError(err.reason, err.message, err.permanent, {
        ...err.detail,
        filesDigest: digest,
      });
    }
  },
};
