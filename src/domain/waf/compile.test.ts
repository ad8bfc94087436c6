import { expect } from 'chai';
import {
  allow,
  compiled,
  deny,
  mode,
  priority,
  rule,
  rules,
  spec,
  when,
} from '../../../test/fixtures/waf/builders.js';
import { canonicalJson, contentHash } from './canonical.js';
import { wafResourceName } from './compile.js';
import { isMerged, mergeRuleSets } from './merge.js';
import type { RuleSetContent, WafBundle } from './model.js';

function merged(...sets: RuleSetContent[]): WafBundle {
  const result = mergeRuleSets(sets);
  if (!isMerged(result)) throw new Error(JSON.stringify(result.conflicts));
  return result;
}

describe('WafRuleSet compilation', () => {
  it("applies the CRD's defaults to fields the object does not carry", () => {
    const result = compiled(spec(rules(rule('r1', when('uri', 'contains', '/admin'), { type: 'block' }))));
    expect(result).to.deep.include({ name: 'default/rules', priority: 100, mode: 'Block', ruleCount: 1 });
    expect(result.rules[0]).to.deep.equal({
      id: 'r1',
      name: '',
      description: '',
      severity: 'medium',
      enabled: true,
      conditions: [{ field: 'uri', operator: 'contains', value: '/admin', case_sensitive: false }],
      action: { action_type: 'block', message: '', score: 0, metadata: {} },
      metadata: {},
    });
  });

  it('turns block and rate_limit into log in DetectOnly mode, and enforces no IP list', () => {
    const result = compiled(
      spec(
        mode('DetectOnly'),
        rules(
          rule('b', undefined, { type: 'block' }),
          rule('r', undefined, { type: 'rate_limit' }),
          rule('l', undefined, { type: 'log' }),
        ),
        deny('10.0.0.0/8'),
      ),
    );
    expect(result.rules.map((r) => [r.action.action_type, r.action.metadata])).to.deep.equal([
      ['log', { detect_only: 'block' }],
      ['log', { detect_only: 'rate_limit' }],
      ['log', {}],
    ]);
    expect(result.ipDenyList).to.deep.equal([]);
  });

  it('normalises and sorts the IP lists: network addresses, canonical IPv6, /32 as an address', () => {
    const result = compiled(
      spec(
        allow('2001:DB8:0:0:0:0:0:1/128', '10.9.8.7/8', '192.168.1.100/32', '10.0.0.0/8', '1.2.3.4', '::/1'),
      ),
    );
    expect(result.ipAllowList).to.deep.equal([
      '1.2.3.4',
      '10.0.0.0/8',
      '192.168.1.100',
      '::/1',
      '2001:db8::1',
    ]);
  });

  it('hashes the canonical payload, so the hash is the version the push layer puts on it', () => {
    const result = compiled(spec(rules(rule('r1')), priority(7)));
    const text = new TextDecoder().decode(result.payload);
    expect(text).to.equal(
      canonicalJson({
        name: result.name,
        priority: 7,
        mode: 'Block',
        rules: result.rules,
        ipAllowList: [],
        ipDenyList: [],
      }),
    );
    expect(result.hash)
      .to.equal(contentHash(result.payload))
      .and.to.match(/^[0-9a-f]{32}$/);
  });

  it('changes the hash with any change that matters to a gateway', () => {
    const base = compiled(spec(rules(rule('r1'))));
    const variants = [
      spec(rules(rule('r1', when('uri', 'contains', '/admin', true)))),
      spec(rules(rule('r1')), priority(99)),
      spec(rules(rule('r1')), mode('DetectOnly')),
      spec(rules(rule('r1')), deny('10.0.0.1')),
      spec(rules(rule('r1', undefined, undefined, { enabled: false }))),
    ];
    for (const variant of variants) expect(compiled(variant).hash).to.not.equal(base.hash);
    expect(compiled(spec(rules(rule('r1'))), 'other').hash).to.not.equal(base.hash);
  });

  it('names resources so that sorting names sorts by priority, then namespace/name', () => {
    expect(wafResourceName('default', 'base', 100)).to.equal('0100.default/base');
    const names = [
      wafResourceName('b', 'x', 5),
      wafResourceName('a', 'z', 1000),
      wafResourceName('a-b', 'x', 5),
      wafResourceName('a', 'x', 5),
      wafResourceName('a', 'y', 0),
    ];
    expect([...names].sort()).to.deep.equal(['0000.a/y', '0005.a-b/x', '0005.a/x', '0005.b/x', '1000.a/z']);
    // The merge orders by the same string comparison of namespace/name.
    const sets = names.map((name) => {
      const [prio = '', key = ''] = name.split('.');
      return {
        name: key,
        priority: Number(prio),
        mode: 'Block' as const,
        rules: [],
        ipAllowList: [],
        ipDenyList: [],
      };
    });
    expect(merged(...sets).ruleSets).to.deep.equal(['a/y', 'a-b/x', 'a/x', 'b/x', 'a/z']);
  });
});

describe('merging the rule sets of one gateway', () => {
  const shared = rule('shared', when('uri', 'contains', '/shared'));

  it('orders rule sets by priority, then namespace/name, each keeping its rule order', () => {
    const a = compiled(spec(rules(rule('a2'), rule('a1'))), 'ns', 'a');
    const b = compiled(spec(rules(rule('b1'))), 'ns', 'b');
    const first = compiled(spec(rules(rule('f1')), priority(10)), 'zz', 'first');
    const bundle = merged(b, a, first);
    expect(bundle.ruleSets).to.deep.equal(['zz/first', 'ns/a', 'ns/b']);
    expect(bundle.rules.map((r) => r.id)).to.deep.equal(['f1', 'a2', 'a1', 'b1']);
  });

  it('keeps a rule defined identically in several rule sets once, where it first applies', () => {
    const a = compiled(spec(rules(rule('a1'), shared)), 'ns', 'a');
    const b = compiled(spec(rules(shared, rule('b1'))), 'ns', 'b');
    expect(merged(b, a).rules.map((r) => r.id)).to.deep.equal(['a1', 'shared', 'b1']);
  });

  it('refuses a rule id defined differently by two rule sets, naming both', () => {
    const a = compiled(spec(rules(shared)), 'ns', 'a');
    const b = compiled(spec(rules(rule('shared', when('uri', 'contains', '/other')))), 'ns', 'b');
    expect(mergeRuleSets([b, a])).to.deep.equal({
      conflicts: [
        {
          rule: 'shared',
          ruleSets: ['ns/a', 'ns/b'],
          message:
            'rule "shared" is defined differently in ns/a and ns/b; rename one of them, or make both definitions identical so that it is applied once',
        },
      ],
    });
  });

  it('unites the allow lists and the deny lists', () => {
    const a = compiled(spec(allow('10.0.0.0/8'), deny('10.6.6.6')), 'ns', 'a');
    const b = compiled(spec(allow('192.168.0.0/16', '10.0.0.0/8'), deny('2001:db8::/32')), 'ns', 'b');
    expect(merged(a, b)).to.deep.include({
      ipAllowList: ['10.0.0.0/8', '192.168.0.0/16'],
      ipDenyList: ['10.6.6.6', '2001:db8::/32'],
    });
  });

  it('versions the bundle by the content a gateway applies', () => {
    const a = compiled(spec(rules(rule('a1'))), 'ns', 'a');
    const bundle = merged(a);
    expect(bundle.version).to.equal(
      contentHash(canonicalJson({ rules: bundle.rules, ipAllowList: [], ipDenyList: [] })),
    );
    expect(merged().version).to.not.equal(bundle.version);
  });
});
