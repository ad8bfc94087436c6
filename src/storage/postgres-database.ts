/**
 * The PostgreSQL store: a node-postgres pool configured from {@link PostgresSettings} (TLS,
 * pool size, statement timeout), behind the {@link Database} interface.
 */
import type { ConnectionOptions } from 'node:tls';
import pg from 'pg';
import type { Logger } from '../runtime/logger.js';
import type { PostgresSettings } from './connection-settings.js';
import type { Database, Queryable, QueryResult, SqlParam } from './database.js';

/** Client-side bound beyond the server's statement_timeout, for a server that stopped answering. */
const QUERY_TIMEOUT_SLACK_MS = 5_000;

export function sslOptions(settings: PostgresSettings): false | ConnectionOptions {
  switch (settings.sslMode) {
    case 'disable':
      return false;
    case 'require':
      // libpq's meaning: encrypted, but the server's certificate is not checked.
      return { rejectUnauthorized: false };
    case 'verify-ca':
      return { rejectUnauthorized: true, ca: settings.ca, checkServerIdentity: () => undefined };
    case 'verify-full':
      return { rejectUnauthorized: true, ...(settings.ca === undefined ? {} : { ca: settings.ca }) };
  }
}

export class PostgresDatabase implements Database {
  readonly kind = 'postgres';
  readonly description: string;
  private readonly pool: pg.Pool;

  constructor(settings: PostgresSettings, logger: Logger) {
    this.description = settings.description;
    this.pool = new pg.Pool({
      host: settings.host,
      port: settings.port,
      user: settings.user,
      password: settings.password,
      database: settings.database,
      application_name: settings.applicationName,
      ssl: sslOptions(settings),
      max: settings.poolSize,
      connectionTimeoutMillis: settings.connectTimeoutMs,
      statement_timeout: settings.statementTimeoutMs,
      query_timeout: settings.statementTimeoutMs + QUERY_TIMEOUT_SLACK_MS,
      keepAlive: true,
      idleTimeoutMillis: 30_000,
    });
    // An idle connection that breaks (server restart, network cut) is reported here; without a
    // listener node-postgres would crash the process. The next query simply opens a new one.
    this.pool.on('error', (err) => {
      logger.warn('an idle database connection failed; it will be replaced', {
        database: this.description,
        error: err.message,
      });
    });
  }

  async query<R extends object>(sql: string, params: readonly SqlParam[] = []): Promise<QueryResult<R>> {
    return toResult(await this.pool.query<R>(sql, params as SqlParam[]));
  }

  async transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.session(async (session) => {
      await session.query('BEGIN');
      try {
        const result = await work(session);
        await session.query('COMMIT');
        return result;
      } catch (err) {
        await session.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
  }

  async session<T>(work: (session: Queryable) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      return await work({
        query: async <R extends object>(sql: string, params: readonly SqlParam[] = []) =>
          toResult(await client.query<R>(sql, params as SqlParam[])),
      });
    } catch (err) {
      // A connection whose session state is unknown (a lock, an aborted transaction) is not reused.
      broken = err instanceof Error ? err : new Error(String(err));
      throw err;
    } finally {
      client.release(broken);
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

function toResult<R extends object>(result: pg.QueryResult<R>): QueryResult<R> {
  return { rows: result.rows, rowCount: result.rowCount ?? result.rows.length };
}
