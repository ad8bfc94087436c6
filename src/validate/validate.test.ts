import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { stringify } from 'yaml';
import { invalidFixtures } from '../../test/fixtures/invalid/index.js';
import {
  certificate,
  route,
  routeConfig,
  wafRule,
  wafRuleSet,
  withCondition,
  withDns01Cloudflare,
  withDnsNames,
  withRoutes,
  withRules,
} from './builders.test-support.js';
import { validateObject, validateText, withDefaults } from './index.js';

const EXAMPLES = fileURLToPath(new URL('../../examples', import.meta.url));

/** `path: message` lines, the shape the CLI prints after `file:doc:`. */
function problemsOf(obj: unknown): string[] {
  return (validateObject(obj) ?? []).map((p) => `${p.path}: ${p.message}`);
}

describe('validate', () => {
  describe('accepts', () => {
    const valid: [string, unknown][] = [
      ['a certificate with HTTP-01', certificate('c1')],
      [
        'a wildcard certificate with DNS-01',
        certificate('c1', withDnsNames('example.com', '*.example.com'), withDns01Cloudflare),
      ],
      [
        'a rule set whose regexes the gateway compiles',
        wafRuleSet('w1', withCondition('uri', 'regex', '(?i)(union\\s+select)')),
      ],
      [
        'a size rule on content_length',
        wafRuleSet('w1', withCondition('content_length', 'greater_than', '50000000')),
      ],
      ['a route config with a Service backend', routeConfig('r1')],
      [
        'an escaped parenthesis that only looks like look-around',
        wafRuleSet('w1', withCondition('uri', 'regex', '\\(?=x')),
      ],
    ];
    for (const [name, obj] of valid) {
      it(name, () => expect(problemsOf(obj)).to.deep.equal([]));
    }

    for (const file of readdirSync(EXAMPLES).filter((f) => f.endsWith('.yaml'))) {
      it(`the example ${file}`, () => {
        const report = validateText(readFileSync(join(EXAMPLES, file), 'utf8'));
        expect(report.problems).to.deep.equal([]);
        expect(report.checked).to.equal(1);
      });
    }
  });

  describe('rejects', () => {
    const invalid: [string, unknown, string][] = [
      [
        'a wildcard name with the HTTP-01 solver',
        certificate('c1', withDnsNames('*.example.com')),
        'spec.dnsNames: Invalid value: wildcard dnsNames (*.example.com) need the dns01 solver: HTTP-01 cannot validate them',
      ],
      [
        'a duplicate rule id, naming it',
        wafRuleSet('w1', withRules(wafRule('sqli'), wafRule('xss'), wafRule('sqli'))),
        'spec.rules: Invalid value: rule ids must be unique: "sqli" used more than once',
      ],
      [
        'a look-ahead, with the heuristic the API server also applies',
        wafRuleSet('w1', withCondition('uri', 'regex', 'a(?=b)')),
        "spec.rules[0].conditions[0].value: Invalid value: look-around ((?=, (?!, (?<=, (?<!) is not supported by the gateway's Rust regex engine",
      ],
      [
        'an unclosed group, with the message of the Rust regex crate',
        wafRuleSet('w1', withCondition('uri', 'regex', 'a(b')),
        'spec.rules[0].conditions[0].value: invalid regex: unclosed group (at character 2)',
      ],
      [
        'a numeric operator on a text field',
        wafRuleSet('w1', withCondition('uri', 'less_than', '5')),
        'spec.rules[0].conditions[0].operator: Invalid value: operators greater_than and less_than compare numbers and need field content_length',
      ],
      [
        'an unknown operator, listing the supported ones',
        wafRuleSet('w1', withCondition('uri', 'like', 'x')),
        'spec.rules[0].conditions[0].operator: Unsupported value: "like": supported values: "equals", "contains", "starts_with", "ends_with", "regex", "greater_than", "less_than"',
      ],
      [
        'a backend with both service and url',
        routeConfig(
          'r1',
          withRoutes(
            route('web', { backends: [{ service: { name: 'web', port: 80 }, url: 'https://x.example' }] }),
          ),
        ),
        'spec.routes[0].backends[0]: Invalid value: exactly one of service or url must be set',
      ],
      [
        'a duration overflowing int64 nanoseconds (CEL would fail at runtime)',
        routeConfig('r1', withRoutes(route('web', { timeout: '9999999h' }))),
        'spec.routes[0].timeout: duration is out of range (at most 2562047h)',
      ],
    ];
    for (const [name, obj, problem] of invalid) {
      it(name, () => expect(problemsOf(obj)).to.deep.equal([problem]));
    }
  });

  describe('invalid fixtures (test/fixtures/invalid)', () => {
    const fixtures = invalidFixtures();
    it('has at least 30 of them', () => expect(fixtures.length).to.be.at.least(30));
    for (const fixture of fixtures) {
      it(`${fixture.file}: one problem, ${fixture.expectPath}: …${fixture.expectMessage}…`, () => {
        const { problems } = validateText(fixture.text);
        expect(problems.map((p) => p.path)).to.deep.equal([fixture.expectPath]);
        expect(problems[0]?.message).to.include(fixture.expectMessage);
      });
    }
  });

  describe('documents', () => {
    it('numbers documents from 1 and skips other kinds and empty documents', () => {
      const text = [
        stringify({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x' } }),
        '',
        stringify(certificate('c1', withDnsNames('Bad_Name'))),
      ].join('---\n');
      const report = validateText(text);
      expect(report.problems.map((p) => [p.doc, p.path])).to.deep.equal([[3, 'spec.dnsNames[0]']]);
      expect([report.checked, report.skipped]).to.deep.equal([1, 1]);
    });

    it('reports a YAML syntax error with its line', () => {
      const { problems } = validateText('apiVersion: v1\nkind: Certificate\nspec: {a: 1\n');
      expect(problems).to.have.length.at.least(1);
      for (const p of problems) expect(p.message).to.match(/^YAML: .* at line [34], column \d+$/);
    });

    it('reports a duplicate key, which kubectl also refuses', () => {
      const { problems } = validateText('apiVersion: a\napiVersion: b\n');
      expect(problems[0]?.message).to.match(/^YAML: Map keys must be unique/);
    });

    it('reads YAML 1.1 booleans as kubectl does (yes is true)', () => {
      const text = stringify(wafRuleSet('w1')).replace('contains', 'contains\n          caseSensitive: yes');
      expect(validateText(text).problems).to.deep.equal([]);
    });

    it('rejects an unknown version or kind of our group, and a non-object document', () => {
      const problems = validateText(
        'apiVersion: gateway.awesomeapi.com.br/v1\nkind: Certificate\n---\n' +
          'apiVersion: gateway.awesomeapi.com.br/v1alpha1\nkind: Gateway\n---\n- a list\n',
      ).problems;
      expect(problems.map((p) => `${p.doc}:${p.path}: ${p.message}`)).to.deep.equal([
        '1:apiVersion: Unsupported value: "gateway.awesomeapi.com.br/v1": supported values: "gateway.awesomeapi.com.br/v1alpha1"',
        '2:kind: Unsupported value: "Gateway": supported values: "Certificate", "WafRuleSet", "RouteConfig", ' +
          '"DatabaseConnection", "DatabaseMigration", "DatabaseRetention", "DatabaseBackup", "DatabaseMaintenance", ' +
          '"NotificationChannel", "NotificationPolicy", "ThreatFeed", "ThreatAllowlist", "ThreatPolicy", "Report"',
        '3:: not a Kubernetes object: expected a mapping with apiVersion and kind',
      ]);
    });

    it('requires metadata.name', () => {
      const obj = certificate('c1');
      obj.metadata = {};
      expect(problemsOf(obj)).to.deep.equal([
        'metadata.name: Required value: name or generateName is required',
      ]);
    });
  });

  describe('schema and rules together', () => {
    it('skips the rules of a value whose schema failed, and reports everything else', () => {
      const obj = certificate('c1', withDnsNames('*.example.com'));
      (obj.spec as Record<string, unknown>).renewBefore = 5;
      expect(problemsOf(obj)).to.deep.equal([
        'spec.renewBefore: Invalid value: "integer": spec.renewBefore in body must be of type string: "integer"',
      ]);
    });

    it('reports every broken item of a list', () => {
      const obj = wafRuleSet('w1', (w) => {
        w.spec.ipDenyList = ['10.0.0.0/8', 'nope', '2001:db8::/200'];
      });
      expect(problemsOf(obj).map((p) => p.split(':')[0])).to.deep.equal([
        'spec.ipDenyList[1]',
        'spec.ipDenyList[2]',
      ]);
    });

    it('fills in defaults on a copy, leaving the input alone', () => {
      const obj = routeConfig('r1');
      const stored = withDefaults(obj) as { spec: { routes: Record<string, unknown>[] } };
      expect(stored.spec.routes[0]).to.deep.include({
        timeout: '30s',
        retries: 0,
        loadBalancer: 'round_robin',
        match: { path: { type: 'Prefix', value: '/' } },
      });
      expect(obj.spec.routes[0]).not.to.have.property('timeout');
      expect(withDefaults({ apiVersion: 'v1', kind: 'Secret' })).to.equal(undefined);
    });
  });
});
