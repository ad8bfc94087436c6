/**
 * Brings the worker's schema up to date at start. Replicas starting together take turns through a
 * PostgreSQL advisory lock; the one that waited finds the work done. A schema newer than this
 * code (a rollback to an older image) is refused, never altered.
 */
import { systemClock, type Clock } from '../runtime/clock.js';
import type { Logger } from '../runtime/logger.js';
import { identifier, type Database, type Queryable } from './database.js';
import { MIGRATIONS, type Migration } from './migrations.js';

/** The advisory lock's first key: "gw" + 1, so our locks never collide with another program's. */
const LOCK_CLASS = 0x67770001;
const LOCK_POLL_MS = 250;

/** The schema is newer than this code knows: retrying cannot help, an operator has to act. */
export class SchemaTooNewError extends Error {
  override readonly name = 'SchemaTooNewError';
}

export interface MigrateOptions {
  readonly schema: string;
  readonly logger: Logger;
  readonly migrations?: readonly Migration[];
  readonly clock?: Clock;
  /** Gives up waiting for the lock when aborted (the operator is stopping). */
  readonly signal?: AbortSignal;
}

export interface MigrateResult {
  readonly from: number;
  readonly to: number;
  readonly applied: readonly number[];
}

/** A stable 31-bit number for the schema name, the advisory lock's second key. */
export function schemaLockKey(schema: string): number {
  let hash = 0;
  for (const char of schema) hash = (Math.imul(hash, 31) + (char.codePointAt(0) ?? 0)) | 0;
  return hash & 0x7fffffff;
}

export async function migrate(db: Database, options: MigrateOptions): Promise<MigrateResult> {
  const migrations = [...(options.migrations ?? MIGRATIONS)].sort((a, b) => a.version - b.version);
  const latest = migrations.at(-1)?.version ?? 0;
  const schema = identifier(options.schema);
  const clock = options.clock ?? systemClock;
  const key = schemaLockKey(options.schema);

  return db.session(async (session) => {
    await waitForLock(session, key, clock, options);
    try {
      await session.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
      await session.query(
        `CREATE TABLE IF NOT EXISTS ${schema}.schema_migrations (
           version integer PRIMARY KEY,
           name text NOT NULL,
           applied_at timestamptz NOT NULL DEFAULT now()
         )`,
      );
      const current = await currentVersion(session, schema);
      if (current > latest) {
        throw new SchemaTooNewError(
          `the database schema ${options.schema} is at version ${current}, newer than this gateway-worker ` +
            `knows (${latest}): a newer release migrated it. Run that release (or newer), or restore the ` +
            `database from a backup taken before the upgrade; this version will not touch it`,
        );
      }
      const applied: number[] = [];
      for (const migration of migrations.filter((m) => m.version > current)) {
        await session.query('BEGIN');
        try {
          // A migration may rewrite large tables: the pool's statement timeout is for queries.
          await session.query('SET LOCAL statement_timeout = 0');
          for (const statement of migration.statements(schema)) await session.query(statement);
          await session.query(`INSERT INTO ${schema}.schema_migrations (version, name) VALUES ($1, $2)`, [
            migration.version,
            migration.name,
          ]);
          await session.query('COMMIT');
        } catch (err) {
          await session.query('ROLLBACK').catch(() => undefined);
          const why = err instanceof Error ? err.message : String(err);
          throw new Error(`migration ${migration.version} (${migration.name}) failed: ${why}`, {
            cause: err,
          });
        }
        applied.push(migration.version);
        options.logger.info('database migration applied', {
          schema: options.schema,
          version: migration.version,
          name: migration.name,
        });
      }
      return { from: current, to: Math.max(current, ...applied), applied };
    } finally {
      await session.query('SELECT pg_advisory_unlock($1, $2)', [LOCK_CLASS, key]);
    }
  });
}

/** Reads the applied version without migrating (the CLI and `SchemaTooNewError` checks). */
export async function currentVersion(db: Queryable, quotedSchema: string): Promise<number> {
  const table = await db.query<{ exists: boolean }>(`SELECT to_regclass($1) IS NOT NULL AS exists`, [
    `${quotedSchema}.schema_migrations`,
  ]);
  if (table.rows[0]?.exists !== true) return 0;
  const result = await db.query<{ version: number | null }>(
    `SELECT max(version) AS version FROM ${quotedSchema}.schema_migrations`,
  );
  return result.rows[0]?.version ?? 0;
}

/**
 * Polls instead of blocking in pg_advisory_lock, so the statement timeout never cuts the wait
 * short and a stopping operator is not stuck behind another replica's migration.
 */
async function waitForLock(
  session: Queryable,
  key: number,
  clock: Clock,
  options: MigrateOptions,
): Promise<void> {
  let logged = false;
  for (;;) {
    const result = await session.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS locked', [
      LOCK_CLASS,
      key,
    ]);
    if (result.rows[0]?.locked === true) return;
    if (!logged) {
      options.logger.info('another replica is migrating the database schema; waiting for it', {
        schema: options.schema,
      });
      logged = true;
    }
    options.signal?.throwIfAborted();
    await new Promise<void>((resolve) => clock.setTimer(LOCK_POLL_MS, resolve));
  }
}
