/**
 * A database of its own on the run's PostgreSQL, standing in for the gateway's: created empty per
 * test (the migrations under test create the gateway's schema in it), dropped afterwards.
 */
import pg from 'pg';
import { describeConnection, type ConnectionParams } from '../../src/dbops/connection/connection-params.js';
import { sharedDatabaseUrl, uniqueSchema } from './shared-postgres.js';

export interface GatewayDatabase {
  readonly name: string;
  /** A superuser URL to it (trust authentication, no password). */
  readonly url: string;
  readonly params: ConnectionParams;
  /** One query on a fresh connection. */
  readonly query: <R extends pg.QueryResultRow = Record<string, unknown>>(
    sql: string,
    values?: unknown[],
  ) => Promise<R[]>;
  drop(): Promise<void>;
}

export async function adminQuery(url: string, sql: string, values: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(sql, values);
  } finally {
    await client.end();
  }
}

export async function createGatewayDatabase(prefix: string, serverUrl?: string): Promise<GatewayDatabase> {
  const server = serverUrl ?? (await sharedDatabaseUrl());
  const name = uniqueSchema(prefix);
  await adminQuery(server, `CREATE DATABASE "${name}"`);
  const url = new URL(server);
  url.pathname = `/${name}`;
  const params: ConnectionParams = {
    host: url.hostname,
    port: Number(url.port || 5432),
    database: name,
    user: decodeURIComponent(url.username) || 'postgres',
    password: url.password === '' ? undefined : decodeURIComponent(url.password),
    sslMode: 'disable',
    ca: undefined,
    connectTimeoutMs: 10_000,
    description: '',
  };
  const withDescription = { ...params, description: describeConnection(params) };
  return {
    name,
    url: url.toString(),
    params: withDescription,
    query: async <R extends pg.QueryResultRow>(sql: string, values: unknown[] = []) =>
      (await adminQuery(url.toString(), sql, values)).rows as R[],
    drop: async () => {
      await adminQuery(server, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    },
  };
}
