import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { main, type Output } from './main.js';

async function run(
  argv: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out: Output = { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text) };
  const code = await main(argv, env, out);
  return { code, stdout, stderr };
}

describe('main', () => {
  for (const flag of ['--help', '-h', 'help']) {
    it(`prints usage listing every subcommand for ${flag}`, async () => {
      const { code, stdout } = await run([flag]);
      expect(code).to.equal(0);
      for (const command of [
        'operator',
        'agent',
        'validate',
        'backup',
        'restore',
        'rollback',
        'waf',
        'routes',
      ]) {
        expect(stdout).to.match(new RegExp(`^  ${command} `, 'm'));
      }
    });
  }

  it('prints the package version for --version', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    expect(await run(['--version'])).to.deep.equal({ code: 0, stdout: `${pkg.version}\n`, stderr: '' });
  });

  it('runs agent, which exits 2 with one line when --dir is missing', async () => {
    const { code, stdout, stderr } = await run(['agent', '--insecure-development-only']);
    expect({ code, stdout }).to.deep.equal({ code: 2, stdout: '' });
    expect(stderr).to.match(/^gateway-worker agent: --dir is required[^\n]*\n$/);
  });

  for (const [command, flag] of [
    ['backup', '--out'],
    ['restore', '--in'],
  ] as const) {
    it(`runs ${command}, which exits 2 when ${flag} is missing`, async () => {
      const { code, stdout, stderr } = await run([command]);
      expect({ code, stdout }).to.deep.equal({ code: 2, stdout: '' });
      expect(stderr.startsWith(`gateway-worker ${command}: ${flag} FILE is required\n`)).to.equal(true);
    });
  }

  it('runs rollback, which exits 2 naming the form it expects when the target is missing', async () => {
    const { code, stdout, stderr } = await run(['rollback']);
    expect({ code, stdout }).to.deep.equal({ code: 2, stdout: '' });
    expect(stderr).to.match(/^gateway-worker rollback: name the rule set as wafruleset\/NAME/);
  });

  it('runs routes, which exits 2 asking for a subcommand', async () => {
    const { code, stdout, stderr } = await run(['routes']);
    expect({ code, stdout }).to.deep.equal({ code: 2, stdout: '' });
    expect(stderr).to.match(
      /^gateway-worker routes: which subcommand\?\n\nUsage: gateway-worker routes import/,
    );
  });

  it('rejects an unknown subcommand with usage and exit code 2', async () => {
    const { code, stderr } = await run(['frobnicate']);
    expect(code).to.equal(2);
    expect(stderr).to.match(/^gateway-worker: unknown command "frobnicate"\n/);
    expect(stderr).to.include('Usage: gateway-worker');
  });

  it('rejects arguments to operator with exit code 2', async () => {
    expect((await run(['operator', '--port', '1'])).code).to.equal(2);
  });

  for (const argv of [[], ['operator']]) {
    it(`runs the operator for [${argv.join(' ')}] and exits 2 with one line on a bad configuration`, async () => {
      const { code, stderr } = await run(argv, { LOG_LEVEL: 'loud' });
      expect(code).to.equal(2);
      expect(stderr).to.equal(
        'gateway-worker: invalid configuration: LOG_LEVEL=loud: must be one of error, warn, info, debug\n',
      );
    });
  }
});
