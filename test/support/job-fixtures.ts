/** A migrated schema on the run's PostgreSQL, and job runners over it with short timings for tests. */
import { Registry } from 'prom-client';
import type { Clock } from '../../src/runtime/clock.js';
import { silentLogger } from '../../src/runtime/logger.js';
import { storeSettings } from '../../src/storage/connection-settings.js';
import type { Database } from '../../src/storage/database.js';
import { migrate } from '../../src/storage/migrate.js';
import { PostgresDatabase } from '../../src/storage/postgres-database.js';
import { JobKinds, type JobHandler, type JobKind } from '../../src/storage/jobs/job-kind.js';
import { StoreJobQueue } from '../../src/storage/jobs/job-queue.js';
import { JobRunner, type JobRunnerOptions } from '../../src/storage/jobs/job-runner.js';
import { sharedDatabaseUrl, uniqueSchema } from './shared-postgres.js';

export interface TestStore {
  readonly db: Database;
  readonly schema: string;
  /** What the runner, scheduler and queue take as their store. */
  readonly store: {
    onReady(listener: (db: Database) => void): () => void;
    database: Database;
    status: string;
  };
}

export function postgresAt(url: string, schema: string, poolSize = 10): PostgresDatabase {
  const settings = storeSettings(
    {
      databaseUrl: url,
      databasePoolSize: poolSize,
      databaseStatementTimeoutMs: 30_000,
      databaseSchema: schema,
      embeddedDataDir: '',
    },
    () => '',
  );
  if (settings.kind !== 'postgres') throw new Error('expected PostgreSQL settings');
  return new PostgresDatabase(settings, silentLogger);
}

export function storeOf(db: Database, schema: string): TestStore {
  return {
    db,
    schema,
    store: {
      onReady(listener) {
        listener(db);
        return () => undefined;
      },
      database: db,
      status: 'ready',
    },
  };
}

/** A fresh schema on the shared server (or `url`), migrated. */
export async function migratedStore(prefix: string, url?: string): Promise<TestStore> {
  const schema = uniqueSchema(prefix);
  const db = postgresAt(url ?? (await sharedDatabaseUrl()), schema);
  await migrate(db, { schema, logger: silentLogger });
  return storeOf(db, schema);
}

export function testKind(name: string, handler: JobHandler, overrides: Partial<JobKind> = {}): JobKind {
  return {
    name,
    description: `test kind ${name}`,
    handler,
    timeoutMs: 10_000,
    retry: { maxAttempts: 3, backoffInitialMs: 50, backoffMaxMs: 200 },
    ...overrides,
  };
}

export function testRunner(
  test: TestStore,
  kinds: JobKinds,
  options: Partial<JobRunnerOptions> & { clock?: Clock } = {},
): JobRunner {
  return new JobRunner({
    kinds,
    store: test.store,
    schema: test.schema,
    workers: 5,
    logger: silentLogger,
    registry: new Registry(),
    pollMs: 50,
    leaseMs: 3_000,
    shutdownGraceMs: 1_000,
    ...options,
  });
}

export function testQueue(test: TestStore, kinds: JobKinds, runner?: JobRunner): StoreJobQueue {
  return new StoreJobQueue({
    kinds,
    store: test.store,
    schema: test.schema,
    onEnqueued: () => runner?.wake(),
  });
}

/** Polls `check` until it holds or `timeoutMs` passes; no fixed sleeps. */
export async function eventually<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  what: string,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
