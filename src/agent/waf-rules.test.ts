import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { parse } from 'yaml';
import { mergeRuleFiles, parseWafRuleFile, renderWafRulesYaml, duplicateRuleIds } from './waf-rules.js';

const REFERENCE = '/work/shared/gateway-reference/waf-rules.yaml';

interface RawRule {
  action: Record<string, unknown>;
  [key: string]: unknown;
}

/** The gateway's own file, as JSON would carry it. */
function referenceModel(): { version: string; rules: RawRule[] } {
  return JSON.parse(JSON.stringify(parse(readFileSync(REFERENCE, 'utf8')))) as {
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

describe('WAF rule file', () => {
  it("round-trips the gateway's reference file to the same rules", () => {
    const reference = referenceModel();
    const written = parse(
      renderWafRulesYaml(mergeRuleFiles('v1', [{ resource: 'a', file: parseWafRuleFile(reference) }])),
    ) as {
      version: string;
      rules: RawRule[];
    };
    expect(written.version).to.equal('v1');
    expect(written.rules).to.deep.equal(withMetadata(reference.rules));
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

  it('merges rule sets in resource-name order, each keeping its rule order', () => {
    const file = (...ids: string[]) =>
      parseWafRuleFile({ version: '1', rules: ids.map((id) => rule({ id })) });
    const merged = mergeRuleFiles('v', [
      { resource: 'ns/b', file: file('b1', 'b2') },
      { resource: 'ns/a', file: file('a2', 'a1') },
    ]);
    expect(merged.rules.map((r) => r.id)).to.deep.equal(['a2', 'a1', 'b1', 'b2']);
  });

  it('finds rule ids defined in more than one rule set', () => {
    const file = parseWafRuleFile({ version: '1', rules: [rule({ id: 'same' })] });
    expect([
      ...duplicateRuleIds([
        { resource: 'x', file },
        { resource: 'y', file },
      ]),
    ]).to.deep.equal([['same', ['x', 'y']]]);
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

  it('accepts regex syntax of the Rust engine that JavaScript lacks', () => {
    expect(() =>
      parseWafRuleFile({
        version: '1',
        rules: [rule({}, { operator: 'regex', value: '(?P<w>[a-z&&[^aeiou]]+)' })],
      }),
    ).to.not.throw();
  });
});
