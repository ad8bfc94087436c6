import { expect } from 'chai';
import { maskUrl, storeSettings, type DatabaseConfig } from './connection-settings.js';

const base: DatabaseConfig = {
  databasePoolSize: 10,
  databaseStatementTimeoutMs: 30_000,
  databaseSchema: 'gateway_worker',
  embeddedDataDir: '/var/lib/gateway-worker',
};
const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const files: Record<string, string> = { '/etc/db/ca.crt': CA, '/etc/db/empty.pem': '' };
const read = (path: string): string => {
  const text = files[path];
  if (text === undefined) throw new Error(`ENOENT: no such file or directory, open '${path}'`);
  return text;
};
const settings = (config: Partial<DatabaseConfig>) => storeSettings({ ...base, ...config }, read);

function failure(config: Partial<DatabaseConfig>): string {
  try {
    settings(config);
  } catch (err) {
    return (err as Error).message;
  }
  expect.fail('expected an error');
}

describe('database connection settings', () => {
  it('uses the embedded store when no DATABASE_URL is set', () => {
    expect(settings({})).to.deep.include({ kind: 'embedded', dataDir: '/var/lib/gateway-worker' });
  });

  it('reads host, port, user, password and database from the URL, with percent-decoding', () => {
    const result = settings({ databaseUrl: 'postgresql://gw%40prod:p%3Ass@db.internal:6432/gate%20way' });
    expect(result).to.deep.include({
      kind: 'postgres',
      host: 'db.internal',
      port: 6432,
      user: 'gw@prod',
      password: 'p:ss',
      database: 'gate way',
      sslMode: 'disable',
      poolSize: 10,
      statementTimeoutMs: 30_000,
      connectTimeoutMs: 10_000,
    });
    expect(result.description).to.equal('postgresql://gw%40prod:***@db.internal:6432/gate%20way');
  });

  it('takes sslmode and sslrootcert from the URL, and lets the keys override them', () => {
    expect(
      settings({ databaseUrl: 'postgres://db/gw?sslmode=verify-full&sslrootcert=/etc/db/ca.crt' }),
    ).to.deep.include({
      sslMode: 'verify-full',
      ca: CA,
    });
    expect(
      settings({ databaseUrl: 'postgres://db/gw?sslmode=require', databaseSslmode: 'disable' }),
    ).to.deep.include({
      sslMode: 'disable',
    });
  });

  it('never shows the password, even in the error for a URL it cannot parse', () => {
    const message = failure({ databaseUrl: 'postgres://gw:s3cret@db:notaport/gw' });
    expect(message).not.to.include('s3cret');
    expect(maskUrl('postgres://gw:s3cret@db/gw')).to.equal('postgres://gw:***@db/gw');
  });

  const refusals: [string, Partial<DatabaseConfig>, string][] = [
    [
      'another scheme',
      { databaseUrl: 'mysql://db/gw' },
      'DATABASE_URL=mysql://db/gw: the scheme must be postgres:// or postgresql://, not mysql://',
    ],
    [
      'an unknown parameter',
      { databaseUrl: 'postgres://db/gw?sslcert=x' },
      'DATABASE_URL=postgres://db/gw?sslcert=x: unknown parameter "sslcert"; the parameters understood are sslmode, sslrootcert, application_name, connect_timeout, host, port',
    ],
    [
      'sslmode=prefer',
      { databaseUrl: 'postgres://db/gw?sslmode=prefer' },
      'DATABASE_URL=postgres://db/gw?sslmode=prefer: sslmode=prefer is not supported; use one of disable, require, verify-ca, verify-full (node-postgres has no prefer/allow)',
    ],
    [
      'verify-ca without a CA',
      { databaseUrl: 'postgres://db/gw', databaseSslmode: 'verify-ca' },
      'DATABASE_SSLMODE=verify-ca needs the CA that signed the server certificate: set DATABASE_CA_FILE',
    ],
    [
      'a CA file that is missing',
      { databaseUrl: 'postgres://db/gw', databaseCaFile: '/nope.pem' },
      "DATABASE_CA_FILE=/nope.pem: cannot read the file (ENOENT: no such file or directory, open '/nope.pem')",
    ],
    [
      'a CA file without a certificate',
      { databaseUrl: 'postgres://db/gw', databaseCaFile: '/etc/db/empty.pem' },
      'DATABASE_CA_FILE=/etc/db/empty.pem: holds no PEM certificate',
    ],
    [
      'no host',
      { databaseUrl: 'postgres:///gw' },
      'DATABASE_URL=postgres:///gw: no host; must look like postgres://user:password@host:5432/database',
    ],
  ];
  for (const [what, config, message] of refusals) {
    it(`refuses ${what} with a message that says what is allowed`, () => {
      expect(failure(config)).to.equal(message);
    });
  }
});
