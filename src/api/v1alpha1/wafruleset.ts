/**
 * WafRuleSet (waf): WAF rules in the gateway's own rule model (its waf-rules.yaml), compiled and
 * tested by the operator and pushed to the selected gateway pods.
 */
import { conditions, gatewaySelector, gatewaysStatus, observedGeneration, uniqueBy } from './common.js';
import { IP_OR_CIDR_HINT, isCIDR, isIP } from './checks/network.js';
import { METHOD, RULE_ID, WAF_FIELD, celString, matches } from './checks/names.js';
import {
  BACKREFERENCE,
  BACKREFERENCE_MESSAGE,
  LOOK_AROUND,
  LOOK_AROUND_MESSAGE,
  hasBackreference,
  hasLookAround,
  regexProblem,
} from './checks/regex.js';
import {
  array,
  boolean,
  cel,
  defaulted,
  enumeration,
  integer,
  map,
  object,
  offline,
  required,
  string,
  type TypeOf,
} from './schema/builder.js';
import { ageColumn, conditionColumn, defineKind } from './schema/kind.js';

// Bounds chosen so the CEL cost estimate of the per-condition regex rules (rules × conditions ×
// value length) stays inside the API server's budget; more rules go in another WafRuleSet.
const MAX_RULES = 128;
const MAX_CONDITIONS = 8;
const MAX_VALUE = 2048;
const NUMERIC = ['greater_than', 'less_than'];

const ipList = (description: string) =>
  array(
    description,
    string(
      'An IPv4 or IPv6 address or CIDR.',
      { maxLength: 64 },
      cel('isIP(self) || isCIDR(self)', IP_OR_CIDR_HINT, (self) => isIP(self) || isCIDR(self)),
    ),
    { maxItems: 1024, listType: 'set' },
  );

const condition = object(
  'One test on the request; a rule matches when all its conditions match.',
  {
    field: required(
      string(
        'What to read from the request: uri, method, ip, user_agent, content_type, content_length, ' +
          'header.<Name> or query.<name>. A missing header or parameter reads as the empty string.',
        { maxLength: 256 },
        cel(
          `self.matches(${celString(WAF_FIELD)})`,
          'field must be uri, method, ip, user_agent, content_type, content_length, header.<Name> or query.<name>',
          (self) => matches(WAF_FIELD, self),
        ),
      ),
    ),
    operator: required(
      enumeration(
        'How to compare: equals, contains, starts_with, ends_with (honouring caseSensitive), regex ' +
          '(Rust regex syntax: no look-around, no backreferences), greater_than and less_than (numeric, ' +
          'field content_length only).',
        ['equals', 'contains', 'starts_with', 'ends_with', 'regex', 'greater_than', 'less_than'],
      ),
    ),
    value: required(string('The value or pattern to compare with.', { maxLength: MAX_VALUE })),
    caseSensitive: defaulted(boolean('Compare case-sensitively (text operators only).'), false),
  },
  cel(
    `!(self.operator in ${JSON.stringify(NUMERIC)}) || self.field == 'content_length'`,
    'operators greater_than and less_than compare numbers and need field content_length',
    (self) => !NUMERIC.includes(self.operator) || self.field === 'content_length',
    { fieldPath: '.operator' },
  ),
  cel(
    `!(self.operator in ${JSON.stringify(NUMERIC)}) || self.value.matches('^[0-9]+$')`,
    'value must be a whole number of bytes for greater_than and less_than',
    (self) => !NUMERIC.includes(self.operator) || /^[0-9]+$/.test(self.value),
    { fieldPath: '.value' },
  ),
  cel(
    `self.operator != 'regex' || !self.value.matches(${celString(LOOK_AROUND)})`,
    LOOK_AROUND_MESSAGE,
    (self) => self.operator !== 'regex' || !hasLookAround(self.value),
    { fieldPath: '.value' },
  ),
  cel(
    `self.operator != 'regex' || !self.value.matches(${celString(BACKREFERENCE)})`,
    BACKREFERENCE_MESSAGE,
    (self) => self.operator !== 'regex' || !hasBackreference(self.value),
    { fieldPath: '.value' },
  ),
  offline((self) => (self.operator === 'regex' ? regexProblem(self.value) : undefined), {
    fieldPath: '.value',
  }),
);

const rule = object("A rule in the gateway's rule model.", {
  id: required(
    string(
      'Unique id within the rule set, reported in logs and metrics, e.g. sql_injection_basic.',
      { maxLength: 128 },
      cel(`self.matches(${celString(RULE_ID)})`, "id must be letters, digits, '_', '-' or '.'", (self) =>
        matches(RULE_ID, self),
      ),
    ),
  ),
  name: string('Human-readable name.', { maxLength: 256 }),
  description: string('What the rule detects.', { maxLength: 1024 }),
  severity: defaulted(
    enumeration('Severity reported with a match.', ['low', 'medium', 'high', 'critical']),
    'medium',
  ),
  enabled: defaulted(boolean('A disabled rule never matches.'), true),
  conditions: required(
    array('Conditions that must all match (1 to 8).', condition, { minItems: 1, maxItems: MAX_CONDITIONS }),
  ),
  action: required(
    object('What happens when the rule matches.', {
      type: required(
        enumeration(
          'block: reject the request and stop; rate_limit: apply the rate limiter and stop; ' +
            'log: record the match and go on with the next rule.',
          ['block', 'log', 'rate_limit'],
        ),
      ),
      message: string('Message logged (and returned on block).', { maxLength: 1024 }),
      score: defaulted(
        integer('Anomaly score added on a match (0 to 1000).', { minimum: 0, maximum: 1000 }),
        0,
      ),
    }),
  ),
});

const testCase = object('A request and the outcome the rule set must produce for it.', {
  name: required(string('Name of the test, unique in the rule set.', { maxLength: 256, minLength: 1 })),
  request: required(
    object('The request to evaluate.', {
      method: defaulted(
        string(
          'HTTP method in upper case.',
          { maxLength: 16 },
          cel(
            `self.matches(${celString(METHOD)})`,
            'method must be an upper-case HTTP method such as GET',
            (self) => matches(METHOD, self),
          ),
        ),
        'GET',
      ),
      uri: required(string('Path and query, e.g. /search?q=1.', { maxLength: 8192, minLength: 1 })),
      headers: map('Request headers by name.', string('Header value.', { maxLength: 8192 }), {
        maxProperties: 64,
      }),
      ip: string(
        'Client IP address.',
        { maxLength: 64 },
        cel('isIP(self)', 'ip must be an IPv4 or IPv6 address', isIP),
      ),
      body: string('Request body; content_length is its size in bytes.', { maxLength: 65536 }),
    }),
  ),
  expect: required(enumeration('Expected outcome.', ['allow', 'block', 'log', 'rate_limit'])),
});

const spec = object('The rule set you want the gateways to apply.', {
  mode: defaulted(
    enumeration('Block: enforce the actions. DetectOnly: log what would have happened, block nothing.', [
      'Block',
      'DetectOnly',
    ]),
    'Block',
  ),
  priority: defaulted(
    integer('Order among the rule sets a gateway applies: lower first (0 to 1000).', {
      minimum: 0,
      maximum: 1000,
    }),
    100,
  ),
  rules: array(
    `Rules, evaluated in order: the first block or rate_limit match ends evaluation (at most ${MAX_RULES}).`,
    rule,
    { maxItems: MAX_RULES },
    uniqueBy('id', 'rule ids must be unique'),
  ),
  ipAllowList: ipList('When not empty, only clients in these addresses or CIDRs are admitted.'),
  ipDenyList: ipList('Clients in these addresses or CIDRs are rejected.'),
  tests: array(
    'Requests the operator evaluates against the compiled rules before pushing them; a failing ' +
      'test keeps the last good revision in service.',
    testCase,
    { maxItems: 64 },
    uniqueBy('name', 'test names must be unique'),
  ),
  revisionHistoryLimit: defaulted(
    integer('Compiled revisions kept for rollback (0 to 100).', { minimum: 0, maximum: 100 }),
    10,
  ),
  gatewaySelector,
});

const status = object('What the operator observed and did; written by the operator only.', {
  observedGeneration,
  conditions: conditions(
    'Ready (compiled, tests passed and synced), Compiled (the rules compile and the tests pass), ' +
      'Synced (every selected gateway applied the current revision)',
  ),
  revision: integer('Revision of the compiled rule set in service.', { minimum: 0 }),
  hash: string('Content hash of the compiled rule set in service.', { maxLength: 128 }),
  ruleCount: integer('Rules in the compiled rule set in service.', { minimum: 0 }),
  errors: array(
    'Why the latest spec did not compile or its tests failed.',
    object('One problem.', {
      rule: string('Id of the rule or name of the test concerned.', { maxLength: 256 }),
      path: string('Field path, e.g. spec.rules[3].conditions[0].value.', { maxLength: 512 }),
      message: string('What is wrong.', { maxLength: 4096 }),
    }),
    { maxItems: 256 },
  ),
  gateways: gatewaysStatus,
});

export const wafRuleSetKind = defineKind(
  {
    kind: 'WafRuleSet',
    plural: 'wafrulesets',
    singular: 'wafruleset',
    shortName: 'waf',
    description:
      "WafRuleSet is a set of WAF rules in the gateway's own rule model, with IP allow and deny " +
      'lists and tests; the operator compiles and tests it and pushes it to the selected gateways.',
    printerColumns: [
      conditionColumn('Ready', 'Whether the rule set is compiled and synced.'),
      { name: 'Mode', type: 'string', jsonPath: '.spec.mode', description: 'Block or DetectOnly.' },
      { name: 'Rules', type: 'integer', jsonPath: '.status.ruleCount', description: 'Rules in service.' },
      {
        name: 'Revision',
        type: 'integer',
        jsonPath: '.status.revision',
        description: 'Revision in service.',
      },
      {
        name: 'Synced',
        type: 'string',
        jsonPath: '.status.gateways.summary',
        description: 'Gateways that applied the revision / gateways selected.',
      },
      ageColumn,
    ],
  },
  spec,
  status,
);

export type WafRuleSet = TypeOf<typeof wafRuleSetKind.root>;
export type WafRuleSetSpec = TypeOf<typeof spec>;
export type WafRuleSetStatus = TypeOf<typeof status>;
export type WafRule = TypeOf<typeof rule>;
export type WafCondition = TypeOf<typeof condition>;
