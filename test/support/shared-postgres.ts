/**
 * One PostgreSQL shared by every test file in a run (like the control plane), stopped by the root
 * hook; or, with USE_EXISTING_DATABASE_URL, a server you already run. Tests keep apart by schema
 * (DATABASE_SCHEMA), never by dropping what another test made. Tests that stop the server start
 * their own LocalPostgres.
 */
import pg from 'pg';
import { LocalPostgres } from '../../src/envtest/postgres.js';
import type { Config } from '../../src/config/index.js';

let shared: Promise<{ url: string; local: LocalPostgres | undefined }> | undefined;

export function sharedPostgres(): Promise<{ url: string; local: LocalPostgres | undefined }> {
  shared ??= (async () => {
    const existing = process.env.USE_EXISTING_DATABASE_URL;
    if (existing) return { url: existing, local: undefined };
    const local = await LocalPostgres.start();
    const client = new pg.Client({ connectionString: local.url });
    await client.connect();
    const version = (await client.query<{ server_version: string }>('SHOW server_version')).rows[0]
      ?.server_version;
    await client.end();
    console.log(`      [postgres] PostgreSQL ${version ?? '?'} on ${local.url}`);
    return { url: local.url, local };
  })();
  return shared;
}

export async function sharedDatabaseUrl(): Promise<string> {
  return (await sharedPostgres()).url;
}

export async function stopSharedPostgres(): Promise<void> {
  if (!shared) return;
  const server = await shared.catch(() => undefined);
  shared = undefined;
  await server?.local?.stop();
}

let counter = 0;
/** A schema name no other test (or run, on a shared server) used: lowercase, at most 63. */
export function uniqueSchema(prefix: string): string {
  counter += 1;
  return `${prefix}_${process.pid}_${Date.now().toString(36)}_${counter}`
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, '_')
    .slice(0, 63);
}

/** The configuration keys that point an operator under test at the shared server, in its own schema. */
export async function testDatabaseConfig(
  prefix: string,
): Promise<Pick<Config, 'databaseUrl' | 'databaseSchema'>> {
  return { databaseUrl: await sharedDatabaseUrl(), databaseSchema: uniqueSchema(prefix) };
}
