/**
 * A database named on the command line (`gateway-worker db ... --url`, `--to`):
 * `postgres://user@host:port/database?sslmode=verify-full&sslrootcert=/path/ca.crt`, the password
 * from PGPASSWORD. A password inside the URL is refused: the command line is visible to every user
 * of the machine (`ps`), as the certificate backup refuses a passphrase there.
 */
import { readFileSync } from 'node:fs';
import { SSL_MODES, type SslMode } from '../../api/v1alpha1/databaseconnection.js';
import { describeConnection, type ConnectionParams } from './connection-params.js';

export class DatabaseUrlError extends Error {
  override readonly name = 'DatabaseUrlError';
}

const PARAMETERS = ['sslmode', 'sslrootcert', 'connect_timeout'];

export function databaseUrl(
  text: string,
  env: NodeJS.ProcessEnv,
  readFile: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): ConnectionParams {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new DatabaseUrlError(
      `"${text.replace(/:[^:@/]*@/, ':***@')}" is not a URL; write postgres://user@host:5432/database`,
    );
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:')
    throw new DatabaseUrlError(`the scheme must be postgres:// or postgresql://, not ${url.protocol}//`);
  if (url.password !== '')
    throw new DatabaseUrlError(
      'a password in the URL is visible to other users of this machine: leave it out and set PGPASSWORD',
    );
  for (const name of url.searchParams.keys())
    if (!PARAMETERS.includes(name))
      throw new DatabaseUrlError(
        `unknown URL parameter "${name}"; the parameters understood are ${PARAMETERS.join(', ')}`,
      );
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (database === '')
    throw new DatabaseUrlError('the URL names no database: postgres://user@host:5432/DATABASE');
  const host = decodeURIComponent(url.hostname.replace(/^\[|\]$/g, ''));
  if (host === '') throw new DatabaseUrlError('the URL names no host');
  const port = url.port === '' ? 5432 : Number(url.port);
  const mode = url.searchParams.get('sslmode') ?? env.PGSSLMODE ?? 'prefer';
  if (!(SSL_MODES as readonly string[]).includes(mode))
    throw new DatabaseUrlError(`sslmode=${mode}: use one of ${SSL_MODES.join(', ')}`);
  const caPath = url.searchParams.get('sslrootcert') ?? undefined;
  let ca: string | undefined;
  if (caPath !== undefined) {
    try {
      ca = readFile(caPath);
    } catch (err) {
      throw new DatabaseUrlError(`sslrootcert=${caPath}: cannot read the file (${(err as Error).message})`);
    }
  }
  const timeout = Number(url.searchParams.get('connect_timeout') ?? '10');
  if (!Number.isFinite(timeout) || timeout <= 0)
    throw new DatabaseUrlError('connect_timeout must be a positive number of seconds');
  const user = decodeURIComponent(url.username) || env.PGUSER || 'postgres';
  const params = { host, port, database, user };
  return {
    ...params,
    password: env.PGPASSWORD === '' ? undefined : env.PGPASSWORD,
    sslMode: mode as SslMode,
    ca,
    connectTimeoutMs: timeout * 1000,
    description: describeConnection(params),
  };
}
