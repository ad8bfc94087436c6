import { expect } from 'chai';
import { rule, when, type RuleInput } from '../../../test/fixtures/waf/builders.js';
import { compileRuleSet } from './compile.js';
import type { WafProblem } from './model.js';
import { regexProblems } from './regex-check.js';
import { validateSpec } from './validate.js';

type Problem = [path: string, message: string];
const OPERATORS = 'equals, contains, starts_with, ends_with, regex, greater_than, less_than';
const FIELDS = 'use uri, method, ip, user_agent, content_type, content_length, header.<Name> or query.<name>';
const RUST = "; patterns use the gateway's Rust regex syntax";

/** A spec with one rule whose single condition is `condition`, as a user might write it. */
const withCondition = (condition: Record<string, unknown>) => ({
  rules: [{ id: 'r1', conditions: [condition], action: { type: 'block' } }],
});
const withRule = (r: Record<string, unknown>) => ({ rules: [r] });
const base = { id: 'r1', conditions: [when('uri', 'contains', '/x')], action: { type: 'block' } };
const regex = (value: string) => withCondition({ field: 'uri', operator: 'regex', value });
const c0 = 'spec.rules[0].conditions[0]';

const invalid: [string, unknown, ...Problem[]][] = [
  // Conditions
  [
    'an unknown operator',
    withCondition({ field: 'uri', operator: 'like', value: 'x' }),
    [`${c0}.operator`, `"like" is not supported; use one of ${OPERATORS}`],
  ],
  [
    'a field the gateway does not read',
    withCondition({ field: 'body', operator: 'contains', value: 'x' }),
    [`${c0}.field`, `"body" is not a request field the gateway reads; ${FIELDS}`],
  ],
  [
    'a header field without a name',
    withCondition({ field: 'header.', operator: 'equals', value: 'x' }),
    [`${c0}.field`, `"header." is not a request field the gateway reads; ${FIELDS}`],
  ],
  [
    'a query field with a space',
    withCondition({ field: 'query.a b', operator: 'equals', value: 'x' }),
    [`${c0}.field`, `"query.a b" is not a request field the gateway reads; ${FIELDS}`],
  ],
  [
    'a numeric operator on a text field',
    withCondition({ field: 'uri', operator: 'greater_than', value: '10' }),
    [
      `${c0}.operator`,
      'greater_than compares numbers and works on content_length only, not on uri; use equals, contains, starts_with, ends_with or regex for text',
    ],
  ],
  [
    'a numeric operator with a word',
    withCondition({ field: 'content_length', operator: 'greater_than', value: 'big' }),
    [`${c0}.value`, '"big" is not a number of bytes; greater_than needs digits only, e.g. 1048576'],
  ],
  [
    'a numeric operator with a negative number',
    withCondition({ field: 'content_length', operator: 'less_than', value: '-1' }),
    [`${c0}.value`, '"-1" is not a number of bytes; less_than needs digits only, e.g. 1048576'],
  ],
  [
    'a regex with look-ahead',
    regex('a(?=b)'),
    [
      `${c0}.value`,
      `invalid regex: look-around, including look-ahead and look-behind, is not supported (at character 2)${RUST}`,
    ],
  ],
  [
    'a regex with look-behind',
    regex('(?<!a)b'),
    [
      `${c0}.value`,
      `invalid regex: look-around, including look-ahead and look-behind, is not supported (at character 1)${RUST}`,
    ],
  ],
  [
    'a regex with a backreference',
    regex('(a)\\1'),
    [`${c0}.value`, `invalid regex: backreferences are not supported (at character 4)${RUST}`],
  ],
  [
    'a regex with an unclosed group',
    regex('(union|select'),
    [`${c0}.value`, `invalid regex: unclosed group (at character 1)${RUST}`],
  ],
  [
    'a regex with a reversed class range',
    regex('[z-a]'),
    [
      `${c0}.value`,
      `invalid regex: invalid character class range, the start must be <= the end (at character 2)${RUST}`,
    ],
  ],
  [
    'a regex with an escape Rust lacks',
    regex('\\Qa.b\\E'),
    [`${c0}.value`, `invalid regex: unrecognized escape sequence (at character 1)${RUST}`],
  ],
  [
    'a regex too large to compile',
    regex('\\w{1000}{1000}'),
    [`${c0}.value`, `invalid regex: Compiled regex exceeds size limit of 10485760 bytes.${RUST}`],
  ],
  [
    'a regex naming two groups alike',
    regex('(?P<n>a)(?P<n>b)'),
    [`${c0}.value`, `invalid regex: duplicate capture group name${RUST}`],
  ],
  [
    'a value over the size limit',
    withCondition({ field: 'uri', operator: 'contains', value: 'x'.repeat(2049) }),
    [`${c0}.value`, 'is 2049 characters long; at most 2048 are allowed'],
  ],
  [
    'a condition without a value',
    withCondition({ field: 'uri', operator: 'contains' }),
    [`${c0}.value`, 'is required'],
  ],
  [
    'a condition without an operator',
    withCondition({ field: 'uri', value: 'x' }),
    [`${c0}.operator`, `is required: one of ${OPERATORS}`],
  ],
  [
    'caseSensitive as a word',
    withCondition({ field: 'uri', operator: 'contains', value: 'x', caseSensitive: 'yes' }),
    [`${c0}.caseSensitive`, 'must be true or false, got the string "yes"'],
  ],
  [
    "the gateway's case_sensitive key",
    withCondition({ field: 'uri', operator: 'contains', value: 'x', case_sensitive: true }),
    [
      `${c0}.case_sensitive`,
      'unknown field "case_sensitive": that is the gateway\'s spelling, a WafRuleSet says "caseSensitive"',
    ],
  ],
  // Rules
  [
    'a rule without conditions',
    withRule({ ...base, conditions: [] }),
    ['spec.rules[0].conditions', 'is empty; at least 1 item is needed'],
  ],
  [
    'a rule with nine conditions',
    withRule({
      ...base,
      conditions: Array<RuleInput['conditions'][number]>(9).fill(when('uri', 'contains', 'x')),
    }),
    [
      'spec.rules[0].conditions',
      'has 9 items; at most 8 are allowed; conditions of a rule must all match; split alternatives into separate rules',
    ],
  ],
  [
    'a rule with no conditions field',
    withRule({ id: 'r1', action: { type: 'log' } }),
    ['spec.rules[0].conditions', 'is required'],
  ],
  [
    'an id with a space',
    withRule({ ...base, id: 'two words' }),
    [
      'spec.rules[0].id',
      `"two words" is not a valid rule id; use letters, digits, '_', '-' and '.', starting and ending with a letter or digit`,
    ],
  ],
  [
    'an id starting with a dash',
    withRule({ ...base, id: '-r' }),
    [
      'spec.rules[0].id',
      `"-r" is not a valid rule id; use letters, digits, '_', '-' and '.', starting and ending with a letter or digit`,
    ],
  ],
  [
    'an id over the size limit',
    withRule({ ...base, id: 'r'.repeat(129) }),
    ['spec.rules[0].id', 'is 129 characters long; at most 128 are allowed'],
  ],
  [
    'a rule without an id',
    withRule({ conditions: base.conditions, action: base.action }),
    ['spec.rules[0].id', 'is required'],
  ],
  [
    'an unknown severity',
    withRule({ ...base, severity: 'urgent' }),
    ['spec.rules[0].severity', '"urgent" is not supported; use one of low, medium, high, critical'],
  ],
  [
    'enabled as a word',
    withRule({ ...base, enabled: 'no' }),
    ['spec.rules[0].enabled', 'must be true or false, got the string "no"'],
  ],
  [
    'an unknown action type',
    withRule({ ...base, action: { type: 'deny' } }),
    ['spec.rules[0].action.type', '"deny" is not supported; use one of block, log, rate_limit'],
  ],
  [
    "the gateway's action_type key",
    withRule({ ...base, action: { action_type: 'block' } }),
    ['spec.rules[0].action.type', 'is required: one of block, log, rate_limit'],
    [
      'spec.rules[0].action.action_type',
      'unknown field "action_type": that is the gateway\'s spelling, a WafRuleSet says "type"',
    ],
  ],
  [
    'a score over 1000',
    withRule({ ...base, action: { type: 'block', score: 1001 } }),
    ['spec.rules[0].action.score', '1001 is out of range; use a whole number from 0 to 1000'],
  ],
  [
    'a fractional score',
    withRule({ ...base, action: { type: 'block', score: 1.5 } }),
    ['spec.rules[0].action.score', 'must be a whole number, got the number 1.5'],
  ],
  [
    'a message over the size limit',
    withRule({ ...base, action: { type: 'log', message: 'm'.repeat(1025) } }),
    ['spec.rules[0].action.message', 'is 1025 characters long; at most 1024 are allowed'],
  ],
  [
    'a rule that is a string',
    { rules: ['block /admin'] },
    ['spec.rules[0]', 'must be an object, got the string "block /admin"'],
  ],
  [
    'an unknown rule field',
    withRule({ ...base, metadata: {} }),
    [
      'spec.rules[0].metadata',
      'unknown field "metadata"; the fields here are id, name, description, severity, enabled, conditions, action',
    ],
  ],
  // The rule set
  [
    '129 rules',
    { rules: Array.from({ length: 129 }, (_, i) => rule(`r${i}`)) },
    [
      'spec.rules',
      'has 129 items; at most 128 are allowed; put the remaining rules in another WafRuleSet (priority orders them)',
    ],
  ],
  [
    'an unknown mode',
    { mode: 'Off', rules: [] },
    ['spec.mode', '"Off" is not supported; use one of Block, DetectOnly'],
  ],
  [
    'a negative priority',
    { priority: -1, rules: [] },
    ['spec.priority', '-1 is out of range; use a whole number from 0 to 1000'],
  ],
  [
    'an IPv4 prefix over 32',
    { ipAllowList: ['10.0.0.0/33'] },
    ['spec.ipAllowList[0]', '"10.0.0.0/33" has prefix length "33"; an IPv4 prefix is a number from 1 to 32'],
  ],
  [
    'an IPv6 prefix over 128',
    { ipDenyList: ['2001:db8::/129'] },
    [
      'spec.ipDenyList[0]',
      '"2001:db8::/129" has prefix length "129"; an IPv6 prefix is a number from 1 to 128',
    ],
  ],
  [
    'a /0 entry',
    { ipDenyList: ['0.0.0.0/0'] },
    [
      'spec.ipDenyList[0]',
      '"0.0.0.0/0" would cover every client, and the gateway computes a /0 mask wrongly; use prefixes from /1 (for IPv4 0.0.0.0/1 and 128.0.0.0/1 together cover everything)',
    ],
  ],
  [
    'an IPv4-mapped IPv6 address',
    { ipDenyList: ['::ffff:10.0.0.1'] },
    ['spec.ipDenyList[0]', '"::ffff:10.0.0.1" is an IPv4-mapped IPv6 address; write the IPv4 address itself'],
  ],
  [
    'an IPv4 octet with a leading zero',
    { ipDenyList: ['010.0.0.1'] },
    ['spec.ipDenyList[0]', '"010.0.0.1" has a leading zero in an IPv4 octet; write 10.0.0.1, not 010.0.0.1'],
  ],
  [
    'an IPv6 zone',
    { ipAllowList: ['fe80::1%eth0'] },
    ['spec.ipAllowList[0]', '"fe80::1%eth0" has an IPv6 zone; zones are not allowed'],
  ],
  [
    'a host name in an IP list',
    { ipAllowList: ['gateway.example.com'] },
    [
      'spec.ipAllowList[0]',
      '"gateway.example.com" must be an IP address or a CIDR such as 10.0.0.0/8 or 2001:db8::/32',
    ],
  ],
  [
    'an IP listed twice',
    { ipDenyList: ['10.0.0.1', '10.0.0.1'] },
    ['spec.ipDenyList[1]', '"10.0.0.1" is listed twice (also at spec.ipDenyList[0]); list it once'],
  ],
  [
    "the gateway's ip_whitelist key",
    { ip_whitelist: [] },
    [
      'spec.ip_whitelist',
      'unknown field "ip_whitelist": that is the gateway\'s spelling, a WafRuleSet says "ipAllowList"',
    ],
  ],
  // Tests
  [
    'two tests with one name',
    {
      tests: [
        { name: 't', request: { uri: '/' }, expect: 'allow' },
        { name: 't', request: { uri: '/a' }, expect: 'allow' },
      ],
    },
    ['spec.tests[1].name', 'test name "t" is already used by spec.tests[0]; names must be unique'],
  ],
  [
    'a test method in lower case',
    { tests: [{ name: 't', request: { uri: '/', method: 'get' }, expect: 'allow' }] },
    ['spec.tests[0].request.method', '"get" is not an HTTP method; use upper case letters, e.g. GET'],
  ],
  [
    'a test client that is not an IP',
    { tests: [{ name: 't', request: { uri: '/', ip: '1.2.3' }, expect: 'allow' }] },
    ['spec.tests[0].request.ip', '"1.2.3" is not an IP address; use e.g. 203.0.113.7 or 2001:db8::7'],
  ],
  [
    'an unknown expected outcome',
    { tests: [{ name: 't', request: { uri: '/' }, expect: 'deny' }] },
    ['spec.tests[0].expect', '"deny" is not supported; use one of allow, block, log, rate_limit'],
  ],
  [
    'a test without a URI',
    { tests: [{ name: 't', request: {}, expect: 'allow' }] },
    ['spec.tests[0].request.uri', 'is required'],
  ],
  ['a spec that is a list', [], ['spec', 'must be an object, got a list']],
];

describe('WafRuleSet validation', () => {
  it('has a table of at least 30 invalid rule sets', () => {
    expect(invalid.length).to.be.at.least(30);
  });

  for (const [what, value, ...problems] of invalid) {
    it(`rejects ${what}`, () => {
      const found = validateSpec(value).map((p) => [p.path, p.message]);
      expect(found).to.deep.equal(problems);
    });
  }

  it('names the rule or test a problem is about', () => {
    const problems = validateSpec({
      rules: [rule('ok'), rule('sqli', when('uri', 'regex', '(?=x)'))],
      tests: [{ name: 'admin is blocked', request: { uri: '/', ip: 'x' }, expect: 'block' }],
    });
    expect(problems.map((p: WafProblem) => p.rule)).to.deep.equal(['sqli', 'admin is blocked']);
  });

  it('reports every problem of a spec, not only the first', () => {
    const problems = validateSpec({
      mode: 'Off',
      rules: [rule('a b'), rule('x', when('body', 'like' as never, 'x'))],
      ipDenyList: ['x'],
    });
    expect(problems.map((p) => p.path)).to.deep.equal([
      'spec.mode',
      'spec.rules[1].conditions[0].operator',
      'spec.rules[0].id',
      'spec.rules[1].conditions[0].field',
      'spec.ipDenyList[0]',
    ]);
  });

  it('accepts a spec written without any of the CRD defaults', () => {
    expect(validateSpec({ rules: [rule('r1')] })).to.deep.equal([]);
    expect(validateSpec({})).to.deep.equal([]);
  });

  it('accepts Rust regex syntax that JavaScript lacks, and JavaScript syntax Rust shares', () => {
    for (const pattern of ['(?P<w>[a-z&&[^aeiou]]+)', '\\p{Greek}+', '(?i)union\\s+select', '\\A/api\\z']) {
      expect(validateSpec(regex(pattern)), pattern).to.deep.equal([]);
    }
  });

  it('refuses a rule set whose compiled form would not fit in a revision', () => {
    const big = (i: number) =>
      rule(
        `r${i}`,
        Array.from({ length: 8 }, (_, j) => when('uri', 'contains', `${i}-${j}-`.padEnd(2048, 'x'))),
      );
    const result = compileRuleSet({
      namespace: 'default',
      name: 'huge',
      spec: { rules: Array.from({ length: 60 }, (_, i) => big(i)) },
    });
    expect(result).to.have.property('problems');
    const [problem] = 'problems' in result ? result.problems : [];
    expect(problem?.path).to.equal('spec.rules');
    expect(problem?.message).to.match(
      /^the compiled rule set is \d+ bytes; a revision must stay under 800000 bytes \(it is stored in a ConfigMap\); move rules to another WafRuleSet$/,
    );
  });
});

describe('regex checks in bulk', () => {
  it('finds the few invalid patterns among many, each with its own message', () => {
    const patterns = Array.from({ length: 600 }, (_, i) => `(?i)bulk\\s+${i}`);
    patterns.splice(17, 0, 'a(?=b)');
    patterns.splice(450, 0, '[z-a]');
    expect([...regexProblems(patterns)]).to.deep.equal([
      [
        'a(?=b)',
        'invalid regex: look-around, including look-ahead and look-behind, is not supported (at character 2)',
      ],
      [
        '[z-a]',
        'invalid regex: invalid character class range, the start must be <= the end (at character 2)',
      ],
    ]);
  });
});
