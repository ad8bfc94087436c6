import { expect } from 'chai';
import { FakeClock } from '../runtime/clock.js';
import { InMemoryJobRegistry } from './job-registry.js';

function registry(limit?: number): InMemoryJobRegistry {
  let next = 0;
  return new InMemoryJobRegistry({ clock: new FakeClock(), limit, newId: () => `job-${++next}` });
}

describe('InMemoryJobRegistry', () => {
  it('records a started job as running, with its start time in seconds', () => {
    const jobs = registry();
    const id = jobs.start('renew', 'shop/storefront');
    expect(jobs.list()).to.deep.equal([
      {
        id,
        kind: 'renew',
        target: 'shop/storefront',
        state: 'running',
        message: '',
        startedUnix: 1_767_225_600,
        attempts: 1,
        maxAttempts: 1,
        createdUnix: 1_767_225_600,
        runAtUnix: 1_767_225_600,
        finishedUnix: 0,
        schedule: '',
      },
    ]);
  });

  it('filters by state and kind, and keeps the newest when limited', () => {
    const jobs = registry();
    jobs.finish(jobs.start('issue', 'ns/a'), 'succeeded');
    jobs.start('issue', 'ns/b');
    jobs.start('renew', 'ns/c');
    expect(jobs.list({ state: 'running' }).map((j) => j.target)).to.deep.equal(['ns/b', 'ns/c']);
    expect(jobs.list({ kind: 'issue' }).map((j) => j.target)).to.deep.equal(['ns/a', 'ns/b']);
    expect(jobs.list({ limit: 1 }).map((j) => j.target)).to.deep.equal(['ns/c']);
  });

  it('records how a job finished', () => {
    const jobs = registry();
    const id = jobs.start('issue', 'shop/storefront');
    jobs.finish(id, 'failed', 'rate limited');
    expect(jobs.list()[0]).to.include({ state: 'failed', message: 'rate limited' });
  });

  it('ignores the outcome of a job it no longer holds', () => {
    const jobs = registry();
    jobs.finish('job-404', 'succeeded');
    expect(jobs.list()).to.deep.equal([]);
  });

  it('keeps 1000 jobs by default, forgetting the oldest finished ones first', () => {
    const jobs = registry();
    const running = jobs.start('rollout', 'routes/main');
    for (let i = 0; i < 1500; i++) jobs.finish(jobs.start('issue', `ns/c${i}`), 'succeeded');
    const kept = jobs.list();
    expect(kept).to.have.length(1000);
    expect(kept[0]?.id).to.equal(running);
    expect(kept[1]?.target).to.equal('ns/c501');
    expect(kept.at(-1)?.target).to.equal('ns/c1499');
  });

  it('forgets the oldest running job only when every kept job is running', () => {
    const jobs = registry(2);
    jobs.start('issue', 'ns/a');
    jobs.start('issue', 'ns/b');
    jobs.start('issue', 'ns/c');
    expect(jobs.list().map((job) => job.target)).to.deep.equal(['ns/b', 'ns/c']);
  });

  it('hands out copies, so a caller cannot change what it holds', () => {
    const jobs = registry();
    jobs.start('issue', 'ns/a');
    const [job] = jobs.list();
    job!.state = 'succeeded';
    expect(jobs.list()[0]?.state).to.equal('running');
  });
});
