/**
 * Child processes of the local control plane that must never outlive us: every process and
 * temp folder started here is killed and removed when this process exits, on Ctrl-C and on
 * SIGTERM, even when a test fails half-way.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const REAPER = fileURLToPath(new URL('./reaper.sh', import.meta.url));

const liveChildren = new Set<ChildProcess>();
const liveDirs = new Set<string>();
let hooksInstalled = false;

function cleanupNow(): void {
  for (const child of liveChildren) {
    try {
      child.stdin?.destroy();
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  liveChildren.clear();
  for (const dir of liveDirs) rmSync(dir, { recursive: true, force: true });
  liveDirs.clear();
}

function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', cleanupNow);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      // A program with its own handler (the demo, the cluster command) stops gracefully itself.
      if (process.listenerCount(signal) > 1) return;
      cleanupNow();
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  }
}

/** Removes `dir` when this process exits, unless released earlier by {@link releaseTempDir}. */
export function trackTempDir(dir: string): void {
  installExitHooks();
  liveDirs.add(dir);
}

export function releaseTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  liveDirs.delete(dir);
}

/** Leaves `dir` in place at exit (for a control plane that must outlive this command). */
export function keepTempDir(dir: string): void {
  liveDirs.delete(dir);
}

export class ManagedProcess {
  readonly exited: Promise<number | null>;
  private exitCode: number | null | undefined;

  private constructor(
    readonly name: string,
    readonly child: ChildProcess,
    readonly logFile: string,
  ) {
    this.exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        liveChildren.delete(child);
        this.exitCode = code ?? (signal ? null : 0);
        resolve(this.exitCode);
      });
    });
  }

  /** Starts `binary` with stdout and stderr appended to `logFile`. */
  static start(
    name: string,
    binary: string,
    args: readonly string[],
    logFile: string,
    options: { detached?: boolean } = {},
  ): ManagedProcess {
    installExitHooks();
    const fd = openSync(logFile, 'a');
    try {
      // A detached process must outlive us; any other runs under the reaper, which kills it
      // when our end of its stdin closes, so not even a SIGKILL of this process leaks it. Both
      // get their own process group: a Ctrl-C reaches this process only, which stops them in
      // order (the operator before its database), instead of everything at once.
      const child = options.detached
        ? spawn(binary, args, { stdio: ['ignore', fd, fd], detached: true })
        : spawn('bash', [REAPER, binary, ...args], { stdio: ['pipe', fd, fd], detached: true });
      if (options.detached) child.unref();
      else liveChildren.add(child);
      return new ManagedProcess(name, child, logFile);
    } finally {
      closeSync(fd);
    }
  }

  get running(): boolean {
    return this.exitCode === undefined;
  }

  /** SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs = 5_000): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    // Closing the reaper's stdin makes it SIGKILL the real process; the reaper itself follows.
    const timer = setTimeout(() => {
      this.child.stdin?.destroy();
      this.child.kill('SIGKILL');
    }, graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** The last lines the process printed, for error messages. */
  logTail(lines = 20): string {
    try {
      return readFileSync(this.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  }
}
