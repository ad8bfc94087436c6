import { expect } from 'chai';
import { nameCovers, sameNames, uncoveredNames } from './dns-names.js';

describe('DNS name coverage (RFC 6125)', () => {
  const cases: [string, string, string, boolean][] = [
    ['an exact name covers itself', 'a.example.com', 'a.example.com', true],
    ['names compare case-insensitively', 'A.Example.COM', 'a.example.com', true],
    ['a trailing dot does not matter', 'a.example.com.', 'a.example.com', true],
    ['a different name is not covered', 'a.example.com', 'b.example.com', false],
    ['a wildcard covers one label', '*.example.com', 'x.example.com', true],
    ['a wildcard does not cover the bare domain', '*.example.com', 'example.com', false],
    ['a wildcard does not cover two labels', '*.example.com', 'y.x.example.com', false],
    ['a wildcard does not cover another domain', '*.example.com', 'x.example.org', false],
    ['a wildcard request is covered by the same wildcard', '*.example.com', '*.example.com', true],
    ['a wildcard request is not covered by a broader wildcard', '*.com', '*.example.com', false],
    ['an exact name does not cover a wildcard request', 'x.example.com', '*.example.com', false],
    ['a partial-label wildcard is not honoured', 'a*.example.com', 'ab.example.com', false],
  ];
  for (const [name, presented, requested, expected] of cases) {
    it(`${name}: ${presented} ${expected ? 'covers' : 'does not cover'} ${requested}`, () => {
      expect(nameCovers(presented, requested)).to.equal(expected);
    });
  }

  it('lists the requested names nothing covers, in order', () => {
    expect(uncoveredNames(['*.a.com', 'b.com'], ['x.a.com', 'a.com', 'b.com', 'y.x.a.com'])).to.deep.equal([
      'a.com',
      'y.x.a.com',
    ]);
  });

  it('compares name sets ignoring order, case and duplicates', () => {
    expect(sameNames(['a.com', 'B.com'], ['b.com', 'a.com', 'a.com'])).to.equal(true);
    expect(sameNames(['a.com'], ['a.com', 'b.com'])).to.equal(false);
  });
});
