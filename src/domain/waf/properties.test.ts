import { BlockList } from 'node:net';
import { expect } from 'chai';
import fc from 'fast-check';
import { RRegex } from 'rregex';
import type { ConditionInput, RuleInput } from '../../../test/fixtures/waf/builders.js';
import { canonicalJson } from './canonical.js';
import { compileRuleSet, isCompiled } from './compile.js';
import { createEvaluator } from './evaluate.js';
import { isMerged, mergeRuleSets } from './merge.js';
import type {
  CompiledRuleSet,
  Decision,
  GatewayCondition,
  WafPolicy,
  WafRequest,
  WafRuleSetSpecInput,
} from './model.js';

// A small vocabulary, so that random rules and random requests meet often.
const WORDS = [
  'admin',
  'API',
  'select',
  'Union',
  '../',
  'é',
  'x',
  '.php',
  'q',
  '1',
  ' ',
  'İ',
  'ß',
  'ſ',
  '\u212a',
];
const PATTERNS = [
  '(?i)admin',
  '\\d+',
  '^/api/',
  'union\\s+select',
  '[a-z]+\\.php$',
  '\\bx\\b',
  'é',
  '(?i)SCRIPT|select',
  '\\A/\\z',
  '^(GET|POST)$',
  '(?i)^mozilla',
  '\\p{Lu}',
];
const IPS = ['10.1.2.3', '10.200.0.1', '192.168.1.100', '203.0.113.7', '2001:db8::1', '2001:db9::5', '::1'];
const ENTRIES = [
  '10.0.0.0/8',
  '10.1.2.3',
  '192.168.0.0/16',
  '203.0.113.0/24',
  '2001:db8::/32',
  '::1',
  '::/1',
];
const TEXT_FIELDS = [
  'uri',
  'method',
  'ip',
  'user_agent',
  'content_type',
  'header.X-Test',
  'query.q',
  'query.id',
];

const text = fc.array(fc.constantFrom(...WORDS), { maxLength: 3 }).map((w) => w.join(''));

const condition: fc.Arbitrary<ConditionInput> = fc.oneof(
  fc.record({
    field: fc.constantFrom(...TEXT_FIELDS),
    operator: fc.constantFrom(
      'equals' as const,
      'contains' as const,
      'starts_with' as const,
      'ends_with' as const,
    ),
    value: text,
    caseSensitive: fc.boolean(),
  }),
  fc.record({
    field: fc.constantFrom(...TEXT_FIELDS),
    operator: fc.constant('regex' as const),
    value: fc.constantFrom(...PATTERNS),
    caseSensitive: fc.boolean(),
  }),
  fc.record({
    field: fc.constant('content_length'),
    operator: fc.constantFrom('greater_than' as const, 'less_than' as const),
    value: fc.integer({ min: 0, max: 20 }).map(String),
  }),
);

const ruleAt = (i: number): fc.Arbitrary<RuleInput> =>
  fc.record({
    id: fc.constant(`r${i}`),
    enabled: fc.constantFrom(true, true, true, false),
    severity: fc.constantFrom('low' as const, 'high' as const),
    conditions: fc.array(condition, { minLength: 1, maxLength: 3 }),
    action: fc.record({
      type: fc.constantFrom('block' as const, 'log' as const, 'log' as const, 'rate_limit' as const),
      message: fc.constantFrom('', 'm'),
      score: fc.integer({ min: 0, max: 100 }),
    }),
  });

const specArb: fc.Arbitrary<WafRuleSetSpecInput> = fc
  .record({
    count: fc.integer({ min: 0, max: 12 }),
    mode: fc.constantFrom('Block' as const, 'Block' as const, 'DetectOnly' as const),
    priority: fc.integer({ min: 0, max: 3 }),
    ipAllowList: fc.oneof(fc.constant<string[]>([]), fc.shuffledSubarray(ENTRIES, { maxLength: 3 })),
    ipDenyList: fc.shuffledSubarray(ENTRIES, { maxLength: 3 }),
  })
  .chain(({ count, ...rest }) =>
    fc.tuple(...Array.from({ length: count }, (_, i) => ruleAt(i))).map((list) => ({ ...rest, rules: list })),
  );

const request: fc.Arbitrary<WafRequest> = fc.record(
  {
    method: fc.constantFrom('GET', 'POST', 'DELETE'),
    uri: fc
      .tuple(text, fc.option(text, { nil: undefined }), fc.option(text, { nil: undefined }))
      .map(
        ([path, q, id]) =>
          `/${path}${q === undefined ? '' : `?q=${encodeURIComponent(q)}`}${id === undefined ? '' : `&id=${id.replaceAll(' ', '+')}`}`,
      ),
    headers: fc.dictionary(
      fc.constantFrom('X-Test', 'x-test', 'User-Agent', 'content-type', 'Content-Length', 'X-Other'),
      text,
      { maxKeys: 4 },
    ),
    ip: fc.constantFrom(...IPS),
    body: text,
  },
  { requiredKeys: ['uri'] },
);

function compile(spec: WafRuleSetSpecInput, namespace = 'ns', name = 'rs'): CompiledRuleSet {
  const result = compileRuleSet({ namespace, name, spec });
  if (!isCompiled(result)) throw new Error(JSON.stringify(result.problems));
  return result;
}

/** The same value with every object's keys in another order. */
function reorder(value: unknown, random: () => number): unknown {
  if (Array.isArray(value)) return value.map((v) => reorder(v, random));
  if (typeof value !== 'object' || value === null) return value;
  const entries = Object.entries(value).sort(() => random() - 0.5);
  return Object.fromEntries(entries.map(([k, v]) => [k, reorder(v, random)]));
}

const regexes = new Map<string, RRegex>();
function regex(pattern: string): RRegex {
  let re = regexes.get(pattern);
  if (!re) {
    re = new RRegex(pattern);
    regexes.set(pattern, re);
  }
  return re;
}

/**
 * The gateway's semantics written the obvious way, one condition and one regex at a time, with
 * Node's BlockList for the IP filter: what the optimised evaluator must agree with.
 */
function reference(policy: WafPolicy, req: WafRequest): Decision {
  // One list per family: Node's BlockList would match IPv4 clients against IPv6 subnets
  // (as IPv4-mapped addresses), the gateway never does.
  const family = (address: string) => (address.includes(':') ? 'ipv6' : 'ipv4');
  const has = (entries: readonly string[]): boolean => {
    if (req.ip === undefined) return false;
    const blocks = new BlockList();
    for (const entry of entries) {
      const [address = '', prefix] = entry.split('/');
      if (family(address) !== family(req.ip)) continue;
      if (prefix === undefined) blocks.addAddress(address, family(address));
      else blocks.addSubnet(address, Number(prefix), family(address));
    }
    return blocks.check(req.ip, family(req.ip));
  };
  if (policy.ipAllowList.length > 0 && !has(policy.ipAllowList)) {
    return {
      action: 'block',
      message: `client ${req.ip ?? '(none)'} is not on the IP allow list`,
      logged: [],
      score: 0,
    };
  }
  if (has(policy.ipDenyList)) {
    return {
      action: 'block',
      message: `client ${req.ip ?? '(none)'} is on the IP deny list`,
      logged: [],
      score: 0,
    };
  }
  const header = (name: string): string =>
    Object.entries(req.headers ?? {}).find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1] ?? '';
  const query = (name: string): string => {
    let found = '';
    for (const pair of (req.uri.split('?')[1] ?? '').split('&')) {
      const [k = '', v = ''] = pair.split('=');
      const decode = (s: string) => decodeURIComponent(s.replaceAll('+', ' '));
      if (decode(k) === name) found = decode(v);
    }
    return found;
  };
  const read = (field: string): string => {
    if (field === 'uri') return req.uri;
    if (field === 'method') return req.method ?? 'GET';
    if (field === 'ip') return req.ip ?? '';
    if (field === 'user_agent') return header('user-agent');
    if (field === 'content_type') return header('content-type');
    if (field === 'content_length') {
      if (req.body !== undefined) return String(Buffer.byteLength(req.body));
      return /^\d+$/.test(header('content-length')) ? header('content-length') : '0';
    }
    if (field.startsWith('header.')) return header(field.slice(7));
    return query(field.slice(6));
  };
  const holds = (c: GatewayCondition): boolean => {
    const actual = read(c.field);
    const [a, b] = c.case_sensitive ? [actual, c.value] : [actual.toLowerCase(), c.value.toLowerCase()];
    switch (c.operator) {
      case 'equals':
        return a === b;
      case 'contains':
        return a.includes(b);
      case 'starts_with':
        return a.startsWith(b);
      case 'ends_with':
        return a.endsWith(b);
      case 'regex':
        return regex(c.value).isMatch(actual);
      case 'greater_than':
        return Number(actual) > Number(c.value);
      case 'less_than':
        return Number(actual) < Number(c.value);
    }
  };
  const logged: string[] = [];
  let score = 0;
  for (const rule of policy.rules) {
    if (!rule.enabled || !rule.conditions.every(holds)) continue;
    score += rule.action.score ?? 0;
    if (rule.action.action_type === 'log') logged.push(rule.id);
    else
      return { action: rule.action.action_type, rule: rule.id, message: rule.action.message, logged, score };
  }
  return { action: logged.length > 0 ? 'log' : 'allow', logged, score };
}

describe('WAF compiler properties', () => {
  it('compiles the same spec to the same bytes, whatever the order of its keys and IP lists', () => {
    fc.assert(
      fc.property(specArb, fc.integer(), (spec, seed) => {
        let state = seed;
        const random = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) & 0xffff) / 0x10000;
        const shuffled = reorder(spec, random) as WafRuleSetSpecInput;
        shuffled.ipAllowList = [...(spec.ipAllowList ?? [])].reverse();
        shuffled.ipDenyList = [...(spec.ipDenyList ?? [])].reverse();
        const [one, two] = [compile(spec), compile(shuffled)];
        const text = new TextDecoder().decode(one.payload);
        expect(text).to.equal(canonicalJson(JSON.parse(text)));
        expect(Buffer.from(two.payload).equals(Buffer.from(one.payload))).to.equal(true);
        expect(two.hash).to.equal(one.hash);
      }),
      { numRuns: 100 },
    );
  });

  it('merges rule sets to byte-identical bundles in any order', () => {
    const sets = fc
      .array(specArb, { minLength: 1, maxLength: 4 })
      .map((specs) => specs.map((spec, i) => compile(spec, 'ns', `rs${i}`)));
    fc.assert(
      fc.property(sets, fc.integer(), (compiled, seed) => {
        const rotated = [
          ...compiled.slice(seed % compiled.length),
          ...compiled.slice(0, seed % compiled.length),
        ];
        const [one, two] = [mergeRuleSets(compiled), mergeRuleSets([...rotated].reverse())];
        expect(canonicalJson(two)).to.equal(canonicalJson(one));
        // Rule ids r0.. repeat across rule sets: identical ones merge, different ones conflict.
        if (isMerged(one)) expect(new Set(one.rules.map((r) => r.id)).size).to.equal(one.rules.length);
      }),
      { numRuns: 100 },
    );
  });

  it('evaluates every request as the naive reference evaluator does', () => {
    fc.assert(
      fc.property(specArb, fc.array(request, { minLength: 1, maxLength: 25 }), (spec, requests) => {
        const compiled = compile(spec);
        const evaluator = createEvaluator(compiled);
        try {
          for (const req of requests) {
            expect(evaluator.evaluate(req), JSON.stringify(req)).to.deep.equal(reference(compiled, req));
          }
        } finally {
          evaluator.dispose();
        }
      }),
      { numRuns: 200 },
    );
  });
});
