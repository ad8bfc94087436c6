import { expect } from 'chai';
import { celString } from './names.js';
import { CRON_HINT, CRON_PATTERN, cronProblem, isCronSyntax, timeZoneProblem } from './cron.js';

describe('cron checks', () => {
  const valid = [
    '0 3 * * *',
    '*/15 * * * *',
    '0 0 * * MON-FRI',
    '0 0 * * mon',
    '30 2 1,15 * *',
    '0 9-17/2 * * 1-5',
    '0 0 1 JAN,JUL ?',
    '@daily',
    '@hourly',
  ];
  for (const text of valid) {
    it(`accepts "${text}"`, () => {
      expect(isCronSyntax(text)).to.equal(true);
      expect(cronProblem(text)).to.equal(undefined);
    });
  }

  const refusedByPattern = [
    '61 * * * *',
    '0 24 * * *',
    '* * * *',
    '* * * * * *',
    '5/15 * * * *',
    'every hour',
    '@reboot',
    '0 0 32 * *',
    '',
  ];
  for (const text of refusedByPattern) {
    it(`refuses "${text}" in CEL and offline alike`, () => {
      expect(isCronSyntax(text)).to.equal(false);
      expect(cronProblem(text)).to.equal(CRON_HINT);
    });
  }

  it('refuses offline what the pattern cannot see: a range running backwards', () => {
    expect(isCronSyntax('30-10 * * * *')).to.equal(true);
    expect(cronProblem('30-10 * * * *')).to.match(/From value is larger than to value/);
  });

  it('refuses offline a date that never comes (30 February)', () => {
    expect(cronProblem('0 0 30 2 *')).to.equal('never runs: "0 0 30 2 *" names no date that exists');
  });

  it('checks time zones by name', () => {
    expect(timeZoneProblem('America/Sao_Paulo')).to.equal(undefined);
    expect(timeZoneProblem('UTC')).to.equal(undefined);
    expect(timeZoneProblem('Mars/Olympus')).to.match(/not a time zone this runtime knows/);
    expect(timeZoneProblem('../etc')).to.match(/^must be an IANA time zone name/);
  });

  it('is one pattern both CEL (RE2, as a raw string) and JavaScript accept', () => {
    expect(() => new RegExp(CRON_PATTERN)).not.to.throw();
    expect(celString(CRON_PATTERN)).to.match(/^r'/);
  });
});
