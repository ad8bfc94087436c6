import { expect } from 'chai';
import { DURATION_PATTERN, durationMillis, durationProblem, parseDuration } from './duration.js';
import { DNS_SUBDOMAIN, HOSTNAME, RULE_ID, WAF_FIELD, celString, matches } from './names.js';
import { isCIDR, isIP } from './network.js';
import { hasBackreference, hasLookAround, regexProblem } from './regex.js';

describe('checks', () => {
  describe('Go durations', () => {
    const valid: [string, bigint][] = [
      ['720h', 720n * 3_600_000_000_000n],
      ['90m', 90n * 60_000_000_000n],
      ['1h30m', 5_400_000_000_000n],
      ['1.5h', 5_400_000_000_000n],
      ['.5s', 500_000_000n],
      ['300ms', 300_000_000n],
      ['2us', 2_000n],
      ['2µs', 2_000n],
      ['1ns', 1n],
      ['0', 0n],
      ['0s', 0n],
      ['2562047h', 2562047n * 3_600_000_000_000n],
    ];
    for (const [text, nanos] of valid) {
      it(`parses ${text}`, () => {
        expect(parseDuration(text)).to.equal(nanos);
        expect(durationProblem(text)).to.equal(undefined);
      });
    }
    for (const text of ['30d', '1w', '', 'h', '1', '-1h', '+1h', '1h ', ' 1h', '1H', '1.h.5', 'one hour']) {
      it(`rejects "${text}" with the hint`, () => {
        expect(parseDuration(text)).to.equal(undefined);
        expect(durationProblem(text)).to.equal('must be a duration such as 720h, 90m or 1h30m');
      });
    }
    it('rejects a duration beyond int64 nanoseconds, like Go', () => {
      expect(durationProblem('2562048h')).to.match(/out of range/);
    });
    it('converts to milliseconds and throws on bad input', () => {
      expect(durationMillis('1m30s')).to.equal(90_000);
      expect(() => durationMillis('1d')).to.throw(RangeError);
    });
    it('uses one pattern both CEL (RE2) and JavaScript accept', () => {
      expect(() => new RegExp(DURATION_PATTERN)).not.to.throw();
      expect(celString(DURATION_PATTERN)).to.match(/^r'/);
    });
  });

  describe('names', () => {
    const table: [string, string, boolean][] = [
      [HOSTNAME, 'app.example.com', true],
      [HOSTNAME, '*.example.com', true],
      [HOSTNAME, 'xn--bcher-kva.example', true],
      [HOSTNAME, 'localhost', false],
      [HOSTNAME, 'App.example.com', false],
      [HOSTNAME, '*.*.example.com', false],
      [HOSTNAME, 'a.*.example.com', false],
      [HOSTNAME, '192.0.2.1', false],
      [HOSTNAME, '-a.example.com', false],
      [HOSTNAME, `${'a'.repeat(64)}.example.com`, false],
      [DNS_SUBDOMAIN, 'shop-tls', true],
      [DNS_SUBDOMAIN, 'shop.tls', true],
      [DNS_SUBDOMAIN, 'Shop', false],
      [RULE_ID, 'sql_injection_basic', true],
      [RULE_ID, 'crs-942100', true],
      [RULE_ID, 'sql injection', false],
      [WAF_FIELD, 'header.X-Forwarded-For', true],
      [WAF_FIELD, 'query.page', true],
      [WAF_FIELD, 'content_length', true],
      [WAF_FIELD, 'header.', false],
      [WAF_FIELD, 'cookie', false],
    ];
    for (const [pattern, text, ok] of table) {
      it(`${ok ? 'accepts' : 'rejects'} "${text.slice(0, 40)}" as ${pattern.slice(0, 24)}…`, () => {
        expect(matches(pattern, text)).to.equal(ok);
      });
    }
    it('quotes a pattern with a single quote as a double-quoted raw CEL string', () => {
      expect(celString("a'b")).to.equal(`r"a'b"`);
      expect(() => celString(`a'"b`)).to.throw();
    });
  });

  describe('IP addresses and CIDRs (as CEL isIP/isCIDR read them)', () => {
    const table: [string, boolean, boolean][] = [
      ['192.168.1.100', true, false],
      ['10.0.0.0/8', false, true],
      ['10.0.0.1/8', false, true],
      ['2001:db8::/32', false, true],
      ['2001:db8::1', true, false],
      ['10.0.0.0/33', false, false],
      ['2001:db8::/129', false, false],
      ['192.168.1.300', false, false],
      ['010.0.0.1', false, false],
      ['10.0.0.0/08', false, false],
      ['fe80::1%eth0', false, false],
      ['::ffff:1.2.3.4', false, false],
      ['example.com', false, false],
    ];
    for (const [text, ip, cidr] of table) {
      it(`${text}: isIP ${ip}, isCIDR ${cidr}`, () => {
        expect([isIP(text), isCIDR(text)]).to.deep.equal([ip, cidr]);
      });
    }
  });

  describe("the gateway's regex dialect", () => {
    const compiles = [
      '(?i)(union\\s+select|drop\\s+table)',
      '(?P<id>[0-9]+)',
      '[a-z&&[^aeiou]]',
      '\\bword\\b',
      '^(TRACE|DEBUG)$',
    ];
    for (const pattern of compiles) {
      it(`compiles ${pattern}`, () => expect(regexProblem(pattern)).to.equal(undefined));
    }
    const fails: [string, string][] = [
      ['a(?=b)', 'look-around, including look-ahead and look-behind, is not supported (at character 2)'],
      ['(?<!a)b', 'look-around, including look-ahead and look-behind, is not supported (at character 1)'],
      ['(a)\\1', 'backreferences are not supported (at character 4)'],
      ['(abc', 'unclosed group (at character 1)'],
      ['\\Qa\\E', 'unrecognized escape sequence (at character 1)'],
    ];
    for (const [pattern, message] of fails) {
      it(`reports rregex's message for ${pattern}`, () => {
        expect(regexProblem(pattern)).to.equal(`invalid regex: ${message}`);
      });
    }
    const heuristics: [string, boolean, boolean][] = [
      ['a(?=b)', true, false],
      ['a(?<=b)', true, false],
      ['a(?!b)', true, false],
      ['\\(?=b', false, false],
      ['\\\\(?=b)', true, false],
      ['(a)\\1', false, true],
      ['\\\\1', false, false],
      ['\\\\\\1', false, true],
      ['(?i)(?P<x>a)', false, false],
    ];
    for (const [pattern, look, back] of heuristics) {
      it(`server heuristics on ${pattern}: look-around ${look}, backreference ${back}`, () => {
        expect([hasLookAround(pattern), hasBackreference(pattern)]).to.deep.equal([look, back]);
      });
    }
  });
});
