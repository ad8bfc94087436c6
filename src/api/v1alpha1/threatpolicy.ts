/**
 * ThreatPolicy (gwthreat): scenarios that correlate the gateways' security events across the
 * fleet, CrowdSec-style — a filter, a grouping key, a leaky bucket — and what an overflow
 * decides: a ban or rate limit of the address or its range for a while (doubling for repeat
 * offenders), or only an incident. Bans are pushed to every gateway as IP deny lists; DryRun
 * records what would have been decided and decides nothing.
 */
import { conditions, duration, durationBound, observedGeneration, timestamp, uniqueBy } from './common.js';
import { DURATION_PATTERN, parseDuration } from './checks/duration.js';
import { DNS_LABEL, HEADER_NAME, HOSTNAME, RULE_ID, celString, matches } from './checks/names.js';
import {
  array,
  cel,
  defaulted,
  enumeration,
  integer,
  object,
  required,
  string,
  type TypeOf,
} from './schema/builder.js';
import { ageColumn, conditionColumn, defineKind } from './schema/kind.js';

const MILLI = 1_000_000n;
const SECOND = 1000n * MILLI;

const filter = object(
  'Which events the scenario counts; every list given must match (an empty filter counts every security event).',
  {
    logTypes: array('Log types counted: security (WAF matches).', enumeration('A log type.', ['security']), {
      maxItems: 1,
      listType: 'set',
    }),
    threatTypes: array(
      'Threat types counted, as the WAF rules name them (e.g. sql_injection, xss, path_traversal).',
      string('A threat type.', { maxLength: 64, minLength: 1 }),
      { maxItems: 32, listType: 'set' },
    ),
    ruleIds: array(
      'WAF rule ids counted.',
      string(
        'A WAF rule id.',
        { maxLength: 128 },
        cel(
          `self.matches(${celString(RULE_ID)})`,
          "ruleIds must be letters, digits, '_', '-' or '.'",
          (self) => matches(RULE_ID, self),
        ),
      ),
      { maxItems: 64, listType: 'set' },
    ),
    actions: array(
      'Actions the gateway took that are counted: blocked, logged, rate_limited, ...',
      string('An action.', { maxLength: 32, minLength: 1 }),
      { maxItems: 8, listType: 'set' },
    ),
    statusCodes: array('HTTP statuses counted.', integer('An HTTP status.', { minimum: 100, maximum: 599 }), {
      maxItems: 32,
      listType: 'set',
    }),
    pathPrefixes: array(
      'Request paths counted: an event counts when its path starts with one of them.',
      string(
        'A path prefix starting with "/".',
        { maxLength: 256 },
        cel("self.startsWith('/')", 'pathPrefixes must start with "/"', (self) => self.startsWith('/')),
      ),
      { maxItems: 32, listType: 'set' },
    ),
    hosts: array(
      'Request hosts counted (exact names).',
      string(
        'A host name.',
        { maxLength: 253 },
        cel(`self.matches(${celString(HOSTNAME)})`, 'hosts must be lowercase DNS names', (self) =>
          matches(HOSTNAME, self),
        ),
      ),
      { maxItems: 32, listType: 'set' },
    ),
  },
);

const groupBy = object(
  'What one bucket counts: one client address, one IPv4 /24 or IPv6 /64, one ASN, or one value of a header.',
  {
    key: defaulted(enumeration('ip, range, asn or header.', ['ip', 'range', 'asn', 'header']), 'ip'),
    header: string(
      'The header whose value groups events, when key is header.',
      { maxLength: 256 },
      cel(`self.matches(${celString(HEADER_NAME)})`, 'groupBy.header must be an HTTP header name', (self) =>
        matches(HEADER_NAME, self),
      ),
    ),
  },
  cel(
    "self.key == 'header' ? has(self.header) : !has(self.header)",
    'groupBy.header is required when groupBy.key is header, and only then',
    (self) => (self.key === 'header') === (self.header !== undefined),
    { fieldPath: '.header' },
  ),
);

const bucket = object('The leaky bucket: it overflows when more than capacity events stay in it.', {
  capacity: required(
    integer('Events the bucket holds; the one past it overflows (1 to 100,000).', {
      minimum: 1,
      maximum: 100_000,
    }),
  ),
  leakSpeed: required(
    duration(
      'How long the bucket takes to leak one event (10ms to 24h).',
      durationBound(
        "duration(self) >= duration('10ms') && duration(self) <= duration('24h')",
        'leakSpeed must be between 10ms and 24h',
        (nanos) => nanos >= 10n * MILLI && nanos <= 86_400n * SECOND,
      ),
    ),
  ),
});

const escalation = object('Repeat offenders: each new decision on the same value doubles the duration.', {
  maxDuration: required(duration('The longest a doubled decision may last.')),
  window: defaulted(duration('How long after a decision expires a new one still counts as a repeat.'), '24h'),
});

const response = object(
  'What an overflow decides.',
  {
    type: defaulted(
      enumeration(
        'ban: every gateway denies the address or range. rate_limit: recorded as a decision (gateways ' +
          'apply their route rate limits; not pushed as a deny). log: an incident only.',
        ['ban', 'rate_limit', 'log'],
      ),
      'ban',
    ),
    duration: defaulted(
      duration(
        'How long the decision lasts (1s to 8760h).',
        durationBound(
          "duration(self) >= duration('1s') && duration(self) <= duration('8760h')",
          'response.duration must be between 1s and 8760h',
          (nanos) => nanos >= SECOND && nanos <= 8760n * 3600n * SECOND,
        ),
      ),
      '4h',
    ),
    scope: defaulted(
      enumeration('ip: the address of the event that overflowed; range: its /24 (IPv6 /64).', [
        'ip',
        'range',
      ]),
      'ip',
    ),
    escalation,
  },
  cel(
    `!has(self.escalation) || !self.duration.matches(${celString(DURATION_PATTERN)}) || ` +
      `!self.escalation.maxDuration.matches(${celString(DURATION_PATTERN)}) || ` +
      'duration(self.escalation.maxDuration) >= duration(self.duration)',
    'escalation.maxDuration must be at least duration',
    (self) => {
      if (!self.escalation) return true;
      const [base, max] = [parseDuration(self.duration), parseDuration(self.escalation.maxDuration)];
      return base === undefined || max === undefined || max >= base;
    },
    { fieldPath: '.escalation.maxDuration' },
  ),
);

const scenario = object('One scenario: a filter, a grouping, a bucket and a response.', {
  name: required(
    string(
      'Unique in the policy; names the scenario in decisions, incidents and metrics.',
      { maxLength: 63, minLength: 1 },
      cel(
        `self.matches(${celString(DNS_LABEL)})`,
        'name must be lowercase letters, digits and "-", starting and ending with a letter or digit',
        (self) => matches(DNS_LABEL, self),
      ),
    ),
  ),
  description: string('What the scenario detects.', { maxLength: 1024 }),
  filter,
  groupBy: defaulted(groupBy, { key: 'ip' }),
  bucket: required(bucket),
  distinct: enumeration('Count only events with a value not yet in the bucket (e.g. path for scans).', [
    'path',
    'host',
    'ruleId',
    'route',
  ]),
  response: defaulted(response, {}),
});

const spec = object('Scenarios correlating security events from every gateway, and what they decide.', {
  mode: defaulted(
    enumeration(
      'Enforce decides; DryRun records incidents and what it would have decided, and decides nothing.',
      ['Enforce', 'DryRun'],
    ),
    'Enforce',
  ),
  scenarios: required(
    array(
      'The scenarios (1 to 32).',
      scenario,
      { maxItems: 32, minItems: 1 },
      uniqueBy('name', 'scenarios must have unique names'),
    ),
  ),
});

const scenarioStatus = object('Counters of one scenario since the operator started leading.', {
  name: required(string('The scenario.', { maxLength: 63 })),
  events: integer('Events that matched its filter.', { minimum: 0 }),
  overflows: integer('Times its bucket overflowed.', { minimum: 0 }),
});

const status = object('What the operator observed and did; written by the operator only.', {
  observedGeneration,
  conditions: conditions('Ready (the scenarios are loaded and correlating)'),
  activeDecisions: integer('Decisions of this policy in force now.', { minimum: 0 }),
  incidents24h: integer('Incidents of this policy seen in the last 24 hours.', { minimum: 0 }),
  lastTriggered: timestamp('When a scenario of this policy last overflowed.'),
  scenarios: array('Per scenario.', scenarioStatus, { maxItems: 32, listType: 'map', listMapKeys: ['name'] }),
});

export const threatPolicyKind = defineKind(
  {
    kind: 'ThreatPolicy',
    plural: 'threatpolicies',
    singular: 'threatpolicy',
    shortName: 'gwthreat',
    description:
      'ThreatPolicy holds scenarios that correlate security events from every gateway (a filter, a ' +
      'grouping key, a leaky bucket) and decide bans, rate limits or incidents; bans are pushed to ' +
      'every gateway as IP deny lists and expire on their own.',
    printerColumns: [
      conditionColumn('Ready', 'The scenarios are loaded and correlating.'),
      { name: 'Mode', type: 'string', jsonPath: '.spec.mode', description: 'Enforce or DryRun.' },
      {
        name: 'Decisions',
        type: 'integer',
        jsonPath: '.status.activeDecisions',
        description: 'Decisions in force now.',
      },
      {
        name: 'Incidents 24h',
        type: 'integer',
        jsonPath: '.status.incidents24h',
        description: 'Incidents in the last 24 hours.',
      },
      {
        name: 'Last Triggered',
        type: 'date',
        jsonPath: '.status.lastTriggered',
        description: 'When a scenario last overflowed.',
      },
      ageColumn,
    ],
  },
  spec,
  status,
);

export type ThreatPolicy = TypeOf<typeof threatPolicyKind.root>;
export type ThreatPolicySpec = TypeOf<typeof spec>;
export type ThreatPolicyStatus = TypeOf<typeof status>;
export type ThreatScenarioSpec = TypeOf<typeof scenario>;
