import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { stringify } from 'yaml';
import { main, type Output } from '../cli/main.js';
import { certificate, withDnsNames } from './builders.test-support.js';

const EXAMPLES = fileURLToPath(new URL('../../examples', import.meta.url));

async function validate(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out: Output = { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text) };
  const code = await main(['validate', ...args], {}, out);
  return { code, stdout, stderr };
}

describe('gateway-worker validate', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gw-validate-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('exits 0 and prints only a summary for clean manifests', async () => {
    const { code, stdout, stderr } = await validate('-f', EXAMPLES);
    expect([code, stdout]).to.deep.equal([0, '']);
    expect(stderr).to.equal('validate: 0 problems in 18 documents of 20 files\n');
  });

  it('prints file:doc:path: message per problem and exits 1', async () => {
    const file = join(dir, 'certs.yaml');
    const docs = [certificate('ok'), certificate('bad', withDnsNames('*.example.com', 'Bad_Name'))];
    writeFileSync(file, docs.map((d) => stringify(d)).join('---\n'));
    const { code, stdout } = await validate('-f', file);
    expect(code).to.equal(1);
    expect(stdout.trimEnd().split('\n')).to.deep.equal([
      `${file}:2:spec.dnsNames: Invalid value: wildcard dnsNames (*.example.com) need the dns01 solver: HTTP-01 cannot validate them`,
      `${file}:2:spec.dnsNames[1]: Invalid value: "Bad_Name": must be a lowercase DNS name such as app.example.com, optionally starting with *.`,
    ]);
  });

  it('reads folders recursively, in name order, skipping files that are not manifests', async () => {
    mkdirSync(join(dir, 'b'));
    writeFileSync(join(dir, 'b', 'z.yml'), stringify(certificate('c', withDnsNames('x'))));
    writeFileSync(join(dir, 'a.json'), JSON.stringify(certificate('c', withDnsNames('y'))));
    writeFileSync(join(dir, 'notes.txt'), 'not yaml: [');
    const { stdout, stderr } = await validate('--filename', dir);
    expect(
      stdout
        .split('\n')
        .filter(Boolean)
        .map((line) => line.slice(dir.length + 1, line.indexOf(':'))),
    ).to.deep.equal(['a.json', 'b/z.yml']);
    expect(stderr).to.equal('validate: 2 problems in 2 documents of 2 files\n');
  });

  for (const [args, message] of [
    [[], 'no manifests given: use -f FILE|DIR'],
    [['-f'], '-f needs a file or folder'],
    [['manifests/'], 'unexpected argument "manifests/"'],
  ] as const) {
    it(`exits 2 with usage for [${args.join(' ')}]`, async () => {
      const { code, stderr } = await validate(...args);
      expect(code).to.equal(2);
      expect(stderr).to.include(`gateway-worker validate: ${message}\n`);
      expect(stderr).to.include('Usage: gateway-worker validate -f FILE|DIR');
    });
  }

  it('exits 2 when a path does not exist', async () => {
    const { code, stderr } = await validate('-f', join(dir, 'missing.yaml'));
    expect(code).to.equal(2);
    expect(stderr).to.match(/missing\.yaml: ENOENT/);
  });

  it('prints its usage for --help', async () => {
    const { code, stdout } = await validate('--help');
    expect(code).to.equal(0);
    expect(stdout).to.match(/^Usage: gateway-worker validate/);
  });
});
