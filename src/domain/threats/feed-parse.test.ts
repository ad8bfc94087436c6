import { expect } from 'chai';
import { toCidrs } from './cidrs.js';
import { parseFeed, splitCsvLine, type FeedFormat } from './feed-parse.js';
import { subtract } from './ip-ranges.js';
import { RESERVED_RANGES } from './reserved.js';

const plain: FeedFormat = { type: 'plain' };
const netset: FeedFormat = { type: 'netset' };

describe('threat feed formats', () => {
  it('reads Spamhaus DROP lines: comments after ";" anywhere, CIDRs aggregated', () => {
    const body = [
      '; Spamhaus DROP List 2026/01/10 - (c) 2026 The Spamhaus Project SLU',
      '; Last-Modified: Sat, 10 Jan 2026 16:14:42 GMT',
      '1.10.16.0/20 ; SBL256894',
      '1.19.0.0/16 ; SBL434604',
      '1.10.32.0/20 ; SBL000001',
      '',
    ].join('\r\n');
    const parsed = parseFeed(body, plain);
    expect(parsed).to.include({ entries: 3, invalid: 0, reservedEntries: 0 });
    expect(toCidrs(parsed.ranges)).to.deep.equal(['1.10.16.0/20', '1.10.32.0/20', '1.19.0.0/16']);
  });

  it('reads FireHOL netsets, whose bogons are counted and then stripped', () => {
    const body = [
      '#',
      '# firehol_level1',
      '#',
      '0.0.0.0/8',
      '1.10.16.0/20',
      '10.0.0.0/8',
      '100.64.0.0/10',
      '127.0.0.0/8',
      '192.168.0.0/16',
      '224.0.0.0/3',
      '5.134.128.0/19',
      '',
    ].join('\n');
    const parsed = parseFeed(body, netset);
    expect(parsed).to.include({ entries: 8, invalid: 0, reservedEntries: 6 });
    expect(toCidrs(subtract(parsed.ranges, RESERVED_RANGES))).to.deep.equal([
      '1.10.16.0/20',
      '5.134.128.0/19',
    ]);
  });

  it('does not take ";" as a comment in a netset', () => {
    const parsed = parseFeed('1.2.3.4 ; x\n', netset);
    expect(parsed).to.include({ entries: 0, invalid: 1 });
  });

  it('counts what is not an address, and refuses blocks broader than a feed entry may be', () => {
    const parsed = parseFeed(
      ['8.8.8.8', 'hello', '1.2.3.4 5.6.7.8', '0.0.0.0/0', '2001:db8::/8', '::1'].join('\n'),
      plain,
    );
    expect(parsed).to.include({ entries: 2, invalid: 4 });
    expect(parsed.problems).to.deep.equal([
      { line: 2, message: 'not an IP address or CIDR' },
      { line: 3, message: 'not an IP address or CIDR' },
      { line: 4, message: '/0 is broader than the /8 a feed entry may be' },
      { line: 5, message: '/8 is broader than the /12 a feed entry may be' },
    ]);
  });

  it('reads a CSV column by number or by header name, with quoted fields', () => {
    const body = 'ip,score,"note, with comma"\n"45.9.20.0/24",90,x\n185.220.101.7,100,"a ""b"""\n# c\n';
    expect(
      toCidrs(parseFeed(body, { type: 'csv', column: 1, delimiter: ',', header: true }).ranges),
    ).to.deep.equal(['45.9.20.0/24', '185.220.101.7']);
    expect(parseFeed(body, { type: 'csv', column: 'ip', delimiter: ',', header: false })).to.include({
      entries: 2,
      invalid: 0,
    });
    expect(
      parseFeed(body, { type: 'csv', column: 'addr', delimiter: ',', header: true }).unreadable,
    ).to.match(/no column named "addr"/);
    expect(splitCsvLine('a;"b;c";d', ';')).to.deep.equal(['a', 'b;c', 'd']);
  });

  it('reads a JSON document through a path', () => {
    const body = JSON.stringify({
      meta: { generatedAt: '2026-01-01' },
      data: [{ ipAddress: '45.9.20.1' }, { ipAddress: '2a0e:1c80::/29' }, { ipAddress: 7 }],
    });
    const parsed = parseFeed(body, { type: 'json', path: 'data[*].ipAddress', lines: false });
    expect(parsed).to.include({ entries: 2, invalid: 1 });
    expect(toCidrs(parsed.ranges)).to.deep.equal(['45.9.20.1', '2a0e:1c80::/29']);
    expect(parseFeed('{', { type: 'json', path: 'x', lines: false }).unreadable).to.match(/not JSON/);
  });

  it('reads JSON lines, skipping records the path does not reach (Spamhaus drop_v4.json)', () => {
    const body = [
      '{"cidr":"1.10.16.0/20","sblid":"SBL256894","rir":"apnic"}',
      '{"cidr":"1.19.0.0/16","sblid":"SBL434604","rir":"apnic"}',
      '{"type":"metadata","timestamp":1767000000,"size":100,"records":2}',
      'not json',
      '',
    ].join('\n');
    const parsed = parseFeed(body, { type: 'json', path: '$.cidr', lines: true });
    expect(parsed).to.include({ entries: 2, invalid: 1 });
  });
});
