import { expect } from 'chai';
import { parseRetryAfter } from './retry-after.js';

describe('Retry-After', () => {
  const now = Date.parse('2026-05-01T10:00:00Z');

  it('counts delay-seconds from the given clock', () => {
    expect(parseRetryAfter('120', now)?.toISOString()).to.equal('2026-05-01T10:02:00.000Z');
    expect(parseRetryAfter(' 0 ', now)?.getTime()).to.equal(now);
  });

  it('reads an HTTP-date as that instant, in any of the forms HTTP allows', () => {
    expect(parseRetryAfter('Fri, 01 May 2026 11:30:00 GMT', now)?.toISOString()).to.equal(
      '2026-05-01T11:30:00.000Z',
    );
    expect(parseRetryAfter('Friday, 01-May-26 11:30:00 GMT', now)?.toISOString()).to.equal(
      '2026-05-01T11:30:00.000Z',
    );
  });

  it('ignores what is neither', () => {
    for (const value of [undefined, '', 'soon', '-5', '1.5', '1e3', 'Fri, 99 Foo 2026']) {
      expect(parseRetryAfter(value, now), String(value)).to.equal(undefined);
    }
  });
});
