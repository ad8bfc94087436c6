/**
 * PGlite is one process's private database: two processes opening the same directory corrupt
 * it. This lock file keeps a second operator (a rolling update on the same volume, a CLI run
 * beside the operator) out, while a lock left by a killed process is taken over: the holder
 * touches the file every few seconds, so one that has not been touched lately is stale.
 */
import { closeSync, openSync, readFileSync, rmSync, statSync, utimesSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Clock, Timer } from '../runtime/clock.js';

const LOCK_FILE = 'gateway-worker.lock';
export const LOCK_TOUCH_MS = 5_000;
export const LOCK_STALE_MS = 30_000;

interface LockOwner {
  readonly pid: number;
  readonly hostname: string;
  readonly since: string;
}

/** Directories this process holds: a second open in the same process is refused too. */
const heldHere = new Set<string>();

export class DataDirInUseError extends Error {
  override readonly name = 'DataDirInUseError';
}

export class DataDirLock {
  private timer: Timer | undefined;
  private released = false;

  private constructor(
    private readonly path: string,
    private readonly dir: string,
    private readonly clock: Clock,
  ) {
    this.touchLater();
  }

  /** Takes the lock or throws {@link DataDirInUseError} naming who holds it. */
  static acquire(dir: string, clock: Clock): DataDirLock {
    const path = join(dir, LOCK_FILE);
    if (heldHere.has(path)) {
      throw new DataDirInUseError(`the embedded store in ${dir} is already open in this process`);
    }
    const owner: LockOwner = {
      pid: process.pid,
      hostname: hostname(),
      since: new Date(clock.now()).toISOString(),
    };
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(path, 'wx', 0o600);
        try {
          writeSync(fd, `${JSON.stringify(owner)}\n`);
        } finally {
          closeSync(fd);
        }
        heldHere.add(path);
        return new DataDirLock(path, dir, clock);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const holder = readOwner(path);
      if (!isStale(path, holder, clock)) {
        const who = holder
          ? `process ${holder.pid} on ${holder.hostname} since ${holder.since}`
          : 'another process';
        throw new DataDirInUseError(
          `the embedded store in ${dir} is in use by ${who}; PGlite allows one process per directory ` +
            `(one replica, and no CLI beside a running operator: use DATABASE_URL for that)`,
        );
      }
      rmSync(path, { force: true });
    }
    throw new DataDirInUseError(`the embedded store in ${dir}: could not take its lock file ${path}`);
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    this.timer?.cancel();
    heldHere.delete(this.path);
    rmSync(this.path, { force: true });
  }

  get directory(): string {
    return this.dir;
  }

  private touchLater(): void {
    this.timer = this.clock.setTimer(LOCK_TOUCH_MS, () => {
      if (this.released) return;
      const now = new Date(this.clock.now());
      try {
        utimesSync(this.path, now, now);
      } catch {
        // A volume that went away shows up in the next query instead.
      }
      this.touchLater();
    });
  }
}

function readOwner(path: string): LockOwner | undefined {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockOwner>;
    if (
      typeof parsed.pid === 'number' &&
      typeof parsed.hostname === 'string' &&
      typeof parsed.since === 'string'
    ) {
      return { pid: parsed.pid, hostname: parsed.hostname, since: parsed.since };
    }
  } catch {
    // Unreadable or half-written: judged by its age alone.
  }
  return undefined;
}

function isStale(path: string, holder: LockOwner | undefined, clock: Clock): boolean {
  let touched: number;
  try {
    touched = statSync(path).mtimeMs;
  } catch {
    return true;
  }
  if (clock.now() - touched > LOCK_STALE_MS) return true;
  if (!holder || holder.hostname !== hostname()) return false;
  // Same host: a container restarted in place has our pid (1) again, and a dead pid is gone.
  return holder.pid === process.pid || !processAlive(holder.pid);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
