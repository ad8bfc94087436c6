import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { LocalPostgres } from '../../src/envtest/postgres.js';
import type { LogFields, Logger } from '../../src/runtime/logger.js';
import { silentLogger } from '../../src/runtime/logger.js';
import { JobKinds } from '../../src/storage/jobs/job-kind.js';
import { migrate, SchemaTooNewError } from '../../src/storage/migrate.js';
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from '../../src/storage/migrations.js';
import { Store } from '../../src/storage/store.js';
import {
  eventually,
  migratedStore,
  postgresAt,
  storeOf,
  testKind,
  testQueue,
  testRunner,
} from '../support/job-fixtures.js';
import { sharedDatabaseUrl, uniqueSchema } from '../support/shared-postgres.js';

const CHILD = fileURLToPath(new URL('../support/job-runner-child.ts', import.meta.url));

function recordingLogger(lines: { level: string; msg: string; fields: LogFields }[]): Logger {
  const write =
    (level: string) =>
    (msg: string, fields: LogFields = {}) =>
      void lines.push({ level, msg, fields });
  const logger: Logger = {
    error: write('error'),
    warn: write('warn'),
    info: write('info'),
    debug: write('debug'),
    child: () => logger,
  };
  return logger;
}

function storeFor(url: string, schema: string, logger: Logger = silentLogger): Store {
  return new Store({
    config: {
      databaseUrl: url,
      databasePoolSize: 4,
      databaseStatementTimeoutMs: 10_000,
      databaseSchema: schema,
      embeddedDataDir: '',
    },
    logger,
    retry: { initialMs: 100, maxMs: 400 },
  });
}

describe('storage faults (real PostgreSQL)', function () {
  this.timeout(90_000);

  it('lets several replicas migrate at once: one applies each migration, the others wait and find it done', async () => {
    const url = await sharedDatabaseUrl();
    const schema = uniqueSchema('race');
    const replicas = Array.from({ length: 4 }, () => postgresAt(url, schema, 2));
    try {
      const results = await Promise.all(replicas.map((db) => migrate(db, { schema, logger: silentLogger })));
      expect(results.filter((r) => r.applied.length > 0)).to.have.length(1);
      expect(results.map((r) => r.to)).to.deep.equal([1, 1, 1, 1].map(() => LATEST_SCHEMA_VERSION));
      const rows = await replicas[0]!.query<{ version: number }>(
        `SELECT version FROM "${schema}".schema_migrations`,
      );
      expect(rows.rows.map((r) => r.version).sort((a, b) => a - b)).to.deep.equal(
        MIGRATIONS.map((m) => m.version),
      );
    } finally {
      await Promise.all(replicas.map((db) => db.close()));
    }
  });

  it('refuses a schema newer than the code, says what to do, and does not retry', async () => {
    const test = await migratedStore('newer');
    await test.db.query(
      `INSERT INTO "${test.schema}".schema_migrations (version, name) VALUES ($1, 'from the future')`,
      [LATEST_SCHEMA_VERSION + 1],
    );
    let error: unknown;
    await migrate(test.db, { schema: test.schema, logger: silentLogger }).catch(
      (err: unknown) => (error = err),
    );
    expect(error).to.be.instanceOf(SchemaTooNewError);
    expect((error as Error).message).to.equal(
      `the database schema ${test.schema} is at version ${LATEST_SCHEMA_VERSION + 1}, newer than this gateway-worker knows (${LATEST_SCHEMA_VERSION}): ` +
        'a newer release migrated it. Run that release (or newer), or restore the database from a backup taken ' +
        'before the upgrade; this version will not touch it',
    );

    const lines: { level: string; msg: string; fields: LogFields }[] = [];
    const store = storeFor(await sharedDatabaseUrl(), test.schema, recordingLogger(lines));
    await store.start();
    await eventually(() => store.readiness() !== 'connecting', 'the store to give up');
    expect(store.readiness()).to.match(
      new RegExp(`^the database schema .* is at version ${LATEST_SCHEMA_VERSION + 1}`),
    );
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(lines.filter((l) => l.level === 'error')).to.have.length(1);
    await store.stop();
    await test.db.close();
  });

  it('says why in /ready while the database is down at start, logs it once, and connects when it comes up', async () => {
    const server = await LocalPostgres.start();
    try {
      await server.stopServer();
      const lines: { level: string; msg: string; fields: LogFields }[] = [];
      const store = storeFor(server.url, uniqueSchema('down'), recordingLogger(lines));
      await store.start();
      const reason = await eventually(() => {
        const r = store.readiness();
        return typeof r === 'string' && r.includes('ECONNREFUSED') ? r : undefined;
      }, 'the readiness to name the refusal');
      expect(reason).to.match(
        new RegExp(
          `^cannot use postgres://postgres@127\\.0\\.0\\.1:${server.port}/postgres: .*ECONNREFUSED.*; retrying in \\d+ s$`,
        ),
      );
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect(lines.filter((l) => l.level === 'error').map((l) => l.msg)).to.have.length(1);

      await server.startServer();
      await eventually(() => store.readiness() === true, 'the store to become ready');
      expect(lines.some((l) => l.msg === 'database ready')).to.equal(true);
      await store.stop();
    } finally {
      await server.stop();
    }
  });

  it('refuses a malformed DATABASE_URL once, in /ready, without retrying or printing the password', async () => {
    const lines: { level: string; msg: string; fields: LogFields }[] = [];
    const store = storeFor('postgres://gw:s3cret@db.internal:99999/gw', 'gw', recordingLogger(lines));
    await store.start();
    expect(store.readiness()).to.equal(
      'invalid configuration: DATABASE_URL=postgres://***@db.internal:99999/gw: not a URL; must look like postgres://user:password@host:5432/database',
    );
    expect(JSON.stringify(lines)).not.to.include('s3cret');
    await store.stop();
  });

  it('retries a job whose database went away in the middle of it, once the database is back', async () => {
    const server = await LocalPostgres.start();
    const test = await migratedStore('midjob', server.url);
    let firstStarted: () => void = () => undefined;
    const started = new Promise<void>((resolve) => (firstStarted = resolve));
    let finishFirst: () => void = () => undefined;
    const firstMayFinish = new Promise<void>((resolve) => (finishFirst = resolve));
    const attempts: number[] = [];
    const kinds = new JobKinds().register(
      testKind('test.rollup', async ({ attempt }) => {
        attempts.push(attempt);
        if (attempt === 1) {
          firstStarted();
          await firstMayFinish;
        }
      }),
    );
    const runner = testRunner(test, kinds, { leaseMs: 1_500 });
    try {
      await runner.start();
      const { job } = await testQueue(test, kinds, runner).enqueue({ kind: 'test.rollup' });
      await started;
      await server.stopServer();
      finishFirst(); // its outcome cannot be recorded: the database is down
      await new Promise((resolve) => setTimeout(resolve, 500));
      await server.startServer();
      const done = await eventually(
        async () => {
          const current = await testQueue(test, kinds)
            .get(job.id)
            .catch(() => undefined);
          return current?.state === 'succeeded' ? current : undefined;
        },
        'the job to run again and succeed',
        30_000,
      );
      expect(done.attempts).to.equal(2);
      expect(attempts).to.deep.equal([1, 2]);
    } finally {
      await runner.stop();
      await test.db.close();
      await server.stop();
    }
  });

  it('resumes, once, a job whose process was killed with SIGKILL, after its lease expires', async () => {
    const test = await migratedStore('sigkill');
    const dir = mkdtempSync(join(tmpdir(), 'gateway-worker-sigkill-'));
    const marker = join(dir, 'claimed');
    const runs: number[] = [];
    const kinds = new JobKinds().register(
      testKind('test.sigkill', ({ attempt }) => {
        runs.push(attempt);
        return Promise.resolve();
      }),
    );
    const { job } = await testQueue(test, kinds).enqueue({ kind: 'test.sigkill' });
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
      env: {
        ...process.env,
        DATABASE_URL: await sharedDatabaseUrl(),
        SCHEMA: test.schema,
        MARKER_FILE: marker,
        LEASE_MS: '1500',
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    const runner = testRunner(test, kinds);
    try {
      await eventually(() => existsSync(marker), 'the child to start the job', 30_000);
      expect(readFileSync(marker, 'utf8')).to.equal(job.id);
      const held = await testQueue(test, kinds).get(job.id);
      expect(held).to.deep.include({ state: 'running', attempts: 1, lockedBy: `child-${child.pid}` });
      child.kill('SIGKILL');
      await exited;

      await runner.start();
      const done = await eventually(async () => {
        const current = await testQueue(test, kinds).get(job.id);
        return current?.state === 'succeeded' ? current : undefined;
      }, 'another runner to take the job over after the lease');
      expect(done.attempts).to.equal(2);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(runs).to.deep.equal([2]);
    } finally {
      child.kill('SIGKILL');
      await runner.stop();
      await test.db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('uses the same schema and queries on the embedded store (PGlite in a worker thread)', async function () {
    this.timeout(180_000);
    const dir = mkdtempSync(join(tmpdir(), 'gateway-worker-embedded-'));
    const store = new Store({
      config: {
        databasePoolSize: 1,
        databaseStatementTimeoutMs: 10_000,
        databaseSchema: 'gateway_worker',
        embeddedDataDir: dir,
      },
      logger: silentLogger,
    });
    try {
      await store.start();
      const db = await store.ready();
      expect(db.kind).to.equal('embedded');
      const test = storeOf(db, 'gateway_worker');
      const kinds = new JobKinds().register(
        testKind('test.flaky', ({ attempt }) =>
          attempt < 2 ? Promise.reject(new Error('once')) : Promise.resolve(),
        ),
      );
      const runner = testRunner(test, kinds);
      await runner.start();
      const queue = testQueue(test, kinds, runner);
      const { job } = await queue.enqueue({ kind: 'test.flaky', singletonKey: 'k' });
      expect((await queue.enqueue({ kind: 'test.flaky', singletonKey: 'k' })).created).to.equal(false);
      const done = await eventually(
        async () => {
          const current = await queue.get(job.id);
          return current?.state === 'succeeded' ? current : undefined;
        },
        'the job to succeed on the embedded store',
        60_000,
      );
      expect(done).to.deep.include({ attempts: 2, lastError: 'once' });
      await runner.stop();

      // A second process on the same directory is refused while the first holds it.
      const second = new Store({
        config: {
          databasePoolSize: 1,
          databaseStatementTimeoutMs: 10_000,
          databaseSchema: 'gateway_worker',
          embeddedDataDir: dir,
        },
        logger: silentLogger,
        retry: { initialMs: 60_000, maxMs: 60_000 },
      });
      await second.start();
      await eventually(() => second.readiness() !== 'connecting', 'the second store to be refused');
      expect(second.readiness()).to.match(
        /^the embedded store in .* is already open in this process; retrying in 60 s$/,
      );
      await second.stop();
    } finally {
      await store.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
