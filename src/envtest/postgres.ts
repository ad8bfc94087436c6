/**
 * A real PostgreSQL for tests, the demo and benchmarks, started the envtest way: `initdb` into a
 * temp folder, the server on a free loopback port, stopped with the run — also when this process
 * is SIGKILLed (the reaper kills it). A lost port race ("address already in use") is retried on
 * a new port. As root (CI), the server runs as the `postgres` user (or `nobody`): PostgreSQL
 * refuses to run as root.
 */
import { execFileSync } from 'node:child_process';
import { accessSync, chownSync, constants, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { freePort } from './ports.js';
import { ManagedProcess, keepTempDir, releaseTempDir, trackTempDir } from './processes.js';

const READY_TIMEOUT_MS = 60_000;
const PORT_ATTEMPTS = 5;

export interface PostgresBinaries {
  readonly initdb: string;
  readonly postgres: string;
  readonly bindir: string;
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function binariesIn(bindir: string): PostgresBinaries | undefined {
  const initdb = join(bindir, 'initdb');
  const postgres = join(bindir, 'postgres');
  return executable(initdb) && executable(postgres) ? { initdb, postgres, bindir } : undefined;
}

/** PG_BIN, then `pg_config --bindir`, then the newest /usr/lib/postgresql/<version>/bin (Debian). */
export function findPostgresBinaries(env: NodeJS.ProcessEnv = process.env): PostgresBinaries {
  const tried: string[] = [];
  if (env.PG_BIN) {
    const found = binariesIn(env.PG_BIN);
    if (found) return found;
    tried.push(`${env.PG_BIN} (PG_BIN)`);
  }
  try {
    const bindir = execFileSync('pg_config', ['--bindir'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    const found = binariesIn(bindir);
    if (found) return found;
    tried.push(`${bindir} (pg_config --bindir)`);
  } catch {
    tried.push('pg_config (not on PATH)');
  }
  const debian = '/usr/lib/postgresql';
  let versions: string[] = [];
  try {
    versions = readdirSync(debian)
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
  } catch {
    // not Debian, or no server installed
  }
  for (const version of versions) {
    const found = binariesIn(join(debian, version, 'bin'));
    if (found) return found;
  }
  tried.push(`${debian}/<version>/bin`);
  throw new Error(
    `PostgreSQL server binaries (initdb, postgres) not found; looked at ${tried.join(', ')}. ` +
      'Install them (Debian: apt-get install postgresql), set PG_BIN to their folder, or set ' +
      'USE_EXISTING_DATABASE_URL to a server you already run.',
  );
}

/** Who the server runs as: ourselves, or an unprivileged user when we are root. */
function serverUser(): { uid: number; gid: number; name: string } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  for (const name of ['postgres', 'nobody']) {
    try {
      const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
      const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim());
      return { uid, gid, name };
    } catch {
      // no such user
    }
  }
  throw new Error('running as root and neither a "postgres" nor a "nobody" user exists to run PostgreSQL as');
}

function asUser(
  user: ReturnType<typeof serverUser>,
  binary: string,
  args: readonly string[],
): [string, string[]] {
  if (!user) return [binary, [...args]];
  return ['setpriv', [`--reuid=${user.uid}`, `--regid=${user.gid}`, '--clear-groups', '--', binary, ...args]];
}

export interface LocalPostgresOptions {
  /** Keep the server after this process exits (not used by tests). */
  readonly persistent?: boolean;
  /** fsync and synchronous commit on, as in production (benchmarks); off by default for speed. */
  readonly durable?: boolean;
}

export class LocalPostgres {
  private server: ManagedProcess | undefined;

  private constructor(
    readonly dir: string,
    private readonly binaries: PostgresBinaries,
    private readonly user: ReturnType<typeof serverUser>,
    private currentPort: number,
    private readonly options: LocalPostgresOptions,
  ) {}

  get port(): number {
    return this.currentPort;
  }

  /** A superuser URL with trust authentication on loopback (no password). */
  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.currentPort}/postgres`;
  }

  get pid(): number | undefined {
    return this.server?.child.pid;
  }

  static async start(options: LocalPostgresOptions = {}): Promise<LocalPostgres> {
    const binaries = findPostgresBinaries();
    const user = serverUser();
    const dir = mkdtempSync(join(tmpdir(), 'gateway-worker-postgres-'));
    if (!options.persistent) trackTempDir(dir);
    try {
      if (user) chownSync(dir, user.uid, user.gid);
      const data = join(dir, 'data');
      const [command, args] = asUser(user, binaries.initdb, [
        `--pgdata=${data}`,
        '--username=postgres',
        '--auth=trust',
        '--encoding=UTF8',
        '--no-locale',
        '--no-sync',
      ]);
      try {
        execFileSync(command, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir });
      } catch (err) {
        const stderr = (err as { stderr?: Buffer }).stderr?.toString() ?? '';
        throw new Error(`initdb failed: ${stderr.trim() || String(err)}`, { cause: err });
      }
      const local = new LocalPostgres(dir, binaries, user, 0, options);
      await local.startServer();
      return local;
    } catch (error) {
      releaseTempDir(dir);
      throw error;
    }
  }

  /** Starts the server again on the same port and data (after {@link stopServer}). */
  async startServer(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      if (this.currentPort === 0 || attempt > 1) this.currentPort = await freePort();
      try {
        await this.launch();
        return;
      } catch (err) {
        const lostRace = err instanceof Error && /address already in use/i.test(err.message);
        if (!lostRace || attempt >= PORT_ATTEMPTS) throw err;
      }
    }
  }

  /** A fast shutdown (running transactions are rolled back), as `pg_ctl stop -m fast`. */
  async stopServer(): Promise<void> {
    const server = this.server;
    if (!server?.running) return;
    const postmaster = this.postmasterPid();
    if (postmaster !== undefined) {
      try {
        process.kill(postmaster, 'SIGINT');
      } catch {
        // already gone
      }
    }
    const timer = setTimeout(() => void server.stop(0), 10_000);
    await server.exited;
    clearTimeout(timer);
  }

  async stop(): Promise<void> {
    await this.stopServer();
    releaseTempDir(this.dir);
  }

  /** Leaves the server and its folder in place when this process exits. */
  detach(): void {
    keepTempDir(this.dir);
  }

  private postmasterPid(): number | undefined {
    try {
      const first = readFileSync(join(this.dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0];
      const pid = Number(first);
      return Number.isInteger(pid) && pid > 0 ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  private async launch(): Promise<void> {
    const [command, args] = asUser(this.user, this.binaries.postgres, [
      '-D',
      join(this.dir, 'data'),
      '-p',
      String(this.currentPort),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      '-c',
      'max_connections=300',
      // A throwaway server: durability only costs time here (benchmarks ask for it).
      ...(this.options.durable
        ? []
        : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']),
    ]);
    const server = ManagedProcess.start('postgres', command, args, join(this.dir, 'postgres.log'), {
      detached: this.options.persistent ?? false,
    });
    this.server = server;
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (!server.running) throw new Error(`postgres exited before it was ready:\n${server.logTail()}`);
      if (await this.probe()) return;
      await sleep(100);
    }
    await server.stop();
    throw new Error(`postgres was not ready within ${READY_TIMEOUT_MS / 1000} s:\n${server.logTail()}`);
  }

  private async probe(): Promise<boolean> {
    const client = new pg.Client({ connectionString: this.url, connectionTimeoutMillis: 2_000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return true;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}
