/**
 * Restoring a stored dump: read it back from the object store (its SHA-256 checked as it streams
 * past, against the manifest), decrypt it when it is encrypted, and feed it to pg_restore in a
 * single transaction — a restore that fails leaves nothing half-done. Used by verification (into
 * a scratch database) and by `gateway-worker db restore`.
 */
import { createHash } from 'node:crypto';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { quoteIdentifier } from '../../domain/dbops/index.js';
import type { ObjectStore } from '../../storage/object-store.js';
import { withClient } from '../connection/client.js';
import { onDatabase, type ConnectionParams } from '../connection/connection-params.js';
import { libpqEnvironment } from '../connection/libpq.js';
import { dumpedTables } from './dump.js';
import { decryptingStream } from './encryption-stream.js';
import type { PgTools } from './pg-tools.js';
import { toolInput } from './tool-process.js';

export class ChecksumError extends Error {
  override readonly name = 'ChecksumError';
}

/** Passes bytes through; fails at the end unless they hash to `sha256`. */
function checked(expected: string, key: string): Transform {
  const hash = createHash('sha256');
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      hash.update(chunk);
      callback(null, chunk);
    },
    flush(callback: TransformCallback) {
      const actual = hash.digest('hex');
      callback(
        actual === expected
          ? null
          : new ChecksumError(
              `${key} reads back with SHA-256 ${actual.slice(0, 12)}, not ${expected.slice(0, 12)}: the stored backup is damaged`,
            ),
      );
    },
  });
}

export interface StoredDump {
  readonly key: string;
  readonly sha256: string;
  readonly encrypted: boolean;
}

/** The dump as pg_restore must read it: checked, and decrypted when it was encrypted. */
export async function readDump(
  store: ObjectStore,
  dump: StoredDump,
  passphrase: string | undefined,
): Promise<Readable> {
  if (dump.encrypted && passphrase === undefined)
    throw new Error(`${dump.key} is encrypted: a passphrase is needed to restore it`);
  const raw = await store.get(dump.key);
  const verified = raw.pipe(checked(dump.sha256, dump.key));
  raw.on('error', (err) => verified.destroy(err));
  if (!dump.encrypted || passphrase === undefined) return verified;
  const plain = verified.pipe(decryptingStream(passphrase));
  verified.on('error', (err) => plain.destroy(err));
  return plain;
}

export interface RestoreOptions {
  readonly tools: PgTools;
  /** The database to restore into (it must exist). */
  readonly target: ConnectionParams;
  readonly input: Readable;
  /** Drop each object before creating it again (a database that is not empty). */
  readonly clean?: boolean;
  readonly signal?: AbortSignal;
}

export async function pgRestore(options: RestoreOptions): Promise<void> {
  const libpq = libpqEnvironment(options.target);
  try {
    await toolInput(
      options.tools.pgRestore,
      [
        `--dbname=${options.target.database}`,
        '--no-password',
        '--single-transaction',
        '--no-owner',
        '--no-privileges',
        ...(options.clean ? ['--clean', '--if-exists'] : []),
      ],
      libpq.env,
      options.input,
      options.signal,
    );
  } finally {
    libpq.cleanup();
  }
}

export interface RestoreBackupOptions {
  readonly tools: PgTools;
  readonly store: ObjectStore;
  readonly dump: StoredDump;
  readonly passphrase: string | undefined;
  readonly target: ConnectionParams;
  /** Replace what a database that is not empty holds. */
  readonly clean: boolean;
  readonly signal?: AbortSignal;
}

/**
 * `gateway-worker db restore`: creates the target database when it does not exist (over the
 * server's `postgres` database), refuses one that holds tables unless `clean`, then restores.
 */
export async function restoreBackup(options: RestoreBackupOptions): Promise<{ created: boolean }> {
  const { target } = options;
  const created = await withClient(onDatabase(target, 'postgres'), options.signal, async (admin) => {
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [target.database]);
    if (exists.rowCount !== 0) return false;
    await admin.query(`CREATE DATABASE ${quoteIdentifier(target.database)}`);
    return true;
  });
  if (!created && !options.clean) {
    const tables = await withClient(
      target,
      options.signal,
      async (client) => (await dumpedTables(client)).length,
    );
    if (tables > 0)
      throw new Error(
        `${target.description} already holds ${tables} tables: restore into a new database name, or pass --clean to replace what it holds`,
      );
  }
  await pgRestore({
    tools: options.tools,
    target,
    input: await readDump(options.store, options.dump, options.passphrase),
    clean: options.clean && !created,
    signal: options.signal,
  });
  return { created };
}
