import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { parse } from 'yaml';
import { GATEWAY_RULES_FILE } from '../../test/fixtures/waf/paths.js';
import { compileRuleSet, isCompiled, wafResourceName } from '../domain/waf/index.js';
import {
  WAF_IP_LISTS_FILE,
  WAF_RULES_FILE,
  buildWafFiles,
  parseWafPayload,
  parseWafRuleFile,
  renderWafRulesYaml,
} from './waf-rules.js';

interface RawRule {
  action: Record<string, unknown>;
  [key: string]: unknown;
}

/** The gateway's own file, as JSON would carry it. */
function referenceModel(): { version: string; rules: RawRule[] } {
  return JSON.parse(JSON.stringify(parse(readFileSync(GATEWAY_RULES_FILE, 'utf8')))) as {
    version: string;
    rules: RawRule[];
  };
}

/** The reference rules as the agent writes them: `metadata` present, as the gateway's serde structs need. */
function withMetadata(rules: RawRule[]): RawRule[] {
  return rules.map((rule) => ({ ...rule, action: { ...rule.action, metadata: {} }, metadata: {} }));
}

function rule(
  overrides: Record<string, unknown> = {},
  condition: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    id: 'r1',
    name: 'n',
    description: 'd',
    severity: 'high',
    enabled: true,
    conditions: [{ field: 'uri', operator: 'contains', value: 'x', case_sensitive: false, ...condition }],
    action: { action_type: 'block', message: 'm', score: 1 },
    ...overrides,
  };
}

const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

/** The files the agent would write for these resources, parsed; throws on errors. */
function written(resources: { name: string; payload: Uint8Array }[]) {
  const built = buildWafFiles('v1', resources);
  if ('errors' in built) throw new Error(JSON.stringify(built.errors));
  const byName = new Map(built.files.map((f) => [f.file, f.content]));
  return {
    order: built.files.map((f) => f.file),
    rules: parse(byName.get(WAF_RULES_FILE) ?? '') as { version: string; rules: RawRule[] },
    ipLists: parse(byName.get(WAF_IP_LISTS_FILE) ?? '') as Record<string, unknown>,
  };
}

function compiled(namespace: string, name: string, spec: Parameters<typeof compileRuleSet>[0]['spec']) {
  const result = compileRuleSet({ namespace, name, spec });
  if (!isCompiled(result)) throw new Error(JSON.stringify(result.problems));
  return { name: wafResourceName(namespace, name, result.priority), payload: result.payload };
}

const crdRule = (id: string, value = '/x') => ({
  id,
  conditions: [{ field: 'uri', operator: 'contains' as const, value }],
  action: { type: 'block' as const },
});

describe('WAF rule file', () => {
  it("round-trips the gateway's reference file to the same rules", () => {
    const reference = referenceModel();
    const files = written([{ name: 'a', payload: json(reference) }]);
    expect(files.rules.version).to.equal('v1');
    expect(files.rules.rules).to.deep.equal(withMetadata(reference.rules));
  });

  it("uses the gateway's layout: its key order, double-quoted strings, metadata on rule and action", () => {
    const text = renderWafRulesYaml({
      version: '1.0',
      rules: [parseWafRuleFile({ version: '1.0', rules: [rule()] }).rules[0]!],
    });
    expect(text).to.include(
      'version: "1.0"\nrules:\n  - id: "r1"\n    name: "n"\n    description: "d"\n    severity: "high"\n',
    );
    expect(text).to.include(
      '    conditions:\n      - field: "uri"\n        operator: "contains"\n        value: "x"\n        case_sensitive: false\n',
    );
    expect(text).to.include(
      '    action:\n      action_type: "block"\n      message: "m"\n      score: 1\n      metadata: {}\n    metadata: {}\n',
    );
  });

  it('reads a compiled WafRuleSet payload back into the rules it was compiled to', () => {
    const result = compileRuleSet({
      namespace: 'edge',
      name: 'base',
      spec: { priority: 7, rules: [crdRule('a')], ipDenyList: ['10.1.2.3/8'] },
    });
    if (!isCompiled(result)) throw new Error('does not compile');
    const parsed = parseWafPayload(JSON.parse(new TextDecoder().decode(result.payload)), 'ignored');
    expect(parsed).to.deep.equal({
      name: 'edge/base',
      priority: 7,
      mode: 'Block',
      rules: result.rules,
      ipAllowList: [],
      ipDenyList: ['10.0.0.0/8'],
    });
  });

  it('merges rule sets by priority, then namespace/name, each keeping its rule order', () => {
    const files = written([
      compiled('ns', 'b', { rules: [crdRule('b1'), crdRule('b2')] }),
      compiled('ns', 'a', { rules: [crdRule('a2'), crdRule('a1')] }),
      compiled('zz', 'first', { priority: 5, rules: [crdRule('z1')] }),
    ]);
    expect(files.rules.rules.map((r) => r.id)).to.deep.equal(['z1', 'a2', 'a1', 'b1', 'b2']);
  });

  it('writes a rule two rule sets define identically once, where it first applies', () => {
    const files = written([
      compiled('ns', 'b', { rules: [crdRule('shared'), crdRule('b1')] }),
      compiled('ns', 'a', { rules: [crdRule('a1'), crdRule('shared')] }),
    ]);
    expect(files.rules.rules.map((r) => r.id)).to.deep.equal(['a1', 'shared', 'b1']);
  });

  it('rejects a rule id two rule sets define differently, naming both resources', () => {
    const a = compiled('ns', 'a', { rules: [crdRule('same', '/a')] });
    const b = compiled('ns', 'b', { rules: [crdRule('same', '/b')] });
    const built = buildWafFiles('v1', [b, a]);
    expect(built).to.have.property('errors');
    const errors = 'errors' in built ? built.errors : [];
    expect(errors.map((e) => e.name)).to.deep.equal([a.name, b.name]);
    expect(errors[0]?.message).to.equal(
      'rule "same" is defined differently in ns/a and ns/b; rename one of them, or make both definitions identical so that it is applied once',
    );
  });

  it('writes the united IP lists under the gateway.yaml key names, before the rule file', () => {
    const files = written([
      compiled('ns', 'a', { rules: [], ipAllowList: ['10.0.0.0/8'], ipDenyList: ['192.168.1.100'] }),
      compiled('ns', 'b', { rules: [], ipAllowList: ['2001:DB8::/32', '10.0.0.0/8'] }),
    ]);
    expect(files.order).to.deep.equal([WAF_IP_LISTS_FILE, WAF_RULES_FILE]);
    expect(files.ipLists).to.deep.equal({
      version: 'v1',
      ip_whitelist: ['10.0.0.0/8', '2001:db8::/32'],
      ip_blacklist: ['192.168.1.100'],
    });
  });

  const invalid: [string, Record<string, unknown>, RegExp][] = [
    [
      'a regex the Rust engine cannot compile',
      rule({}, { operator: 'regex', value: '(?=x)' }),
      /rules\[0\]\.conditions\[0\]\.value: invalid regex/,
    ],
    [
      'an unknown operator',
      rule({}, { operator: 'like' }),
      /rules\[0\]\.conditions\[0\]\.operator: "like" is not one of/,
    ],
    [
      'an unknown field',
      rule({}, { field: 'body' }),
      /rules\[0\]\.conditions\[0\]\.field: "body" is not uri/,
    ],
    [
      'an unknown severity',
      rule({ severity: 'urgent' }),
      /rules\[0\]\.severity: "urgent" is not one of low, medium, high, critical/,
    ],
    [
      'an unknown action type',
      rule({ action: { action_type: 'deny', message: 'm' } }),
      /rules\[0\]\.action\.action_type: "deny"/,
    ],
    [
      'a camelCase key from the custom resource',
      rule({}, { caseSensitive: true }),
      /rules\[0\]\.conditions\[0\]\.caseSensitive: unknown field/,
    ],
    [
      'a rule without conditions',
      rule({ conditions: [] }),
      /rules\[0\]\.conditions: a rule needs at least one condition/,
    ],
    [
      'a non-numeric value for greater_than',
      rule({}, { field: 'content_length', operator: 'greater_than', value: 'big' }),
      /must be a number for greater_than/,
    ],
    [
      'a negative score',
      rule({ action: { action_type: 'log', message: 'm', score: -1 } }),
      /rules\[0\]\.action\.score: must be a whole number/,
    ],
    ['a missing enabled flag', rule({ enabled: undefined }), /rules\[0\]\.enabled: must be true or false/],
    ['an id with spaces', rule({ id: 'two words' }), /rules\[0\]\.id: "two words"/],
  ];
  for (const [what, bad, message] of invalid) {
    it(`rejects ${what}`, () => {
      expect(() => parseWafRuleFile(JSON.parse(JSON.stringify({ version: '1', rules: [bad] })))).to.throw(
        message,
      );
    });
  }

  const invalidPayloads: [string, Record<string, unknown>, RegExp][] = [
    [
      'an IP entry the gateway would skip',
      { ipAllowList: ['10.0.0.0/33'] },
      /ipAllowList\[0\]: "10.0.0.0\/33"/,
    ],
    ['a /0 the gateway masks wrongly', { ipDenyList: ['0.0.0.0/0'] }, /ipDenyList\[0\]: .*\/0 mask/],
    ['a priority out of range', { priority: 1001 }, /priority: must be a whole number from 0 to 1000/],
    ['an unknown mode', { mode: 'Audit' }, /mode: "Audit" is not one of Block, DetectOnly/],
    ['an unknown key', { rule: [] }, /rule: unknown field/],
  ];
  for (const [what, extra, message] of invalidPayloads) {
    it(`rejects a payload with ${what}`, () => {
      expect(() => parseWafPayload({ rules: [], ...extra }, 'r')).to.throw(message);
    });
  }

  it('accepts regex syntax of the Rust engine that JavaScript lacks', () => {
    expect(() =>
      parseWafRuleFile({
        version: '1',
        rules: [rule({}, { operator: 'regex', value: '(?P<w>[a-z&&[^aeiou]]+)' })],
      }),
    ).to.not.throw();
  });
});
