/**
 * One backup of one DatabaseBackup: check that pg_dump can read this server, dump into the object
 * store, verify by restoring into a scratch database, write the manifest, index it, then apply
 * the keep policy. Each run stands alone: a failed dump stores nothing, leftovers of a crashed
 * run are cleaned at the start, so a failure never blocks the next backup.
 */
import { randomBytes } from 'node:crypto';
import {
  MANIFEST_KIND,
  backupId,
  backupKeys,
  backupsToDelete,
  dumpCompatibilityProblem,
  versionText,
  type BackupManifest,
  type KeepPolicy,
  type Verification,
} from '../../domain/dbops/index.js';
import type { Logger } from '../../runtime/logger.js';
import type { ObjectStore } from '../../storage/object-store.js';
import type { GatewayClient } from '../connection/client.js';
import { serverVersionNumber } from '../connection/health.js';
import { OperationError } from '../operation-error.js';
import type { BackupCatalog, CatalogEntry } from './catalog.js';
import { dumpToStore } from './dump.js';
import type { PgTools } from './pg-tools.js';
import { dropLeftovers, verifyBackup } from './verify.js';

export interface BackupOptions {
  readonly namespace: string;
  readonly name: string;
  readonly job: string | undefined;
  readonly tools: PgTools;
  readonly store: ObjectStore;
  readonly catalog: BackupCatalog;
  readonly compressionLevel: number;
  readonly passphrase: string | undefined;
  readonly verify: boolean;
  readonly keep: KeepPolicy;
  readonly now: () => Date;
  readonly signal?: AbortSignal;
  readonly logger: Logger;
}

export interface BackupResult {
  readonly manifest: BackupManifest;
  readonly durationMs: number;
  /** Backups removed by the keep policy. */
  readonly deleted: readonly CatalogEntry[];
  readonly leftovers: readonly string[];
}

export async function runBackup(client: GatewayClient, options: BackupOptions): Promise<BackupResult> {
  const server = await serverVersionNumber(client);
  const problem = dumpCompatibilityProblem(server, options.tools.major);
  if (problem) throw new OperationError('ClientTooOld', problem, true);
  const resource = `${options.namespace}/${options.name}`;
  const leftovers = await dropLeftovers(client, resource);
  if (leftovers.length > 0)
    options.logger.warn('dropped scratch databases a stopped backup left', { databases: leftovers });

  const startedAt = options.now();
  const id = backupId(options.name, startedAt, randomBytes(2).toString('hex'));
  const keys = backupKeys(options.namespace, options.name, id);
  let dump;
  try {
    dump = await dumpToStore({
      tools: options.tools,
      client,
      compressionLevel: options.compressionLevel,
      passphrase: options.passphrase,
      store: options.store,
      key: keys.dump,
      count: options.verify,
      signal: options.signal,
    });
  } catch (err) {
    options.signal?.throwIfAborted();
    if (err instanceof OperationError) throw err;
    throw new OperationError(
      'BackupFailed',
      `the dump of ${client.params.description} to ${options.store.location} failed: ${err instanceof Error ? err.message : String(err)}; nothing was stored`,
      false,
    );
  }
  let verification: Verification = 'Skipped';
  let verificationMessage = 'verification is off (verify: false)';
  if (options.verify) {
    ({ verification, message: verificationMessage } = await verifyBackup({
      tools: options.tools,
      client,
      resource,
      backupId: id,
      store: options.store,
      dump: { key: keys.dump, sha256: dump.object.sha256, encrypted: options.passphrase !== undefined },
      passphrase: options.passphrase,
      expectedRows: dump.tableRows,
      signal: options.signal,
    }));
  }
  const manifest: BackupManifest = {
    kind: MANIFEST_KIND,
    version: 1,
    id,
    namespace: options.namespace,
    name: options.name,
    database: client.params.database,
    serverVersion: versionText(server),
    pgDumpVersion: options.tools.version,
    startedAt: startedAt.toISOString(),
    finishedAt: options.now().toISOString(),
    dumpKey: keys.dump,
    sizeBytes: dump.object.size,
    sha256: dump.object.sha256,
    compressionLevel: options.compressionLevel,
    encrypted: options.passphrase !== undefined,
    tableRows: dump.tableRows,
    verification,
    verificationMessage,
  };
  await options.store.put(keys.manifest, Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`), {
    contentType: 'application/json',
  });
  await options.catalog.add(manifest, options.job, dump.durationMs);

  const deleted = backupsToDelete(
    await options.catalog.list(options.namespace, options.name),
    options.keep,
    options.now(),
  ) as CatalogEntry[];
  for (const old of deleted) {
    const oldKeys = backupKeys(options.namespace, options.name, old.id);
    await options.store.delete(oldKeys.dump);
    await options.store.delete(oldKeys.manifest);
    await options.catalog.remove(old.id);
  }
  return { manifest, durationMs: dump.durationMs, deleted, leftovers };
}
