import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { parse } from 'yaml';
import { GATEWAY_RULES_FILE } from '../../../test/fixtures/waf/paths.js';
import { compileRuleSet, isCompiled } from './compile.js';
import { createEvaluator, type Evaluator } from './evaluate.js';
import { WafImportError, importGatewayRuleFile } from './import.js';
import type { CompiledRuleSet, Decision, WafRequest } from './model.js';

const CHROME =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36';

function importReference(): CompiledRuleSet {
  const { manifest, warnings } = importGatewayRuleFile(readFileSync(GATEWAY_RULES_FILE, 'utf8'), {
    name: 'gateway-rules',
    namespace: 'edge',
  });
  expect(warnings).to.deep.equal([]);
  const result = compileRuleSet({ namespace: 'edge', name: 'gateway-rules', spec: manifest.spec });
  if (!isCompiled(result)) throw new Error(JSON.stringify(result.problems));
  return result;
}

describe("the gateway's own rule file", () => {
  let compiled: CompiledRuleSet;
  let evaluator: Evaluator;
  const decide = (request: Partial<WafRequest>): Decision =>
    evaluator.evaluate({ uri: '/', ip: '198.51.100.20', headers: { 'User-Agent': CHROME }, ...request });

  before(() => {
    compiled = importReference();
    evaluator = createEvaluator(compiled);
  });
  after(() => evaluator.dispose());

  it('imports and compiles to the same rules, in the same order', () => {
    const reference = parse(readFileSync(GATEWAY_RULES_FILE, 'utf8')) as { rules: Record<string, unknown>[] };
    const asWritten = reference.rules.map((rule) => ({
      ...rule,
      action: { ...(rule.action as object), metadata: {} },
      metadata: {},
    }));
    expect(compiled.rules).to.deep.equal(asWritten);
    expect(compiled.rules.filter((r) => !r.enabled).map((r) => r.id)).to.deep.equal(['method_not_allowed']);
  });

  const blocked: [string, Partial<WafRequest>, string][] = [
    [
      'SQL injection (union select)',
      { uri: '/products?id=1 UNION SELECT password FROM users' },
      'sql_injection_basic',
    ],
    ['SQL injection (drop table)', { uri: '/search?q=x;DROP TABLE users' }, 'sql_injection_basic'],
    ['SQL injection (exec)', { uri: '/report?id=1;exec(xp_cmdshell)' }, 'sql_injection_basic'],
    ['XSS (script tag)', { uri: '/search?q=<script>alert(1)</script>' }, 'xss_basic'],
    ['XSS (event handler)', { uri: '/img?src=x&onerror=alert(1)' }, 'xss_basic'],
    ['XSS (javascript: URL)', { uri: '/redirect?to=JavaScript:alert(1)' }, 'xss_basic'],
    ['directory traversal', { uri: '/static/../../etc/passwd' }, 'directory_traversal'],
    ['command injection', { uri: '/ping?host=8.8.8.8;cat /etc/passwd' }, 'command_injection'],
    ['remote file inclusion', { uri: '/page?file=php://filter/resource=index' }, 'file_inclusion'],
    [
      'the sqlmap scanner',
      { headers: { 'User-Agent': 'sqlmap/1.7.2#stable (https://sqlmap.org)' } },
      'suspicious_user_agent',
    ],
    [
      'the Nikto scanner',
      { headers: { 'user-agent': 'Mozilla/5.00 (Nikto/2.1.6) (Evasions:None)' } },
      'suspicious_user_agent',
    ],
    [
      'a body declared over 50 MB',
      { method: 'POST', uri: '/upload', headers: { 'Content-Length': '60000000' } },
      'large_request_body',
    ],
  ];
  for (const [what, request, rule] of blocked) {
    it(`blocks ${what}`, () => {
      expect(decide(request)).to.include({ action: 'block', rule });
    });
  }

  it('leaves the disabled HTTP method rule inert', () => {
    for (const method of ['TRACE', 'DEBUG', 'TRACK', 'CONNECT']) {
      expect(decide({ method, uri: '/' })).to.deep.equal({ action: 'allow', logged: [], score: 0 });
    }
  });

  it('logs an X-Forwarded-For header with many addresses and lets the request through', () => {
    const hops = Array.from({ length: 7 }, (_, i) => `203.0.113.${i + 1}`).join(', ');
    expect(decide({ uri: '/products', headers: { 'X-Forwarded-For': hops } })).to.deep.equal({
      action: 'log',
      logged: ['suspicious_headers'],
      score: 40,
    });
    expect(
      decide({ uri: '/products', headers: { 'X-Forwarded-For': '203.0.113.1, 10.0.0.1' } }).action,
    ).to.equal('allow');
  });

  it('rate-limits the API', () => {
    expect(decide({ uri: '/api/v1/orders' })).to.include({ action: 'rate_limit', rule: 'rate_limit_api' });
  });

  it('allows ordinary requests', () => {
    const ordinary: Partial<WafRequest>[] = [
      { uri: '/' },
      { uri: '/products/42?color=blue&size=m' },
      { uri: '/search?q=select+a+union+member' },
      {
        method: 'POST',
        uri: '/login',
        body: 'user=ana&password=s3cret',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      },
      { uri: '/assets/app.min.js', headers: { 'User-Agent': 'curl/8.5.0' } },
      { method: 'PUT', uri: '/account/settings', headers: { 'Content-Length': '1024' } },
    ];
    for (const request of ordinary) {
      expect(decide(request), request.uri).to.deep.equal({ action: 'allow', logged: [], score: 0 });
    }
  });

  it('passes URL-encoded attacks, as the gateway does: its rules read the raw URI', () => {
    expect(decide({ uri: '/products?id=1%20UNION%20SELECT%20password' }).action).to.equal('allow');
    expect(decide({ uri: '/static/..%2f..%2fetc/passwd' }).action).to.equal('allow');
  });
});

describe('importing a gateway rule file', () => {
  const file = (rules: unknown[]) => JSON.stringify({ version: '1.0', rules });
  const gatewayRule = (extra: Record<string, unknown> = {}) => ({
    id: 'r1',
    name: 'n',
    description: 'd',
    severity: 'high',
    enabled: false,
    conditions: [{ field: 'uri', operator: 'contains', value: '/x', case_sensitive: true }],
    action: { action_type: 'log', message: 'm', score: 3 },
    ...extra,
  });

  it('writes a WafRuleSet manifest with every field of every rule', () => {
    const { manifest } = importGatewayRuleFile(file([gatewayRule()]), {
      name: 'imported',
      namespace: 'edge',
    });
    expect(manifest).to.deep.equal({
      apiVersion: 'gateway.awesomeapi.com.br/v1alpha1',
      kind: 'WafRuleSet',
      metadata: { name: 'imported', namespace: 'edge' },
      spec: {
        rules: [
          {
            id: 'r1',
            name: 'n',
            description: 'd',
            severity: 'high',
            enabled: false,
            conditions: [{ field: 'uri', operator: 'contains', value: '/x', caseSensitive: true }],
            action: { type: 'log', message: 'm', score: 3 },
          },
        ],
      },
    });
  });

  it('drops metadata the CRD cannot hold, with a warning', () => {
    const { warnings } = importGatewayRuleFile(
      file([
        gatewayRule({
          metadata: { owner: 'sec' },
          action: { action_type: 'block', message: '', metadata: { a: 'b' } },
        }),
      ]),
      { name: 'x' },
    );
    expect(warnings).to.deep.equal([
      'rules[0] (r1).metadata dropped: a WafRuleSet has no metadata on rules or actions',
      'rules[0] (r1).action.metadata dropped: a WafRuleSet has no metadata on rules or actions',
    ]);
  });

  const refused: [string, string, string[]][] = [
    [
      'text that is not YAML',
      'rules: [',
      [
        'not YAML: Flow sequence in block collection must be sufficiently indented and end with a ] at line 1, column 9',
      ],
    ],
    [
      'a file without rules',
      'version: "1.0"',
      ["not a gateway rule file: expected a mapping with a 'rules' list"],
    ],
    [
      'a rule the gateway accepts but a WafRuleSet cannot hold',
      file([
        gatewayRule({ severity: 'warning', action: { action_type: 'block', message: '', score: 5000 } }),
      ]),
      [
        'rules[0].severity (rule r1): "warning" is not supported; use one of low, medium, high, critical',
        'rules[0].action.score (rule r1): 5000 is out of range; use a whole number from 0 to 1000',
      ],
    ],
    [
      'a regex the gateway would refuse',
      file([
        gatewayRule({
          conditions: [{ field: 'uri', operator: 'regex', value: '(?=x)', case_sensitive: false }],
        }),
      ]),
      [
        "rules[0].conditions[0].value (rule r1): invalid regex: look-around, including look-ahead and look-behind, is not supported (at character 1); patterns use the gateway's Rust regex syntax",
      ],
    ],
  ];
  for (const [what, text, problems] of refused) {
    it(`refuses ${what}, saying why`, () => {
      expect(() => importGatewayRuleFile(text, { name: 'x' }))
        .to.throw(WafImportError)
        .with.property('problems')
        .that.deep.equals(problems);
    });
  }
});
