/**
 * One connection to the gateway's database for the length of a job, with TLS as libpq's sslmode
 * means it (including `prefer`: TLS when the server offers it), a connect timeout, and an
 * AbortSignal that cancels the running statement on the server (pg_cancel_backend from a second
 * connection) and closes the connection, so a cancelled or timed-out job stops what it started.
 */
import type { ConnectionOptions } from 'node:tls';
import pg from 'pg';
import type { ConnectionParams } from './connection-params.js';
import { connectionError } from './errors.js';

export type Row = Record<string, unknown>;

export interface GatewayClient {
  readonly params: ConnectionParams;
  /** The server process serving this connection. */
  readonly pid: number;
  query<R extends object = Row>(sql: string, params?: readonly unknown[]): Promise<pg.QueryResult<R>>;
  /** The underlying node-postgres client, for cursors. */
  readonly raw: pg.Client;
  close(): Promise<void>;
}

const APPLICATION_NAME = 'gateway-worker-dbops';

function tls(params: ConnectionParams): false | ConnectionOptions {
  switch (params.sslMode) {
    case 'disable':
      return false;
    case 'prefer':
    case 'require':
      // libpq's meaning: encrypted, the server's certificate not checked.
      return { rejectUnauthorized: false };
    case 'verify-ca':
      return { rejectUnauthorized: true, ca: params.ca, checkServerIdentity: () => undefined };
    case 'verify-full':
      return { rejectUnauthorized: true, ...(params.ca === undefined ? {} : { ca: params.ca }) };
  }
}

function newClient(params: ConnectionParams, ssl: false | ConnectionOptions): pg.Client {
  const client = new pg.Client({
    host: params.host,
    port: params.port,
    user: params.user,
    password: params.password,
    database: params.database,
    ssl,
    application_name: APPLICATION_NAME,
    connectionTimeoutMillis: params.connectTimeoutMs,
    keepAlive: true,
  });
  // A connection that breaks mid-job surfaces as the failing query's error; without a listener
  // node-postgres would crash the process instead.
  client.on('error', () => undefined);
  return client;
}

async function connected(params: ConnectionParams): Promise<pg.Client> {
  const client = newClient(params, tls(params));
  try {
    await client.connect();
    return client;
  } catch (err) {
    await client.end().catch(() => undefined);
    const refusedTls = err instanceof Error && /does not support SSL/i.test(err.message);
    if (params.sslMode !== 'prefer' || !refusedTls) throw err;
  }
  const plain = newClient(params, false);
  try {
    await plain.connect();
    return plain;
  } catch (err) {
    await plain.end().catch(() => undefined);
    throw err;
  }
}

/** Connects, or throws an OperationError saying why not (Unreachable, AuthenticationFailed, ...). */
export async function connect(params: ConnectionParams, signal?: AbortSignal): Promise<GatewayClient> {
  signal?.throwIfAborted();
  let client: pg.Client;
  try {
    client = await connected(params);
  } catch (err) {
    throw connectionError(err, params);
  }
  const pid = (client as unknown as { processID: number | null }).processID ?? 0;
  let closed = false;
  const onAbort = (): void => {
    void cancelBackend(params, pid).finally(() => {
      if (!closed) void client.end().catch(() => undefined);
    });
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  return {
    params,
    pid,
    raw: client,
    query: async <R extends object>(sql: string, values: readonly unknown[] = []) => {
      signal?.throwIfAborted();
      return client.query<R>(sql, values as unknown[]);
    },
    close: async () => {
      closed = true;
      signal?.removeEventListener('abort', onAbort);
      await client.end().catch(() => undefined);
    },
  };
}

/** Runs `work` on a connection that is closed afterwards, whatever happens. */
export async function withClient<T>(
  params: ConnectionParams,
  signal: AbortSignal | undefined,
  work: (client: GatewayClient) => Promise<T>,
): Promise<T> {
  const client = await connect(params, signal);
  try {
    return await work(client);
  } finally {
    await client.close();
  }
}

/** Asks the server to cancel what backend `pid` runs; best effort. */
export async function cancelBackend(params: ConnectionParams, pid: number): Promise<void> {
  if (pid === 0) return;
  let client: pg.Client | undefined;
  try {
    client = await connected(params);
    await client.query('SELECT pg_cancel_backend($1)', [pid]);
  } catch {
    // The connection may be gone already; closing it below is all that is left to do.
  } finally {
    await client?.end().catch(() => undefined);
  }
}
