/**
 * `npm run bench jobs`: trivial jobs claimed and completed per second by one runner with 5
 * workers, on a real PostgreSQL (durable settings: fsync and synchronous commit on) and on the
 * embedded store (PGlite in a worker thread), with the main thread's event-loop delay and the
 * process RSS while the queue drains. Jobs are enqueued first; the clock runs from the runner's
 * start to the last completion, counted from the runner's own metric (no extra queries).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Registry } from 'prom-client';
import { LocalPostgres } from '../src/envtest/postgres.js';
import { silentLogger } from '../src/runtime/logger.js';
import type { Database } from '../src/storage/database.js';
import { JobKinds } from '../src/storage/jobs/job-kind.js';
import { StoreJobQueue } from '../src/storage/jobs/job-queue.js';
import { JobRunner } from '../src/storage/jobs/job-runner.js';
import { Store } from '../src/storage/store.js';
import { loadAverage } from './operator-in-process.js';
import { fmt, median, percentile, rssMiB } from './stats.js';

const WORKERS = 5;
const RUNS = 3;

interface Run {
  readonly jobsPerSecond: number;
  readonly lagP99Ms: number;
  readonly lagMaxMs: number;
  readonly rssMiB: number;
}

async function openStore(config: ConstructorParameters<typeof Store>[0]['config']): Promise<Store> {
  const store = new Store({ config, logger: silentLogger });
  await store.start();
  await store.ready();
  return store;
}

async function drain(db: Database, schema: string, jobs: number): Promise<Run> {
  const kinds = new JobKinds().register({
    name: 'bench.noop',
    description: 'does nothing',
    handler: () => Promise.resolve(),
    timeoutMs: 60_000,
    retry: { maxAttempts: 1, backoffInitialMs: 1_000, backoffMaxMs: 1_000 },
  });
  const store = {
    onReady: (listener: (d: Database) => void) => (listener(db), () => undefined),
    database: db,
    status: 'ready',
  };
  const queue = new StoreJobQueue({ kinds, store, schema });
  // Enqueued ahead, 20 at a time, outside the measurement.
  for (let i = 0; i < jobs; i += 20) {
    await Promise.all(
      Array.from({ length: Math.min(20, jobs - i) }, () => queue.enqueue({ kind: 'bench.noop' })),
    );
  }
  const registry = new Registry();
  const runner = new JobRunner({
    kinds,
    store,
    schema,
    workers: WORKERS,
    logger: silentLogger,
    registry,
    pollMs: 100,
  });
  const lag = monitorEventLoopDelay({ resolution: 10 });
  let rss = rssMiB();
  const counter = async (): Promise<number> =>
    (await registry.getSingleMetric('gateway_worker_jobs_total')?.get())?.values.reduce(
      (sum, v) => sum + v.value,
      0,
    ) ?? 0;
  lag.enable();
  const start = performance.now();
  await runner.start();
  while ((await counter()) < jobs) {
    rss = Math.max(rss, rssMiB());
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const seconds = (performance.now() - start) / 1000;
  lag.disable();
  await runner.stop();
  await db.query(`DELETE FROM "${schema}".jobs`);
  return {
    jobsPerSecond: jobs / seconds,
    lagP99Ms: lag.percentile(99) / 1e6,
    lagMaxMs: lag.max / 1e6,
    rssMiB: rss,
  };
}

function row(name: string, jobs: number, runs: readonly Run[]): string {
  const rates = runs.map((r) => r.jobsPerSecond);
  return [
    name,
    fmt(jobs),
    `${fmt(median(rates))} (min ${fmt(Math.min(...rates))})`,
    `${fmt(median(runs.map((r) => r.lagP99Ms)), 1)} / ${fmt(Math.max(...runs.map((r) => r.lagMaxMs)), 1)}`,
    fmt(
      percentile(
        runs.map((r) => r.rssMiB),
        100,
      ),
    ),
  ].join(' | ');
}

export async function jobsBenchmark(): Promise<string[]> {
  const lines = [
    `${WORKERS} workers, one runner, trivial jobs (the handler returns at once); ${RUNS} runs each, load average before: ${loadAverage()}.`,
    '',
    '| store | jobs per run | jobs/s, median (min) | event-loop delay p99 (median) / max, ms | RSS max, MiB |',
    '| --- | --- | --- | --- | --- |',
  ];
  const base = { databasePoolSize: 10, databaseStatementTimeoutMs: 30_000, databaseSchema: 'gateway_worker' };

  // Durable as in production, then with the tests' settings (no fsync) to show what the disk costs.
  for (const durable of [true, false]) {
    const postgres = await LocalPostgres.start({ durable });
    try {
      const store = await openStore({ ...base, databaseUrl: postgres.url, embeddedDataDir: '' });
      const db = await store.ready();
      const runs: Run[] = [];
      for (let i = 0; i < RUNS; i++) runs.push(await drain(db, 'gateway_worker', 5_000));
      const name = durable ? 'PostgreSQL 15, fsync on' : 'PostgreSQL 15, fsync off (test settings)';
      lines.push(`| ${row(name, 5_000, runs)} |`);
      await store.stop();
    } finally {
      await postgres.stop();
    }
  }

  const dir = mkdtempSync(join(tmpdir(), 'gateway-worker-bench-embedded-'));
  try {
    const store = await openStore({ ...base, embeddedDataDir: dir });
    const db = await store.ready();
    const runs: Run[] = [];
    for (let i = 0; i < RUNS; i++) runs.push(await drain(db, 'gateway_worker', 1_000));
    lines.push(`| ${row('embedded (PGlite 0.5, worker thread)', 1_000, runs)} |`);
    await store.stop();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  lines.push(
    '',
    `Load average after: ${loadAverage()} (1 / 5 / 15 min; the 2-core machine is shared, so figures vary between runs).`,
  );
  return lines;
}
