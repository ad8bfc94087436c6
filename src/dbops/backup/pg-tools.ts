/**
 * The PostgreSQL client tools backups use, pg_dump and pg_restore, found the way the test server
 * is found: PG_BIN, then `pg_config --bindir`, then the newest /usr/lib/postgresql/<version>/bin
 * (Debian's postgresql-client, which the image ships), then PATH. Their major version decides
 * which servers they can back up.
 */
import { execFile, execFileSync } from 'node:child_process';
import { accessSync, constants, readdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { parseClientVersion } from '../../domain/dbops/index.js';
import { OperationError } from '../operation-error.js';

const run = promisify(execFile);

export interface PgTools {
  readonly pgDump: string;
  readonly pgRestore: string;
  readonly bindir: string;
  readonly major: number;
  /** "15.8" */
  readonly version: string;
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function toolsIn(dir: string): { pgDump: string; pgRestore: string } | undefined {
  const pgDump = join(dir, 'pg_dump');
  const pgRestore = join(dir, 'pg_restore');
  return executable(pgDump) && executable(pgRestore) ? { pgDump, pgRestore } : undefined;
}

/** Where the tools are, in the order above; the tried places when none has them. */
export function findToolsDir(env: NodeJS.ProcessEnv = process.env): { dir: string } | { tried: string[] } {
  const candidates: [string, string][] = [];
  if (env.PG_BIN) candidates.push([env.PG_BIN, 'PG_BIN']);
  try {
    const bindir = execFileSync('pg_config', ['--bindir'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    candidates.push([bindir, 'pg_config --bindir']);
  } catch {
    // no pg_config: the client package alone does not ship it
  }
  try {
    const versions = readdirSync('/usr/lib/postgresql')
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    for (const v of versions) candidates.push([`/usr/lib/postgresql/${v}/bin`, 'Debian']);
  } catch {
    // not Debian
  }
  for (const dir of (env.PATH ?? '').split(delimiter).filter((d) => d !== '')) candidates.push([dir, 'PATH']);
  for (const [dir] of candidates) if (toolsIn(dir)) return { dir };
  return { tried: [...new Set(candidates.map(([dir, why]) => `${dir} (${why})`))] };
}

let cached: Promise<PgTools> | undefined;

/** The tools, found once per process; OperationError ClientMissing when there are none. */
export function pgTools(env: NodeJS.ProcessEnv = process.env): Promise<PgTools> {
  cached ??= locate(env).catch((err: unknown) => {
    cached = undefined;
    throw err;
  });
  return cached;
}

async function locate(env: NodeJS.ProcessEnv): Promise<PgTools> {
  const found = findToolsDir(env);
  if (!('dir' in found))
    throw new OperationError(
      'ClientMissing',
      `pg_dump and pg_restore were not found (looked in ${found.tried.slice(0, 6).join(', ')}): install the PostgreSQL client tools (Debian: apt-get install postgresql-client; the gateway-worker image has them) or set PG_BIN to their folder`,
      true,
    );
  const tools = toolsIn(found.dir);
  if (!tools) throw new Error(`pg_dump vanished from ${found.dir}`);
  const { stdout } = await run(tools.pgDump, ['--version']);
  const version = parseClientVersion(stdout);
  if (!version)
    throw new OperationError(
      'ClientMissing',
      `cannot read the version of ${tools.pgDump}: ${stdout.trim()}`,
      true,
    );
  return { ...tools, bindir: found.dir, major: version.major, version: version.text };
}
