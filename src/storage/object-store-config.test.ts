import { expect } from 'chai';
import { ConfigError, loadConfig } from '../config/index.js';
import { openObjectStore } from './object-store-config.js';

const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const readFile = (path: string): string => {
  if (path === '/etc/ca.crt') return CA;
  if (path === '/etc/not-pem') return 'hello';
  throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
};

function open(env: Record<string, string>): ReturnType<typeof openObjectStore> {
  return openObjectStore(loadConfig(env), readFile);
}

function refusal(env: Record<string, string>): string {
  try {
    open(env)?.close();
  } catch (error) {
    expect(error).to.be.instanceOf(ConfigError);
    return (error as ConfigError).message;
  }
  throw new Error('accepted');
}

describe('object store configuration', () => {
  it('opens nothing without OBJECT_STORE_URL', () => {
    expect(open({})).to.equal(undefined);
  });

  it('a file:// URL is a directory store at that path', () => {
    const store = open({ OBJECT_STORE_URL: 'file:///data/gateway%20archive' });
    expect(store?.location).to.equal('file:///data/gateway%20archive');
  });

  it('an s3:// URL is a bucket and a key prefix ending in /', () => {
    for (const [url, location] of [
      ['s3://archive', 's3://archive/'],
      ['s3://archive/', 's3://archive/'],
      ['s3://archive/gateway-worker/prod', 's3://archive/gateway-worker/prod/'],
    ] as const) {
      const store = open({ OBJECT_STORE_URL: url, S3_CA_FILE: '/etc/ca.crt' });
      expect(store?.location, url).to.equal(location);
      store?.close();
    }
  });

  it('wants both static keys or neither', () => {
    expect(refusal({ OBJECT_STORE_URL: 's3://archive', S3_ACCESS_KEY_ID: 'AKIA' })).to.include(
      'S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY must be set together (S3_SECRET_ACCESS_KEY is missing)',
    );
    const store = open({ OBJECT_STORE_URL: 's3://archive' });
    expect(store?.location, 'the SDK default chain').to.equal('s3://archive/');
    store?.close();
  });

  it('names a CA file it cannot read or that holds no certificate', () => {
    expect(refusal({ OBJECT_STORE_URL: 's3://archive', S3_CA_FILE: '/etc/missing.crt' })).to.include(
      'S3_CA_FILE=/etc/missing.crt: cannot read the file (ENOENT)',
    );
    expect(refusal({ OBJECT_STORE_URL: 's3://archive', S3_CA_FILE: '/etc/not-pem' })).to.include(
      'S3_CA_FILE=/etc/not-pem: holds no PEM certificate',
    );
  });

  it('refuses a prefix with an empty or hidden segment', () => {
    expect(refusal({ OBJECT_STORE_URL: 's3://archive/a//b' })).to.include('the prefix after the bucket');
    expect(refusal({ OBJECT_STORE_URL: 's3://archive/.meta' })).to.include('the prefix after the bucket');
  });
});
