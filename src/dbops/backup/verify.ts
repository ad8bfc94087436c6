/**
 * Verifying a backup the only way that proves it: restore it into a scratch database on the same
 * server, count the rows of every table and compare them with the snapshot the dump was taken
 * from, then drop the scratch database. Scratch databases a crashed run left behind (named after
 * the resource) are dropped at the start of the next run, so a failure never blocks the next.
 */
import { createHash } from 'node:crypto';
import {
  compareRowCounts,
  describeMismatches,
  quoteIdentifier,
  type Verification,
} from '../../domain/dbops/index.js';
import type { ObjectStore } from '../../storage/object-store.js';
import { withClient, type GatewayClient } from '../connection/client.js';
import { onDatabase } from '../connection/connection-params.js';
import { describeServerError } from '../connection/errors.js';
import { countRows } from './dump.js';
import type { PgTools } from './pg-tools.js';
import { pgRestore, readDump, type StoredDump } from './restore.js';

const SCRATCH_PREFIX = 'gwverify_';

/** `gwverify_<8 hex of the resource>_`: every scratch database of one resource starts so. */
export function scratchPrefix(resource: string): string {
  return `${SCRATCH_PREFIX}${createHash('sha256').update(resource).digest('hex').slice(0, 8)}_`;
}

/** Drops scratch databases of this resource that a stopped run left; returns their names. */
export async function dropLeftovers(client: GatewayClient, resource: string): Promise<string[]> {
  const prefix = scratchPrefix(resource);
  const found = await client.query<{ datname: string }>(
    'SELECT datname FROM pg_database WHERE starts_with(datname, $1)',
    [prefix],
  );
  for (const { datname } of found.rows)
    await client.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(datname)} WITH (FORCE)`);
  return found.rows.map((r) => r.datname);
}

export interface VerifyOptions {
  readonly tools: PgTools;
  /** A connection to the backed-up database: scratch databases are made beside it. */
  readonly client: GatewayClient;
  readonly resource: string;
  readonly backupId: string;
  readonly store: ObjectStore;
  readonly dump: StoredDump;
  readonly passphrase: string | undefined;
  readonly expectedRows: Readonly<Record<string, number>>;
  readonly signal?: AbortSignal;
}

export interface VerifyResult {
  readonly verification: Verification;
  readonly message: string;
}

export async function verifyBackup(options: VerifyOptions): Promise<VerifyResult> {
  const { client } = options;
  const scratch =
    `${scratchPrefix(options.resource)}${options.backupId.slice(-4)}${Date.now().toString(36)}`.slice(0, 63);
  try {
    await client.query(`CREATE DATABASE ${quoteIdentifier(scratch)}`);
  } catch (err) {
    return {
      verification: 'Failed',
      message: `cannot create the scratch database ${scratch} to restore into (the user needs CREATEDB, or set verify: false): ${describeServerError(err)}`,
    };
  }
  try {
    const target = onDatabase(client.params, scratch);
    try {
      await pgRestore({
        tools: options.tools,
        target,
        input: await readDump(options.store, options.dump, options.passphrase),
        signal: options.signal,
      });
    } catch (err) {
      options.signal?.throwIfAborted();
      return {
        verification: 'Failed',
        message: `the backup did not restore: ${err instanceof Error ? err.message : String(err)}`,
      };
    }
    const restored = await withClient(target, options.signal, countRows);
    const mismatches = compareRowCounts(options.expectedRows, restored);
    const tables = Object.keys(options.expectedRows).length;
    const rows = Object.values(options.expectedRows).reduce((a, b) => a + b, 0);
    return mismatches.length === 0
      ? {
          verification: 'Verified',
          message: `restored into a scratch database: ${tables} tables, ${rows} rows, as in the snapshot`,
        }
      : {
          verification: 'Failed',
          message: `restored, but row counts differ: ${describeMismatches(mismatches)}`,
        };
  } finally {
    await client
      .query(`DROP DATABASE IF EXISTS ${quoteIdentifier(scratch)} WITH (FORCE)`)
      .catch(() => undefined);
  }
}
