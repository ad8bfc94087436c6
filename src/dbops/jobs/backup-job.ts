/** `dbops.backup`: one backup of a DatabaseBackup (src/dbops/backup/runner.ts). */
import { durationMillis } from '../../api/v1alpha1/checks/duration.js';
import type { DatabaseBackup } from '../../api/v1alpha1/index.js';
import { MIN_PASSPHRASE_LENGTH } from '../../backup/encryption.js';
import { humanBytes } from '../../domain/dbops/index.js';
import { BackupCatalog } from '../backup/catalog.js';
import { runBackup } from '../backup/runner.js';
import { takeLock } from '../connection/advisory-lock.js';
import { OperationError } from '../operation-error.js';
import { targetOf } from '../operations.js';
import { secretReader } from '../resources.js';
import { withOperationClient } from './connect.js';
import type { OperationDefinition } from './operation-job.js';

export const backupOperation: OperationDefinition<DatabaseBackup> = {
  kind: 'DatabaseBackup',
  description:
    "takes a DatabaseBackup's pg_dump to the object store, verifies it by a restore, applies the keep policy",
  timeoutMs: 12 * 3_600_000,
  retry: { maxAttempts: 3, backoffInitialMs: 5 * 60_000, backoffMaxMs: 30 * 60_000 },
  async run(run) {
    const { resource, payload, deps, job } = run;
    const { spec } = resource;
    const store = deps.objectStore();
    if (!store)
      throw new OperationError(
        'ObjectStoreMissing',
        'backups go to the object store, and none is configured: set OBJECT_STORE_URL (file:///a/volume or s3://bucket/prefix)',
        true,
      );
    let passphrase: string | undefined;
    if (spec.encryption) {
      const ref = spec.encryption.passphraseSecretRef;
      passphrase = (await secretReader(deps.kube, payload.namespace)(ref.name, ref.key))?.replace(
        /\r?\n$/,
        '',
      );
      if (passphrase === undefined)
        throw new OperationError(
          'SecretNotFound',
          `the passphrase Secret ${ref.name} has no key ${ref.key} (or does not exist)`,
          false,
        );
      if (passphrase.length < MIN_PASSPHRASE_LENGTH)
        throw new OperationError(
          'InvalidSpec',
          `the passphrase in Secret ${ref.name} key ${ref.key} is shorter than ${MIN_PASSPHRASE_LENGTH} characters`,
          true,
        );
    }
    const db = deps.store.database;
    if (!db) throw new Error(`gateway-worker's own database is not available: ${deps.store.status}`);
    const tools = await deps.tools();
    const result = await withOperationClient(run, spec.connectionRef.name, async (client) => {
      const lock = await takeLock(client, `run:${targetOf(payload)}`, { waitMs: 0 });
      if (!lock)
        throw new OperationError(
          'AlreadyRunning',
          `another run of ${targetOf(payload)} is at work on this database`,
          false,
        );
      try {
        return await runBackup(client, {
          namespace: payload.namespace,
          name: payload.name,
          job: job.id,
          tools,
          store,
          catalog: new BackupCatalog(db, deps.schema),
          compressionLevel: spec.compressionLevel,
          passphrase,
          verify: spec.verify,
          keep: {
            count: spec.keep.count,
            ...(spec.keep.maxAge === undefined ? {} : { maxAgeMs: durationMillis(spec.keep.maxAge) }),
          },
          now: () => new Date(deps.clock.now()),
          signal: job.signal,
          logger: run.logger,
        });
      } finally {
        await lock.release();
      }
    });
    const { manifest } = result;
    deps.metrics.backupBytes.set({ namespace: payload.namespace, name: payload.name }, manifest.sizeBytes);
    run.audit('database.backup.created', manifest.verification === 'Failed' ? 'failure' : 'success', {
      backup: manifest.id,
      sizeBytes: manifest.sizeBytes,
      sha256: manifest.sha256,
      encrypted: manifest.encrypted,
      verification: manifest.verification,
      database: manifest.database,
    });
    for (const old of result.deleted)
      run.audit('database.backup.deleted', 'success', { backup: old.id, reason: 'keep policy' });
    const summary = {
      backup: manifest.id,
      sizeBytes: manifest.sizeBytes,
      durationMs: Math.round(result.durationMs),
      verification: manifest.verification,
      verificationMessage: manifest.verificationMessage,
      deleted: result.deleted.map((b) => b.id),
      leftovers: result.leftovers,
    };
    if (manifest.verification === 'Failed')
      throw new OperationError(
        'VerificationFailed',
        `backup ${manifest.id} was stored but did not verify: ${manifest.verificationMessage}`,
        true,
        summary,
      );
    return {
      message: `stored ${manifest.id} (${humanBytes(manifest.sizeBytes)}${manifest.encrypted ? ', encrypted' : ''}); ${manifest.verificationMessage}${result.deleted.length > 0 ? `; removed ${result.deleted.length} older by the keep policy` : ''}`,
      summary,
    };
  },
};
