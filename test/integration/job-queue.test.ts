import { expect } from 'chai';
import { Registry } from 'prom-client';
import { FakeClock } from '../../src/runtime/clock.js';
import { silentLogger } from '../../src/runtime/logger.js';
import { JobKinds } from '../../src/storage/jobs/job-kind.js';
import { Scheduler } from '../../src/storage/jobs/scheduler.js';
import { StoreJobQueue } from '../../src/storage/jobs/job-queue.js';
import { QueueJobRegistry } from '../../src/grpc/queue-job-registry.js';
import type { StatusError } from '../../src/grpc/status-error.js';
import { status } from '@grpc/grpc-js';
import {
  eventually,
  migratedStore,
  testKind,
  testQueue,
  testRunner,
  type TestStore,
} from '../support/job-fixtures.js';

describe('job queue (real PostgreSQL)', function () {
  this.timeout(60_000);
  let test: TestStore;
  const cleanups: (() => Promise<void>)[] = [];

  beforeEach(async () => {
    test = await migratedStore('jobs');
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    await test.db.close();
  });

  function started(kinds: JobKinds, options: Parameters<typeof testRunner>[2] = {}) {
    const runner = testRunner(test, kinds, options);
    cleanups.push(() => runner.stop());
    void runner.start();
    return runner;
  }

  it('keeps a job enqueued while no runner runs, and runs it once when one starts', async () => {
    const runs: string[] = [];
    const kinds = new JobKinds().register(
      testKind('test.echo', ({ payload }) => {
        runs.push(JSON.stringify(payload));
        return Promise.resolve();
      }),
    );
    const { job, created } = await testQueue(test, kinds).enqueue({
      kind: 'test.echo',
      target: 'ns/a',
      payload: { n: 1 },
    });
    expect(created).to.equal(true);
    expect(job).to.deep.include({ state: 'queued', attempts: 0, maxAttempts: 3, target: 'ns/a' });

    started(kinds);
    const done = await eventually(async () => {
      const current = await testQueue(test, kinds).get(job.id);
      return current?.state === 'succeeded' ? current : undefined;
    }, 'the job to succeed');
    expect(done).to.deep.include({ attempts: 1, lastError: null, lockedBy: null });
    expect(done.finishedAt).to.be.instanceOf(Date);
    expect(runs).to.deep.equal(['{"n":1}']);
  });

  it('retries a failing job with exponential back-off, then succeeds', async () => {
    const attempts: { attempt: number; at: number }[] = [];
    const kinds = new JobKinds().register(
      testKind(
        'test.flaky',
        ({ attempt }) => {
          attempts.push({ attempt, at: Date.now() });
          return attempt < 3 ? Promise.reject(new Error(`flake ${attempt}`)) : Promise.resolve();
        },
        { retry: { maxAttempts: 5, backoffInitialMs: 200, backoffMaxMs: 10_000 } },
      ),
    );
    const registry = new Registry();
    const runner = started(kinds, { registry, random: () => 0 });
    const { job } = await testQueue(test, kinds, runner).enqueue({ kind: 'test.flaky' });
    const done = await eventually(async () => {
      const current = await testQueue(test, kinds).get(job.id);
      return current?.state === 'succeeded' ? current : undefined;
    }, 'the flaky job to succeed');
    expect(done.attempts).to.equal(3);
    expect(done.lastError).to.equal('flake 2');
    expect(attempts.map((a) => a.attempt)).to.deep.equal([1, 2, 3]);
    // Back-off 200 ms, then 400 ms: the gaps are at least that (they may be longer on a busy machine).
    expect(attempts[1]!.at - attempts[0]!.at).to.be.at.least(200);
    expect(attempts[2]!.at - attempts[1]!.at).to.be.at.least(400);
    const metrics = await registry.getSingleMetricAsString('gateway_worker_jobs_total');
    expect(metrics).to.include('gateway_worker_jobs_total{kind="test.flaky",outcome="retried"} 2');
    expect(metrics).to.include('gateway_worker_jobs_total{kind="test.flaky",outcome="succeeded"} 1');
  });

  it('declares a job dead when its attempts are used up, keeping the last error', async () => {
    const kinds = new JobKinds().register(
      testKind('test.broken', () => Promise.reject(new Error('the upstream answered 500'))),
    );
    const registry = new Registry();
    const runner = started(kinds, { registry });
    const { job } = await testQueue(test, kinds, runner).enqueue({ kind: 'test.broken' });
    const dead = await eventually(async () => {
      const current = await testQueue(test, kinds).get(job.id);
      return current?.state === 'dead' ? current : undefined;
    }, 'the job to die');
    expect(dead).to.deep.include({ attempts: 3, lastError: 'the upstream answered 500' });
    expect(await registry.getSingleMetricAsString('gateway_worker_jobs_total')).to.include(
      'gateway_worker_jobs_total{kind="test.broken",outcome="dead"} 1',
    );
    expect(await testQueue(test, kinds).list({ state: 'dead' })).to.have.length(1);
  });

  it('keeps one unfinished job per singleton key, and never runs two at once', async () => {
    let running = 0;
    let most = 0;
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const kinds = new JobKinds().register(
      testKind('test.renew', async () => {
        running += 1;
        most = Math.max(most, running);
        await gate;
        running -= 1;
      }),
    );
    const queue = testQueue(test, kinds);
    const first = await queue.enqueue({
      kind: 'test.renew',
      target: 'shop/tls',
      singletonKey: 'renew:shop/tls',
    });
    const second = await queue.enqueue({
      kind: 'test.renew',
      target: 'shop/tls',
      singletonKey: 'renew:shop/tls',
    });
    expect(second).to.deep.include({ created: false });
    expect(second.job.id).to.equal(first.job.id);

    started(kinds);
    started(kinds);
    await eventually(async () => (await queue.get(first.job.id))?.state === 'running', 'the job to run');
    const whileRunning = await queue.enqueue({ kind: 'test.renew', singletonKey: 'renew:shop/tls' });
    expect(whileRunning.created).to.equal(false);
    release();
    await eventually(async () => (await queue.get(first.job.id))?.state === 'succeeded', 'the job to finish');
    const after = await queue.enqueue({ kind: 'test.renew', singletonKey: 'renew:shop/tls' });
    expect(after.created).to.equal(true);
    await eventually(
      async () => (await queue.get(after.job.id))?.state === 'succeeded',
      'the next one to finish',
    );
    expect(most).to.equal(1);
  });

  it('aborts an attempt at its timeout and retries it', async () => {
    const kinds = new JobKinds().register(
      testKind(
        'test.slow',
        ({ signal, attempt }) =>
          attempt === 1
            ? new Promise((_resolve, reject) =>
                signal.addEventListener('abort', () => reject(signal.reason as Error)),
              )
            : Promise.resolve(),
        { timeoutMs: 300 },
      ),
    );
    const runner = started(kinds);
    const { job } = await testQueue(test, kinds, runner).enqueue({ kind: 'test.slow' });
    const done = await eventually(async () => {
      const current = await testQueue(test, kinds).get(job.id);
      return current?.state === 'succeeded' ? current : undefined;
    }, 'the slow job to succeed on its second attempt');
    expect(done).to.deep.include({ attempts: 2, lastError: 'timed out after 300 ms' });
  });

  it('cancels a queued job at once and a running one through its signal', async () => {
    let sawAbort = false;
    const kinds = new JobKinds().register(
      testKind(
        'test.wait',
        ({ signal }) =>
          new Promise((_resolve, reject) =>
            signal.addEventListener('abort', () => {
              sawAbort = true;
              reject(signal.reason as Error);
            }),
          ),
      ),
    );
    const queue = testQueue(test, kinds);
    const later = await queue.enqueue({ kind: 'test.wait', runAt: new Date(Date.now() + 3_600_000) });
    expect(await queue.cancel(later.job.id)).to.deep.include({ outcome: 'cancelled' });
    expect((await queue.get(later.job.id))?.state).to.equal('cancelled');

    started(kinds, { leaseMs: 600 });
    const now = await queue.enqueue({ kind: 'test.wait' });
    await eventually(async () => (await queue.get(now.job.id))?.state === 'running', 'the job to run');
    expect(await queue.cancel(now.job.id)).to.deep.include({ outcome: 'cancel-requested' });
    const cancelled = await eventually(async () => {
      const current = await queue.get(now.job.id);
      return current?.state === 'cancelled' ? current : undefined;
    }, 'the running job to be cancelled');
    expect(sawAbort).to.equal(true);
    expect(cancelled.attempts).to.equal(1);
    expect(await queue.cancel(now.job.id)).to.deep.include({ outcome: 'already-finished' });
    expect(await queue.cancel('00000000-0000-4000-8000-000000000000')).to.deep.equal({
      outcome: 'not-found',
    });
  });

  it('gives every job to exactly one of several runners (SKIP LOCKED)', async () => {
    const seen = new Map<string, number>();
    const kinds = new JobKinds().register(
      testKind('test.count', ({ id }) => {
        seen.set(id, (seen.get(id) ?? 0) + 1);
        return Promise.resolve();
      }),
    );
    const queue = testQueue(test, kinds);
    const ids = await Promise.all(
      Array.from({ length: 150 }, async () => (await queue.enqueue({ kind: 'test.count' })).job.id),
    );
    started(kinds);
    started(kinds);
    started(kinds);
    await eventually(
      async () => (await queue.list({ state: 'succeeded', limit: 1000 })).length === 150,
      'all jobs to finish',
    );
    expect([...seen.keys()].sort()).to.deep.equal([...ids].sort());
    expect([...seen.values()].every((count) => count === 1)).to.equal(true);
  });

  it('hands a running job back at shutdown without spending an attempt', async () => {
    const kinds = new JobKinds().register(
      testKind(
        'test.long',
        ({ signal }) =>
          new Promise((_r, reject) => signal.addEventListener('abort', () => reject(new Error('stopped')))),
      ),
    );
    const runner = testRunner(test, kinds, { shutdownGraceMs: 100 });
    await runner.start();
    const { job } = await testQueue(test, kinds, runner).enqueue({ kind: 'test.long' });
    await eventually(
      async () => (await testQueue(test, kinds).get(job.id))?.state === 'running',
      'the job to run',
    );
    await runner.stop();
    expect(await testQueue(test, kinds).get(job.id)).to.deep.include({
      state: 'queued',
      attempts: 0,
      lockedBy: null,
    });
  });

  it('refuses an unknown kind and says which kinds exist', async () => {
    const kinds = new JobKinds().register(testKind('test.echo', () => Promise.resolve()));
    let message = '';
    await testQueue(test, kinds)
      .enqueue({ kind: 'test.nope' })
      .catch((err: unknown) => (message = (err as Error).message));
    expect(message).to.equal('unknown job kind "test.nope"; the kinds are test.echo');
  });

  it('serves ListJobs from the queue: proto fields, filters, and clear gRPC errors', async () => {
    const kinds = new JobKinds().register(testKind('test.echo', () => Promise.resolve()));
    const queue = testQueue(test, kinds);
    const { job } = await queue.enqueue({ kind: 'test.echo', target: 'ns/a' });
    const registry = new QueueJobRegistry(queue);
    const [listed] = await registry.list({ state: 'queued', kind: 'test.echo', limit: 0 });
    expect(listed).to.deep.include({
      id: job.id,
      kind: 'test.echo',
      target: 'ns/a',
      state: 'queued',
      message: '',
      startedUnix: 0,
      attempts: 0,
      maxAttempts: 3,
      finishedUnix: 0,
      schedule: '',
    });
    expect(listed!.createdUnix).to.equal(Math.floor(job.createdAt.getTime() / 1000));
    expect(await registry.list({ state: 'dead' })).to.deep.equal([]);
    const bad = await registry.list({ state: 'failed' }).catch((err: unknown) => err as StatusError);
    expect(bad).to.deep.include({ code: status.INVALID_ARGUMENT });
    const down = new QueueJobRegistry(
      new StoreJobQueue({ kinds, store: { database: undefined, status: 'connecting' }, schema: test.schema }),
    );
    const unavailable = await down.list().catch((err: unknown) => err as StatusError);
    expect(unavailable).to.deep.include({
      code: status.UNAVAILABLE,
      message: 'the job store is not available: connecting',
    });
  });

  describe('schedules', () => {
    const at = (iso: string): number => Date.parse(iso);

    function scheduler(kinds: JobKinds, clock: FakeClock): Scheduler {
      const s = new Scheduler({ kinds, store: test.store, schema: test.schema, logger: silentLogger, clock });
      cleanups.push(() => s.stop());
      void s.start();
      return s;
    }

    it('runs missed occurrences once after a restart, and keeps the stored next run across it', async () => {
      const kinds = new JobKinds()
        .register(testKind('test.report', () => Promise.resolve()))
        .schedule({ name: 'hourly-report', cron: '0 * * * *', kind: 'test.report', target: 'reports/daily' });
      const clock = new FakeClock(at('2026-03-01T10:30:00Z'));
      const first = scheduler(kinds, clock);
      expect(await first.tick()).to.equal(0);
      clock.advance(40 * 60_000); // 11:10: the 11:00 run is due
      expect(await first.tick()).to.equal(1);
      await first.stop();
      // That run ends (here by a cancel), so the schedule's singleton key is free again.
      const [ran] = await testQueue(test, kinds).list({ kind: 'test.report' });
      await testQueue(test, kinds).cancel(ran!.id);

      // The leader is gone for five hours; a new one starts at 16:10.
      clock.advance(5 * 3_600_000);
      const second = scheduler(kinds, clock);
      expect(await second.tick()).to.equal(1);
      expect(await second.tick()).to.equal(0);
      const jobs = await testQueue(test, kinds).list({ kind: 'test.report' });
      expect(jobs.map((j) => j.schedule)).to.deep.equal(['hourly-report', 'hourly-report']);
      expect(jobs.map((j) => j.target)).to.deep.equal(['reports/daily', 'reports/daily']);
      const stored = await test.db.query<{ next_run_at: Date }>(
        `SELECT next_run_at FROM "${test.schema}".schedules WHERE name = 'hourly-report'`,
      );
      expect(stored.rows[0]?.next_run_at.toISOString()).to.equal('2026-03-01T17:00:00.000Z');
    });

    it('skips an occurrence while the previous run of the schedule is unfinished', async () => {
      const kinds = new JobKinds()
        .register(testKind('test.backup', () => Promise.resolve()))
        .schedule({ name: 'backup', cron: '*/5 * * * *', kind: 'test.backup' });
      const clock = new FakeClock(at('2026-03-01T10:01:00Z'));
      const s = scheduler(kinds, clock);
      await s.tick();
      clock.advance(5 * 60_000);
      expect(await s.tick()).to.equal(1);
      clock.advance(5 * 60_000);
      expect(await s.tick()).to.equal(0);
      expect(await testQueue(test, kinds).list({ kind: 'test.backup' })).to.have.length(1);
    });

    it('refuses a schedule whose cron expression does not parse, when it is declared', () => {
      const kinds = new JobKinds().register(testKind('test.x', () => Promise.resolve()));
      expect(() => kinds.schedule({ name: 'bad', cron: '0 25 * * *', kind: 'test.x' })).to.throw(
        /schedule "bad": cron "0 25 \* \* \*" must be a cron expression of five fields/,
      );
    });
  });
});
