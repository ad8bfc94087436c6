/**
 * Opening the operator's database from a CLI command (`audit`, `analytics`), with the operator's
 * configuration, migrated as the operator would. The embedded store is one process's: while the
 * operator runs on it, these commands cannot open it (use PostgreSQL, or stop the operator).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, loadConfig, type Config } from '../config/index.js';
import { silentLogger } from '../runtime/logger.js';
import { DatabaseSettingsError, storeSettings } from '../storage/connection-settings.js';
import type { Database } from '../storage/database.js';
import { describeDatabaseError } from '../storage/errors.js';
import { migrate } from '../storage/migrate.js';
import { openDatabase } from '../storage/store.js';
import type { Output } from './main.js';

export type Opened = { readonly db: Database; readonly config: Config } | { readonly exitCode: number };

export async function openStore(env: NodeJS.ProcessEnv, out: Output, command: string): Promise<Opened> {
  try {
    const config = loadConfig(env);
    const settings = storeSettings(config, (path) => readFileSync(path, 'utf8'));
    const db = await openDatabase(settings, silentLogger);
    try {
      await migrate(db, { schema: config.databaseSchema, logger: silentLogger });
    } catch (err) {
      await db.close();
      throw err;
    }
    return { db, config };
  } catch (err) {
    if (err instanceof ConfigError || err instanceof DatabaseSettingsError) {
      out.stderr(`gateway-worker: ${err.message}\n`);
      return { exitCode: 2 };
    }
    out.stderr(`gateway-worker ${command}: cannot open the database: ${describeDatabaseError(err)}\n`);
    return { exitCode: 1 };
  }
}

/**
 * The database for recording an audit entry from a command that changes something (rollback,
 * backup, restore), when there is one to record into: PostgreSQL, or an embedded store that
 * already exists. A command never creates an embedded store just to audit itself.
 */
export async function openAuditStore(
  env: NodeJS.ProcessEnv,
): Promise<{ db: Database; schema: string } | string> {
  let config: Config;
  try {
    config = loadConfig(env);
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
  if (config.databaseUrl === undefined && !existsSync(join(config.embeddedDataDir, 'pgdata')))
    return 'no database is configured (DATABASE_URL) and there is no embedded store here';
  try {
    const db = await openDatabase(
      storeSettings(config, (path) => readFileSync(path, 'utf8')),
      silentLogger,
    );
    try {
      await migrate(db, { schema: config.databaseSchema, logger: silentLogger });
    } catch (err) {
      await db.close();
      throw err;
    }
    return { db, schema: config.databaseSchema };
  } catch (err) {
    return describeDatabaseError(err);
  }
}
