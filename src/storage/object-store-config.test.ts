import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { expect } from 'chai';
import { eventually } from '../../test/support/widgets.js';
import { ConfigError, loadConfig } from '../config/index.js';
import { createLogger } from '../runtime/logger.js';
import {
  ObjectStoreComponent,
  objectStoreSettings,
  openObjectStore,
  type ObjectStoreSettings,
} from './object-store-config.js';

const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const readFile = (path: string): string => {
  if (path === '/etc/ca.crt') return CA;
  if (path === '/etc/not-pem') return 'hello';
  throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
};

function settings(env: Record<string, string>): ObjectStoreSettings | undefined {
  return objectStoreSettings(loadConfig(env), readFile);
}

async function location(env: Record<string, string>): Promise<string> {
  const wanted = settings(env);
  if (!wanted) throw new Error('no store');
  const store = await openObjectStore(wanted);
  store.close();
  return store.location;
}

function refusal(env: Record<string, string>): string {
  try {
    settings(env);
  } catch (error) {
    expect(error).to.be.instanceOf(ConfigError);
    return (error as ConfigError).message;
  }
  throw new Error('accepted');
}

describe('object store configuration', () => {
  it('opens nothing without OBJECT_STORE_URL', () => {
    expect(settings({})).to.equal(undefined);
  });

  it('a file:// URL is a directory store at that path', async () => {
    expect(settings({ OBJECT_STORE_URL: 'file:///data/gateway%20archive' })).to.deep.equal({
      kind: 'directory',
      root: '/data/gateway archive',
    });
    expect(await location({ OBJECT_STORE_URL: 'file:///data/gateway%20archive' })).to.equal(
      'file:///data/gateway%20archive',
    );
  });

  it('an s3:// URL is a bucket and a key prefix ending in /, with the S3 keys', async () => {
    for (const [url, where] of [
      ['s3://archive', 's3://archive/'],
      ['s3://archive/', 's3://archive/'],
      ['s3://archive/gateway-worker/prod', 's3://archive/gateway-worker/prod/'],
    ] as const) {
      expect(await location({ OBJECT_STORE_URL: url, S3_CA_FILE: '/etc/ca.crt' }), url).to.equal(where);
    }
    expect(
      settings({
        OBJECT_STORE_URL: 's3://archive/p',
        S3_ENDPOINT: 'https://minio:9000',
        S3_FORCE_PATH_STYLE: 'true',
        S3_ACCESS_KEY_ID: 'id',
        S3_SECRET_ACCESS_KEY: 'secret',
        S3_CA_FILE: '/etc/ca.crt',
      }),
    ).to.deep.equal({
      kind: 's3',
      options: {
        bucket: 'archive',
        prefix: 'p/',
        endpoint: 'https://minio:9000',
        region: 'us-east-1',
        forcePathStyle: true,
        credentials: { accessKeyId: 'id', secretAccessKey: 'secret' },
        caPem: CA,
      },
    });
  });

  it('wants both static keys or neither', () => {
    expect(refusal({ OBJECT_STORE_URL: 's3://archive', S3_ACCESS_KEY_ID: 'AKIA' })).to.include(
      'S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY must be set together (S3_SECRET_ACCESS_KEY is missing)',
    );
    const wanted = settings({ OBJECT_STORE_URL: 's3://archive' });
    expect(wanted?.kind === 's3' && wanted.options.credentials, 'the SDK default chain').to.equal(undefined);
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

describe('the object store as an operator component', () => {
  const logged = (): { lines: Record<string, unknown>[]; logger: ReturnType<typeof createLogger> } => {
    const lines: Record<string, unknown>[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        callback();
      },
    });
    return { lines, logger: createLogger('info', stream) };
  };

  it('opens the store at start and logs that it is ready, or why not, without failing the start', async () => {
    const root = mkdtempSync(join(tmpdir(), 'gateway-worker-objects-'));
    try {
      const ok = logged();
      const component = new ObjectStoreComponent(
        { kind: 'directory', root: join(root, 'archive') },
        ok.logger,
      );
      await component.start();
      await eventually(() => ok.lines.length > 0, 5_000, 'a log line');
      expect(ok.lines[0]).to.include({ msg: 'object store ready', location: `file://${root}/archive` });
      expect(component.store.location).to.equal(`file://${root}/archive`);
      await component.stop();

      writeFileSync(join(root, 'file'), 'not a folder');
      const bad = logged();
      const broken = new ObjectStoreComponent(
        { kind: 'directory', root: join(root, 'file', 'below') },
        bad.logger,
      );
      await broken.start();
      await eventually(() => bad.lines.length > 0, 5_000, 'a log line');
      expect(bad.lines[0]).to.include({
        level: 'warn',
        msg: 'object store not reachable; archives and backups fail until it is',
      });
      expect(String(bad.lines[0]?.error)).to.include('ENOTDIR');
      await broken.stop();
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
