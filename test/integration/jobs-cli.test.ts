import { expect } from 'chai';
import { main, type Output } from '../../src/cli/main.js';
import { sharedDatabaseUrl, uniqueSchema } from '../support/shared-postgres.js';

function capture(): Output & { out: string; err: string } {
  const result = {
    out: '',
    err: '',
    stdout: (text: string) => void (result.out += text),
    stderr: (text: string) => void (result.err += text),
  };
  return result;
}

describe('gateway-worker jobs (real PostgreSQL)', function () {
  this.timeout(60_000);
  let env: NodeJS.ProcessEnv;

  before(async () => {
    env = { DATABASE_URL: await sharedDatabaseUrl(), DATABASE_SCHEMA: uniqueSchema('cli') };
  });

  const run = async (...args: string[]) => {
    const output = capture();
    const code = await main(['jobs', ...args], env, output);
    return { code, ...output };
  };

  it('runs, lists, shows and cancels a job', async () => {
    const queued = await run('run', 'jobs.prune', '--target', 'all', '--payload', '{"dryRun":true}');
    expect(queued.code).to.equal(0);
    const id = /^job ([0-9a-f-]{36}) queued \(jobs\.prune\); the operator runs it\n$/.exec(queued.out)?.[1];
    expect(id).to.be.a('string');

    const list = await run('list', '--state', 'queued');
    expect(list.code).to.equal(0);
    expect(list.out.split('\n')[0]).to.match(/^ID +KIND +TARGET +STATE +ATTEMPTS +CREATED +LAST ERROR$/);
    expect(list.out).to.match(new RegExp(`^${id} +jobs\\.prune +all +queued +0/5 `, 'm'));

    const shown = await run('show', id!, '-o', 'json');
    expect(JSON.parse(shown.out)).to.deep.include({
      id,
      kind: 'jobs.prune',
      target: 'all',
      payload: { dryRun: true },
    });

    expect((await run('cancel', id!)).out).to.equal(`job ${id} cancelled\n`);
    const again = await run('cancel', id!);
    expect(again).to.deep.include({
      code: 1,
      err: `gateway-worker jobs cancel: job ${id} already ended (cancelled)\n`,
    });
  });

  it('refuses bad input with exit code 2 and says what is allowed', async () => {
    expect(await run('list', '--state', 'failed')).to.deep.include({ code: 2 });
    expect((await run('list', '--state', 'failed')).err).to.match(
      /^gateway-worker jobs list: --state failed: must be one of queued, retry, running, succeeded, cancelled, dead/,
    );
    // The list grows with every feature that registers a kind: check its shape and one member.
    expect((await run('run', 'reports.nope')).err).to.match(
      /^gateway-worker jobs run: unknown job kind "reports\.nope"; the kinds are [a-z]+\.[a-z-]+(, [a-z]+\.[a-z-]+)*\n$/,
    );
    expect((await run('run', 'reports.nope')).err).to.include(' jobs.prune');
    expect((await run('show', 'not-an-id')).err).to.equal(
      'gateway-worker jobs show: no job with id not-an-id\n',
    );
  });

  it('says in one line, with exit code 1, when the database cannot be reached', async () => {
    const output = capture();
    const code = await main(['jobs', 'list'], { DATABASE_URL: 'postgres://gw:pw@127.0.0.1:1/gw' }, output);
    expect(code).to.equal(1);
    expect(output.err).to.match(
      /^gateway-worker jobs: cannot open the job store: connect ECONNREFUSED 127\.0\.0\.1:1\n$/,
    );
  });
});
