/**
 * The environment pg_dump and pg_restore run with: the connection as PG* variables, the password
 * in a pgpass file and the CA in a file, both in a private temp folder (mode 0700) removed
 * afterwards. Nothing secret goes on a command line, where `ps` would show it, and nothing of the
 * operator's own environment (DATABASE_URL, PGPASSWORD) leaks into the tools.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConnectionParams } from './connection-params.js';

export interface LibpqEnvironment {
  readonly env: NodeJS.ProcessEnv;
  /** Removes the temp folder with the password and CA files. */
  cleanup(): void;
}

/** A pgpass field: `:` and `\` are escaped with a backslash. */
function pgpassField(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/:/g, '\\:');
}

const SYSTEM_CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

export function libpqEnvironment(params: ConnectionParams): LibpqEnvironment {
  const dir = mkdtempSync(join(tmpdir(), 'gateway-worker-libpq-'));
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: dir,
    LC_ALL: 'C.UTF-8',
    PGHOST: params.host,
    PGPORT: String(params.port),
    PGUSER: params.user,
    PGDATABASE: params.database,
    PGSSLMODE: params.sslMode,
    PGAPPNAME: 'gateway-worker-dbops',
    PGCONNECT_TIMEOUT: String(Math.max(2, Math.ceil(params.connectTimeoutMs / 1000))),
  };
  try {
    if (params.password !== undefined) {
      // Any database: verification restores into a scratch database on the same server.
      const file = join(dir, 'pgpass');
      const line = ['*', '*', '*', pgpassField(params.user), pgpassField(params.password)].join(':');
      writeFileSync(file, `${line}\n`, { mode: 0o600 });
      env.PGPASSFILE = file;
    }
    if (params.ca !== undefined) {
      const file = join(dir, 'ca.crt');
      writeFileSync(file, params.ca, { mode: 0o600 });
      env.PGSSLROOTCERT = file;
    } else if (params.sslMode === 'verify-full' && existsSync(SYSTEM_CA_BUNDLE)) {
      // libpq before 16 has no sslrootcert=system: point it at the system bundle, as node does.
      env.PGSSLROOTCERT = SYSTEM_CA_BUNDLE;
    }
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return { env, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
