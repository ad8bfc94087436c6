import { expect } from 'chai';
import * as rregex from 'rregex';
import { allow, compiled, deny, rule, rules, spec, when } from '../../../test/fixtures/waf/builders.js';
import { toGatewayRule } from './compile.js';
import { createEvaluator } from './evaluate.js';
import { acquireRegexSet, releaseRegexSet } from './regex-sets.js';
import type { Decision, WafPolicy, WafRequest } from './model.js';

function decide(policy: WafPolicy, request: Partial<WafRequest> = {}): Decision {
  const evaluator = createEvaluator(policy);
  try {
    return evaluator.evaluate({ uri: '/', ip: '203.0.113.7', ...request });
  } finally {
    evaluator.dispose();
  }
}

const logRule = (id: string, condition = when('uri', 'contains', '/admin')) =>
  rule(id, condition, { type: 'log', message: `seen by ${id}`, score: 5 });

describe('WAF evaluation', () => {
  describe('IP filter', () => {
    const lists = compiled(spec(allow('10.0.0.0/8', '2001:db8::/32'), deny('10.6.6.0/24')));

    it('admits only clients on a non-empty allow list', () => {
      expect(decide(lists, { ip: '10.1.2.3' }).action).to.equal('allow');
      expect(decide(lists, { ip: '2001:db8:1::5' }).action).to.equal('allow');
      expect(decide(lists, { ip: '192.0.2.1' })).to.deep.equal({
        action: 'block',
        message: 'client 192.0.2.1 is not on the IP allow list',
        logged: [],
        score: 0,
      });
    });

    it('then rejects clients on the deny list, even when allowed', () => {
      expect(decide(lists, { ip: '10.6.6.9' })).to.include({
        action: 'block',
        message: 'client 10.6.6.9 is on the IP deny list',
      });
    });

    it('never matches an IPv4 entry against an IPv6 client, nor the reverse', () => {
      const v4 = compiled(spec(deny('0.0.0.0/1', '128.0.0.0/1')));
      expect(decide(v4, { ip: '2001:db8::1' }).action).to.equal('allow');
      expect(decide(v4, { ip: '8.8.8.8' }).action).to.equal('block');
    });

    it('rejects a client without an address when an allow list is set, and admits it otherwise', () => {
      expect(decide(lists, { ip: undefined }).action).to.equal('block');
      expect(decide(compiled(spec(deny('10.0.0.0/8'))), { ip: undefined }).action).to.equal('allow');
    });
  });

  describe('rules', () => {
    it('lets the first block or rate_limit end evaluation', () => {
      const policy = compiled(
        spec(
          rules(
            rule('limit', when('uri', 'starts_with', '/api/'), {
              type: 'rate_limit',
              message: 'slow down',
              score: 1,
            }),
            rule('block', when('uri', 'contains', 'admin'), { type: 'block', score: 100 }),
          ),
        ),
      );
      expect(decide(policy, { uri: '/api/admin' })).to.deep.equal({
        action: 'rate_limit',
        rule: 'limit',
        message: 'slow down',
        logged: [],
        score: 1,
      });
    });

    it('records log rules, adds their scores and goes on', () => {
      const policy = compiled(
        spec(
          rules(
            logRule('l1'),
            logRule('l2'),
            rule('b', when('method', 'equals', 'DELETE'), { type: 'block', score: 50 }),
          ),
        ),
      );
      expect(decide(policy, { uri: '/admin' })).to.deep.equal({
        action: 'log',
        logged: ['l1', 'l2'],
        score: 10,
      });
      expect(decide(policy, { uri: '/admin', method: 'DELETE' })).to.deep.include({
        action: 'block',
        rule: 'b',
        logged: ['l1', 'l2'],
        score: 60,
      });
      expect(decide(policy, { uri: '/home' })).to.deep.equal({ action: 'allow', logged: [], score: 0 });
    });

    it('matches a rule only when all its conditions hold', () => {
      const policy = compiled(
        spec(rules(rule('both', [when('method', 'equals', 'POST'), when('uri', 'starts_with', '/login')]))),
      );
      expect(decide(policy, { method: 'POST', uri: '/login' }).action).to.equal('block');
      expect(decide(policy, { method: 'GET', uri: '/login' }).action).to.equal('allow');
      expect(decide(policy, { method: 'POST', uri: '/home' }).action).to.equal('allow');
    });

    it('never matches a disabled rule', () => {
      const policy = compiled(
        spec(rules(rule('off', when('uri', 'contains', '/'), undefined, { enabled: false }))),
      );
      expect(decide(policy, { uri: '/anything' }).action).to.equal('allow');
    });

    it('compares text operators case-insensitively unless caseSensitive is set', () => {
      const policy = compiled(
        spec(
          rules(
            rule('folded', when('uri', 'ends_with', '.PHP')),
            rule('exact', when('uri', 'equals', '/Secret', true)),
          ),
        ),
      );
      expect(decide(policy, { uri: '/index.php' }).rule).to.equal('folded');
      expect(decide(policy, { uri: '/Secret' }).rule).to.equal('exact');
      expect(decide(policy, { uri: '/secret' }).action).to.equal('allow');
    });

    it('applies a regex as written, whatever caseSensitive says, as the gateway does', () => {
      const policy = compiled(spec(rules(rule('rx', when('uri', 'regex', 'union\\s+select', false)))));
      expect(decide(policy, { uri: '/?q=union select' }).action).to.equal('block');
      expect(decide(policy, { uri: '/?q=UNION SELECT' }).action).to.equal('allow');
    });

    it('uses Rust regex semantics: \\d is Unicode, \\z anchors the end', () => {
      const policy = compiled(spec(rules(rule('digits', when('uri', 'regex', '\\A/n/\\d+\\z')))));
      expect(decide(policy, { uri: '/n/٣٤' }).action).to.equal('block');
      expect(decide(policy, { uri: '/n/12\n' }).action).to.equal('allow');
    });
  });

  describe('request fields', () => {
    const on = (field: string, value: string, operator: 'equals' | 'contains' = 'equals') =>
      compiled(spec(rules(rule('r', when(field, operator, value, true)))));

    it('reads headers by name, whatever their case', () => {
      const policy = on('header.X-Api-Key', 'k1');
      expect(decide(policy, { headers: { 'x-api-key': 'k1' } }).action).to.equal('block');
      expect(decide(policy, { headers: { 'X-API-KEY': 'k1' } }).action).to.equal('block');
    });

    it('reads user_agent and content_type from their headers', () => {
      expect(
        decide(on('user_agent', 'curl', 'contains'), { headers: { 'User-Agent': 'curl/8' } }).action,
      ).to.equal('block');
      expect(
        decide(on('content_type', 'text/xml'), { headers: { 'content-type': 'text/xml' } }).action,
      ).to.equal('block');
    });

    it('reads a missing header or parameter as the empty string', () => {
      expect(decide(on('header.X-Missing', ''), {}).action).to.equal('block');
      expect(decide(on('query.missing', ''), { uri: '/?other=1' }).action).to.equal('block');
      expect(decide(on('user_agent', ''), {}).action).to.equal('block');
    });

    it('reads query parameters form-decoded, the last of repeated ones', () => {
      const policy = on('query.q', 'a b/c');
      expect(decide(policy, { uri: '/s?q=a+b%2Fc' }).action).to.equal('block');
      expect(decide(policy, { uri: '/s?q=x&q=a%20b/c#frag' }).action).to.equal('block');
      expect(decide(policy, { uri: '/s?q=a+b%2Fc&q=x' }).action).to.equal('allow');
    });

    it('takes content_length from the body in bytes, else the Content-Length header, else 0', () => {
      const policy = compiled(spec(rules(rule('big', when('content_length', 'greater_than', '3')))));
      expect(decide(policy, { body: 'ééé' }).action).to.equal('block'); // 6 bytes
      expect(decide(policy, { body: 'abc' }).action).to.equal('allow');
      expect(decide(policy, { headers: { 'Content-Length': '4' } }).action).to.equal('block');
      expect(decide(policy, { headers: { 'Content-Length': 'many' } }).action).to.equal('allow');
      const small = compiled(spec(rules(rule('empty', when('content_length', 'less_than', '1')))));
      expect(decide(small, {}).action).to.equal('block');
    });

    it('reads the method as GET when a request does not say', () => {
      expect(decide(on('method', 'GET'), {}).action).to.equal('block');
    });

    it("reads the client address in the gateway's canonical text", () => {
      expect(decide(on('ip', '2001:db8::1'), { ip: '2001:DB8:0:0::1' }).action).to.equal('block');
    });
  });

  it('matches many literal and regex conditions on one field at once, each exactly', () => {
    const list = Array.from({ length: 300 }, (_, i) =>
      i % 3 === 0
        ? rule(`c${i}`, when('uri', 'contains', `/p${i}/`), { type: 'log' })
        : i % 3 === 1
          ? rule(`s${i}`, when('uri', 'starts_with', `/p${i}/`), { type: 'log' })
          : rule(`r${i}`, when('uri', 'regex', `/p${i}/\\d+`), { type: 'log' }),
    );
    // More rules than one WafRuleSet holds: what a gateway selected by several applies.
    const policy = { rules: list.map((r) => toGatewayRule(r, 'Block')), ipAllowList: [], ipDenyList: [] };
    expect(decide(policy, { uri: '/x/p3/p4/p5/12' }).logged).to.deep.equal(['c3', 'r5']);
    expect(decide(policy, { uri: '/p4/p3/' }).logged).to.deep.equal(['c3', 's4']);
  });
});

describe('WAF evaluator memory', () => {
  it('reuses compiled regex sets, so rebuilding an evaluator does not grow the engine heap', () => {
    // The engine's WebAssembly memory: exported by rregex's ESM build, though not in its types.
    const wasm = (rregex as unknown as { __wasm: { memory: { buffer: ArrayBuffer } } }).__wasm;
    const policy = compiled(
      spec(
        rules(
          ...Array.from({ length: 20 }, (_, i) => rule(`r${i}`, when('uri', 'regex', `(?i)\\d+/select${i}`))),
        ),
      ),
    );
    createEvaluator(policy).dispose();
    const before = wasm.memory.buffer.byteLength;
    for (let i = 0; i < 20; i++) {
      const evaluator = createEvaluator(policy);
      expect(evaluator.evaluate({ uri: '/7/SELECT3' }).rule).to.equal('r3');
      evaluator.dispose();
    }
    // Compiling them again each time would leak several MiB here.
    expect(wasm.memory.buffer.byteLength - before).to.be.below(2 ** 20);
  });
});

describe('shared regex sets', () => {
  it('compiles a list of patterns once while it is in use or among the recently released', () => {
    const first = acquireRegexSet(['shared-1']);
    expect(acquireRegexSet(['shared-1'])).to.equal(first);
    releaseRegexSet(['shared-1']);
    releaseRegexSet(['shared-1']);
    expect(acquireRegexSet(['shared-1'])).to.equal(first);
    releaseRegexSet(['shared-1']);
    for (let i = 0; i < 200; i++) {
      acquireRegexSet([`other-${i}`]);
      releaseRegexSet([`other-${i}`]);
    }
    const again = acquireRegexSet(['shared-1']);
    expect(again).to.not.equal(first);
    expect(again.matches('a shared-1 b')).to.deep.equal([0]);
    releaseRegexSet(['shared-1']);
  });
});
