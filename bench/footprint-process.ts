/**
 * The footprint benchmark's view of one child process (the operator or an agent, started through
 * the real CLI entry as the image runs it): its resident memory from /proc (VmRSS now, VmHWM the
 * peak, which clear_refs resets so each phase has its own peak) and its V8 heap through the probe
 * preloaded into it (footprint-probe.mjs). Also builds the CLI the way the image does (tsc into a
 * dist/ beside bin/ and package.json), so the figures are those of compiled JavaScript, not tsx.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const PROBE = fileURLToPath(new URL('./footprint-probe.mjs', import.meta.url));
/** Inside node_modules so the compiled files resolve the repository's dependencies. */
export const BUILD_DIR = join(REPO, 'node_modules', '.cache', 'gateway-worker-footprint');

/** Compiles src/ as the Dockerfile does; returns the folder holding bin/, dist/ and package.json. */
export async function buildCli(): Promise<string> {
  rmSync(BUILD_DIR, { recursive: true, force: true });
  mkdirSync(join(BUILD_DIR, 'bin'), { recursive: true });
  const dist = join(BUILD_DIR, 'dist');
  await promisify(execFile)(
    process.execPath,
    [
      join(REPO, 'node_modules/typescript/bin/tsc'),
      '-p',
      join(REPO, 'tsconfig.build.json'),
      '--outDir',
      dist,
    ],
    { cwd: REPO },
  );
  cpSync(join(REPO, 'src/generated/gateway-worker.binpb'), join(dist, 'generated/gateway-worker.binpb'));
  cpSync(join(REPO, 'bin/gateway-worker.js'), join(BUILD_DIR, 'bin/gateway-worker.js'));
  cpSync(join(REPO, 'package.json'), join(BUILD_DIR, 'package.json'));
  return BUILD_DIR;
}

export interface Memory {
  /** MiB. */
  readonly rss: number;
  readonly heapUsed: number;
  readonly heapTotal: number;
  readonly external: number;
}

export interface Peak {
  /** Peak RSS (VmHWM) and heap (the probe's 100 ms samples) since the last reset, MiB. */
  readonly rss: number;
  readonly heapUsed: number;
  readonly heapTotal: number;
}

interface ProbeReport {
  readonly seq: number;
  readonly now?: Record<'rss' | 'heapUsed' | 'heapTotal' | 'external' | 'arrayBuffers', number>;
  readonly peak?: Record<'heapUsed' | 'heapTotal' | 'external' | 'arrayBuffers', number>;
  readonly snapshot?: string;
}

const MiB = (bytes: number): number => bytes / 1024 / 1024;

export class CliProcess {
  private seq = 0;
  private exited = false;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
    private readonly probeFile: string,
    readonly logFile: string,
  ) {
    child.once('exit', () => (this.exited = true));
  }

  /**
   * `node [nodeArgs] --import probe bin/gateway-worker.js args`, with `env` over a minimal
   * environment (PATH, NODE_ENV=production as in the image); output goes to `dir`/name.log.
   */
  static start(
    root: string,
    name: string,
    dir: string,
    args: readonly string[],
    env: Readonly<Record<string, string>>,
    nodeArgs: readonly string[] = [],
  ): CliProcess {
    const probeFile = join(dir, `${name}.probe.json`);
    const logFile = join(dir, `${name}.log`);
    const out = openSync(logFile, 'a');
    const snapshotDir = process.env.FOOTPRINT_SNAPSHOT_DIR;
    const child = spawn(
      process.execPath,
      [...nodeArgs, '--import', PROBE, join(root, 'bin/gateway-worker.js'), ...args],
      {
        cwd: dir,
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          HOME: dir,
          NODE_ENV: 'production',
          FOOTPRINT_PROBE_FILE: probeFile,
          ...(snapshotDir ? { FOOTPRINT_SNAPSHOT_DIR: snapshotDir } : {}),
          ...env,
        },
        stdio: ['ignore', out, out],
      },
    );
    return new CliProcess(name, child, probeFile, logFile);
  }

  /** The last lines of its output, for an error message. */
  logTail(lines = 20): string {
    return readFileSync(this.logFile, 'utf8').split('\n').slice(-lines).join('\n');
  }

  get running(): boolean {
    return !this.exited;
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  private status(): Record<string, number> {
    const fields: Record<string, number> = {};
    for (const line of readFileSync(`/proc/${this.pid}/status`, 'utf8').split('\n')) {
      const match = /^(Vm\w+):\s+(\d+) kB/.exec(line);
      if (match?.[1] && match[2]) fields[match[1]] = Number(match[2]) / 1024;
    }
    return fields;
  }

  /** Resident set now, MiB. */
  rss(): number {
    return this.status().VmRSS ?? Number.NaN;
  }

  /** Starts a new peak: the kernel's high-water mark and the probe's heap peaks. */
  async resetPeak(): Promise<void> {
    writeFileSync(`/proc/${this.pid}/clear_refs`, '5');
    await this.probe();
  }

  private async probe(signal: NodeJS.Signals = 'SIGWINCH'): Promise<ProbeReport> {
    const want = ++this.seq;
    this.child.kill(signal);
    const deadline = performance.now() + 120_000;
    while (performance.now() < deadline) {
      if (this.exited) throw new Error(`${this.name} exited; see ${this.logFile}`);
      if (existsSync(this.probeFile)) {
        try {
          const report = JSON.parse(readFileSync(this.probeFile, 'utf8')) as ProbeReport;
          if (report.seq >= want) {
            this.seq = report.seq;
            return report;
          }
        } catch {
          // Read while being written: read again.
        }
      }
      await sleep(20);
    }
    throw new Error(`${this.name} did not answer the memory probe`);
  }

  /** RSS and heap now. */
  async memory(): Promise<Memory> {
    const report = await this.probe();
    const now = report.now;
    if (!now) throw new Error(`${this.name}: no memory in the probe's report`);
    return {
      rss: this.rss(),
      heapUsed: MiB(now.heapUsed),
      heapTotal: MiB(now.heapTotal),
      external: MiB(now.external),
    };
  }

  /** Peaks since the last resetPeak(), then starts new ones. */
  async peak(): Promise<Peak> {
    const hwm = this.status().VmHWM ?? Number.NaN;
    const report = await this.probe();
    const peak = report.peak;
    if (!peak) throw new Error(`${this.name}: no peak in the probe's report`);
    writeFileSync(`/proc/${this.pid}/clear_refs`, '5');
    return { rss: hwm, heapUsed: MiB(peak.heapUsed), heapTotal: MiB(peak.heapTotal) };
  }

  /** With FOOTPRINT_SNAPSHOT_DIR set: a heap snapshot named for the phase; otherwise nothing. */
  async snapshot(phase: string): Promise<void> {
    const dir = process.env.FOOTPRINT_SNAPSHOT_DIR;
    if (!dir) return;
    const report = await this.probe('SIGUSR2');
    if (report.snapshot) cpSync(report.snapshot, join(dir, `${this.name}-${phase}.heapsnapshot`));
    if (report.snapshot) rmSync(report.snapshot);
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }
}
