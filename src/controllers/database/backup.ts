/**
 * DatabaseBackup: runs on its schedule (and on request); the status lists the newest backups kept,
 * with size, duration and verification, from the backup catalog.
 */
import type { DatabaseBackup, BackupEntry } from '../../api/v1alpha1/databasebackup.js';
import { BackupCatalog } from '../../dbops/backup/catalog.js';
import { clip, humanBytes } from '../../domain/dbops/index.js';
import type { KindHandler } from './controller.js';
import { scheduleProblem, shortDurationOf, timing } from './kinds-common.js';
import { runConditions } from './status.js';

const SHOWN = 10;

export function backupKind(schema: string): KindHandler<DatabaseBackup> {
  return {
    kind: 'DatabaseBackup',
    invalid: (obj) => scheduleProblem('schedule', obj.spec.schedule, obj.spec.timeZone),
    schedule: (obj) => timing(obj.spec.schedule, obj.spec.timeZone),
    status: async ({ obj, history, nextRun, db, now, previous }) => {
      const stored = await new BackupCatalog(db, schema).list(
        obj.metadata.namespace ?? '',
        obj.metadata.name ?? '',
      );
      const backups: BackupEntry[] = stored.slice(0, SHOWN).map((b) => ({
        id: b.id,
        finishedAt: b.finishedAt.toISOString().replace(/\.\d{3}Z$/, 'Z'),
        sizeBytes: b.sizeBytes,
        size: humanBytes(b.sizeBytes),
        duration: shortDurationOf(b.durationMs),
        verification: b.verification,
        message: clip(b.verificationMessage, 1000),
        encrypted: b.encrypted,
      }));
      return {
        conditions: runConditions(
          previous,
          history,
          () => undefined,
          {
            scheduled: true,
            message: `scheduled; the first backup is at ${nextRun?.toISOString() ?? 'its schedule'}`,
          },
          obj.metadata.generation,
          now,
        ),
        backups,
        ...(stored[0] ? { lastBackup: stored[0].id } : {}),
        ...(stored.find((b) => b.verification === 'Verified')
          ? { lastVerifiedBackup: stored.find((b) => b.verification === 'Verified')?.id }
          : {}),
      };
    },
  };
}
