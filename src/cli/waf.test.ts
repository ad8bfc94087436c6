import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { GATEWAY_RULES_FILE, WAF_FIXTURES } from '../../test/fixtures/waf/paths.js';
import { IpListsFile } from '../agent/ip-lists-file.js';
import { rangesOf } from '../domain/threats/reserved.js';
import { silentLogger } from '../runtime/logger.js';
import { main, type Output } from './main.js';

async function run(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out: Output = { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text) };
  const code = await main(argv, {}, out);
  return { code, stdout, stderr };
}

const STOREFRONT = join(WAF_FIXTURES, 'golden', 'storefront', 'manifests.yaml');
const REQUESTS = join(WAF_FIXTURES, 'requests.jsonl');

const manifest = (name: string, spec: string) =>
  `apiVersion: gateway.awesomeapi.com.br/v1alpha1\nkind: WafRuleSet\nmetadata:\n  name: ${name}\n  namespace: shop\nspec:\n${spec}`;
const oneRule = (value: string) =>
  `  rules:\n    - id: r1\n      conditions:\n        - { field: uri, operator: contains, value: "${value}" }\n      action: { type: block }\n`;

describe('gateway-worker waf (CLI)', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'waf-cli-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const file = async (name: string, text: string): Promise<string> => {
    const path = join(dir, name);
    await writeFile(path, text);
    return path;
  };

  it('prints one JSON decision per request line, blank lines skipped', async () => {
    const { code, stdout, stderr } = await run('waf', 'test', '-f', STOREFRONT, '--requests', REQUESTS);
    expect({ code, stderr }).to.deep.equal({ code: 0, stderr: '' });
    expect(
      stdout
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line) as unknown),
    ).to.deep.equal([
      { action: 'allow', logged: [], score: 0 },
      { action: 'block', rule: 'admin-from-outside', message: 'admin area', logged: [], score: 80 },
      { action: 'rate_limit', rule: 'checkout-burst', message: 'slow down', logged: [], score: 10 },
      { action: 'block', rule: 'sqli-search', message: 'SQL injection attempt', logged: [], score: 100 },
      { action: 'log', logged: ['legacy-php'], score: 5 },
      { action: 'block', message: 'client 2001:db8:bad::1 is on the IP deny list', logged: [], score: 0 },
    ]);
  });

  it("runs the manifest's own tests without --requests", async () => {
    expect(await run('waf', 'test', '-f', STOREFRONT)).to.deep.equal({ code: 0, stdout: '', stderr: '' });
  });

  it('exits 1 with the problems on stderr when a rule set is invalid', async () => {
    const path = await file(
      'invalid.yaml',
      manifest(
        'bad',
        '  mode: Off\n  rules:\n    - id: r1\n      conditions:\n        - { field: body, operator: regex, value: "a(?=b)" }\n      action: { type: block }\n',
      ),
    );
    const { code, stdout, stderr } = await run('waf', 'test', '-f', path, '--requests', REQUESTS);
    expect({ code, stdout }).to.deep.equal({ code: 1, stdout: '' });
    expect(stderr.split('\n')).to.deep.equal([
      `${path}:1: shop/bad: spec.mode: must be a string, got the boolean false; quote the value: YAML reads an unquoted yes, no, on or off as true or false`,
      `${path}:1: shop/bad: spec.rules[0].conditions[0].field: "body" is not a request field the gateway reads; use uri, method, ip, user_agent, content_type, content_length, header.<Name> or query.<name> (r1)`,
      `${path}:1: shop/bad: spec.rules[0].conditions[0].value: invalid regex: look-around, including look-ahead and look-behind, is not supported (at character 2); patterns use the gateway's Rust regex syntax (r1)`,
      '',
    ]);
  });

  it('exits 1 naming each failing test', async () => {
    const path = await file(
      'failing.yaml',
      manifest(
        't',
        `${oneRule('/admin')}  tests:\n    - { name: admin, request: { uri: /admin }, expect: allow }\n`,
      ),
    );
    expect(await run('waf', 'test', '-f', path)).to.deep.equal({
      code: 1,
      stdout: '',
      stderr: `${path}:1: shop/t: test "admin": expected allow, got block (rule r1)\n`,
    });
  });

  it('merges the rule sets of a file, and refuses one rule id defined two ways', async () => {
    const merged = await file(
      'two.yaml',
      `${manifest('a', oneRule('/a'))}---\n${manifest('b', '  priority: 5\n  rules: []\n  ipDenyList: [10.0.0.0/8]\n')}`,
    );
    const requests = await file('two.jsonl', '{"uri":"/a","ip":"192.0.2.1"}\n{"uri":"/","ip":"10.1.1.1"}\n');
    const { code, stdout } = await run('waf', 'test', '-f', merged, '--requests', requests);
    expect(code).to.equal(0);
    expect(
      stdout.split('\n').map((l) => (l ? (JSON.parse(l) as { action: string }).action : '')),
    ).to.deep.equal(['block', 'block', '']);
    const conflict = await file(
      'conflict.yaml',
      `${manifest('a', oneRule('/a'))}---\n${manifest('b', oneRule('/b'))}`,
    );
    expect(await run('waf', 'test', '-f', conflict)).to.deep.include({
      code: 1,
      stderr: `${conflict}: rule "r1" is defined differently in shop/a and shop/b; rename one of them, or make both definitions identical so that it is applied once\n`,
    });
  });

  it("denies what a gateway's waf-ip-lists.yaml denies, threat-feed lists included (--ip-lists)", async () => {
    const agentDir = await mkdtemp(join(dir, 'agent-'));
    await new IpListsFile(agentDir, silentLogger).writeIpDeny(
      'v1',
      rangesOf(['45.8.84.0/22', '2a0e:1c80::/29']),
    );
    const requests = await file(
      'feed.jsonl',
      '{"uri":"/","ip":"45.8.85.1"}\n{"uri":"/","ip":"45.8.88.1"}\n{"uri":"/","ip":"2a0e:1c80::7"}\n',
    );
    const actions = (stdout: string) =>
      stdout
        .trimEnd()
        .split('\n')
        .map((l) => (JSON.parse(l) as { action: string }).action);
    const base = await file('base.yaml', manifest('a', oneRule('/never')));
    const withLists = await run(
      'waf',
      'test',
      '-f',
      base,
      '--requests',
      requests,
      '--ip-lists',
      join(agentDir, 'waf-ip-lists.yaml'),
    );
    expect(withLists.code, withLists.stderr).to.equal(0);
    expect(actions(withLists.stdout)).to.deep.equal(['block', 'allow', 'block']);
    expect(actions((await run('waf', 'test', '-f', base, '--requests', requests)).stdout)).to.deep.equal([
      'allow',
      'allow',
      'allow',
    ]);
    const plain = await file('drop.txt', '; Spamhaus DROP\n45.8.84.0/22 ; SBL633890\n');
    expect(
      actions((await run('waf', 'test', '-f', base, '--requests', requests, '--ip-lists', plain)).stdout),
    ).to.deep.equal(['block', 'allow', 'allow']);
    const bad = await file('bad.txt', '45.8.84.0/22\nnot-an-address\n');
    expect(await run('waf', 'test', '-f', base, '--requests', requests, '--ip-lists', bad)).to.deep.include({
      code: 1,
      stderr: `${bad}: line 2 is not an address or CIDR (expected waf-ip-lists.yaml or one address or CIDR per line)\n`,
    });
  });

  it('answers a request line that is not a request with an error line, and exits 1', async () => {
    const requests = await file('bad.jsonl', '{"uri":"/"}\n{"url":"/"}\nnot json\n');
    const { code, stdout, stderr } = await run('waf', 'test', '-f', STOREFRONT, '--requests', requests);
    expect(code).to.equal(1);
    expect(
      stdout
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l) as unknown),
    ).to.deep.equal([
      { action: 'allow', logged: [], score: 0 },
      { error: 'unknown field "url" (expected method, uri, headers, ip, body)' },
      { error: 'not JSON: Unexpected token \'o\', "not json" is not valid JSON' },
    ]);
    expect(stderr.split('\n')[0]).to.equal(
      `${requests}:2: unknown field "url" (expected method, uri, headers, ip, body)`,
    );
  });

  it("imports the gateway's rule file as a manifest that `waf test` accepts", async () => {
    const { code, stdout, stderr } = await run(
      'waf',
      'import',
      GATEWAY_RULES_FILE,
      '--namespace',
      'edge',
      '--name',
      'gateway-rules',
    );
    expect({ code, stderr }).to.deep.equal({ code: 0, stderr: '' });
    expect(stdout).to.equal(
      '# Imported from waf-rules.yaml by gateway-worker waf import.\n' +
        readFileSync(join(WAF_FIXTURES, 'golden', 'gateway-reference', 'manifests.yaml'), 'utf8'),
    );
    const imported = await file('imported.yaml', stdout);
    const requests = await file('attack.jsonl', '{"uri":"/a/../etc/passwd","ip":"192.0.2.1"}\n');
    expect(await run('waf', 'test', '-f', imported, '--requests', requests)).to.deep.include({ code: 0 });
  });

  it('names the imported rule set after the file by default', async () => {
    const { stdout } = await run('waf', 'import', GATEWAY_RULES_FILE);
    expect(stdout).to.include('metadata:\n  name: waf-rules\nspec:');
  });

  it('exits 1 saying why a rule file cannot be imported', async () => {
    const path = await file(
      'bad-rules.yaml',
      'rules:\n  - id: x\n    severity: warning\n    conditions: []\n    action: { action_type: block }\n',
    );
    const { code, stdout, stderr } = await run('waf', 'import', path);
    expect({ code, stdout }).to.deep.equal({ code: 1, stdout: '' });
    expect(stderr).to.equal(
      `${path}: rules[0].severity (rule x): "warning" is not supported; use one of low, medium, high, critical\n` +
        `${path}: rules[0].conditions (rule x): is empty; at least 1 item is needed\n`,
    );
  });

  const usageErrors: [string, string[], string][] = [
    ['no subcommand at all', ['frob'], 'unknown subcommand "frob"'],
    ['test without a manifest', ['test'], 'test needs the manifest: -f FILE'],
    ['a flag without its value', ['test', '-f'], '-f needs a value'],
    ['an unknown flag', ['test', '-f', 'x', '--verbose'], 'unknown argument "--verbose"'],
    ['import without a file', ['import'], 'import needs the rule file: import FILE'],
    [
      'an invalid object name',
      ['import', 'x.yaml', '--name', 'Not_Valid'],
      '"Not_Valid" is not a valid object name; give one with --name',
    ],
  ];
  for (const [what, args, message] of usageErrors) {
    it(`exits 2 for ${what}`, async () => {
      const { code, stdout, stderr } = await run('waf', ...args);
      expect({ code, stdout }).to.deep.equal({ code: 2, stdout: '' });
      expect(stderr.split('\n')[0]).to.equal(`gateway-worker waf: ${message}`);
    });
  }

  it('exits 2 when a file cannot be read', async () => {
    const { code, stderr } = await run('waf', 'test', '-f', join(dir, 'missing.yaml'));
    expect(code).to.equal(2);
    expect(stderr).to.match(/^gateway-worker waf: cannot read .*missing\.yaml: ENOENT/);
  });

  it('prints its usage for --help and without arguments', async () => {
    for (const args of [['--help'], []]) {
      const { code, stdout } = await run('waf', ...args);
      expect(code).to.equal(0);
      expect(stdout).to.match(/^Usage: gateway-worker waf test -f FILE/);
    }
  });
});
