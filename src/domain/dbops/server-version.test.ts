import { expect } from 'chai';
import {
  dumpCompatibilityProblem,
  majorVersion,
  parseClientVersion,
  serverVersionProblem,
  versionText,
} from './server-version.js';

describe('server versions', () => {
  it('reads server_version_num, old numbering included', () => {
    expect([150008, 130000, 90624].map(majorVersion)).to.deep.equal([15, 13, 9.6]);
    expect([150008, 90624].map(versionText)).to.deep.equal(['15.8', '9.6.24']);
  });

  it('refuses servers older than 13 and says what to do', () => {
    expect(serverVersionProblem(150008)).to.equal(undefined);
    expect(serverVersionProblem(130000)).to.equal(undefined);
    expect(serverVersionProblem(120017)).to.equal(
      "the server runs PostgreSQL 12.17; gateway-worker manages PostgreSQL 13 or newer (the gateway's schema needs it): upgrade the server",
    );
  });

  it("reads pg_dump's version line", () => {
    expect(parseClientVersion('pg_dump (PostgreSQL) 15.8 (Debian 15.8-0+deb12u1)\n')).to.deep.equal({
      major: 15,
      text: '15.8',
    });
    expect(parseClientVersion('pg_dump (PostgreSQL) 17beta1')).to.deep.equal({ major: 17, text: '17' });
    expect(parseClientVersion('something else')).to.equal(undefined);
  });

  it('a server newer than pg_dump cannot be backed up, an older one can', () => {
    expect(dumpCompatibilityProblem(150008, 15)).to.equal(undefined);
    expect(dumpCompatibilityProblem(130010, 15)).to.equal(undefined);
    expect(dumpCompatibilityProblem(170002, 15)).to.match(
      /^the server runs PostgreSQL 17\.2, newer than this image's pg_dump 15: pg_dump cannot back up a newer server/,
    );
  });
});
