/**
 * The S3 object store against a real S3 server (versitygw, built from the Go module proxy):
 * the shared contract over HTTP, a >64 MiB object streamed as a multipart upload without being
 * held in memory, HTTPS with a private CA, and the errors a misconfiguration gives.
 */
import { HeadObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { expect } from 'chai';
import { S3ObjectStore, type S3ObjectStoreOptions } from '../../src/storage/object-store-s3.js';
import type { ObjectStore } from '../../src/storage/object-store.js';
import { MiB, objectStoreContract, readAll } from '../support/object-store-contract.js';
import { VersityGw } from '../support/versitygw.js';

const PART = 8 * MiB;

describe('object storage in S3 (a real versitygw)', function () {
  this.timeout(120_000);
  let gw: VersityGw;
  let buckets = 0;

  before(async () => {
    gw = await VersityGw.start();
  });
  after(() => gw.stop());

  const options = (bucket: string, prefix: string): S3ObjectStoreOptions => ({
    bucket,
    prefix,
    endpoint: gw.endpoint,
    region: gw.region,
    forcePathStyle: true,
    credentials: { accessKeyId: gw.accessKeyId, secretAccessKey: gw.secretAccessKey },
    partSizeBytes: PART,
  });

  const newBucket = async (): Promise<string> => {
    buckets += 1;
    const bucket = `gw-objects-${process.pid}-${buckets}`;
    await gw.createBucket(bucket);
    return bucket;
  };

  const bucketOf = (store: ObjectStore): string => new URL(store.location).hostname;

  describe('the object store contract (under a key prefix)', () => {
    objectStoreContract({
      open: async () => new S3ObjectStore(options(await newBucket(), 'worker/archive/')),
      leftovers: async (store) => {
        const client = gw.client();
        try {
          const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket: bucketOf(store) }));
          return (uploads.Uploads ?? []).map((u) => `multipart upload of ${u.Key ?? '?'}`);
        } finally {
          client.destroy();
        }
      },
      // Parts in flight are ~24 MiB, but V8 collects freed Buffers only after external memory
      // grew by 64 MiB, so RSS may reach ~90 MiB whatever the size: 256 MiB makes "not held"
      // (growth below half the object) a clear test.
      largeBytes: 256 * MiB,
      warmUpBytes: 32 * MiB,
      afterLarge: async (store, key) => {
        // Went up in parts: a multipart object's ETag ends with -<number of parts>.
        const client = gw.client();
        try {
          const head = await client.send(
            new HeadObjectCommand({ Bucket: bucketOf(store), Key: `worker/archive/${key}` }),
          );
          expect(head.ETag, 'a multipart ETag').to.match(/-32"?$/);
        } finally {
          client.destroy();
        }
      },
    });
  });

  it('keeps objects under the prefix and manifests under <prefix>.meta/', async () => {
    const bucket = await newBucket();
    const store = new S3ObjectStore(options(bucket, 'p/'));
    try {
      await store.put('backups/one', Buffer.from('1'));
      const client = gw.client();
      const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
      client.destroy();
      expect((listed.Contents ?? []).map((c) => c.Key).sort()).to.deep.equal([
        'p/.meta/backups/one.json',
        'p/backups/one',
      ]);
      expect(store.location).to.equal(`s3://${bucket}/p/`);
    } finally {
      store.close();
    }
  });

  it('works at the root of a bucket (no prefix)', async () => {
    const store = new S3ObjectStore(options(await newBucket(), ''));
    try {
      await store.put('a', Buffer.from('root'));
      expect((await readAll(await store.get('a'))).toString()).to.equal('root');
      await store.check();
    } finally {
      store.close();
    }
  });

  it('check() names a missing bucket and refused credentials', async () => {
    const missing = new S3ObjectStore(options('no-such-bucket', ''));
    const wrongKeys = new S3ObjectStore({
      ...options(await newBucket(), ''),
      credentials: { accessKeyId: gw.accessKeyId, secretAccessKey: 'wrong' },
    });
    try {
      const why = async (store: ObjectStore): Promise<string> =>
        store.check().then(
          () => 'no error',
          (error: unknown) => String(error),
        );
      expect(await why(missing)).to.include('the bucket does not exist');
      expect(await why(wrongKeys)).to.include('access is denied');
    } finally {
      missing.close();
      wrongKeys.close();
    }
  });

  describe('over HTTPS with a private CA', () => {
    let tlsGw: VersityGw;
    before(async () => {
      tlsGw = await VersityGw.start({ tls: true });
      await tlsGw.createBucket('secure');
    });
    after(() => tlsGw.stop());

    const tlsOptions = (caPem?: string): S3ObjectStoreOptions => ({
      bucket: 'secure',
      prefix: '',
      endpoint: tlsGw.endpoint,
      region: tlsGw.region,
      forcePathStyle: true,
      credentials: { accessKeyId: tlsGw.accessKeyId, secretAccessKey: tlsGw.secretAccessKey },
      ...(caPem ? { caPem } : {}),
    });

    it('trusts the endpoint through the given CA', async () => {
      const store = new S3ObjectStore(tlsOptions(tlsGw.caPem));
      try {
        await store.check();
        const info = await store.put('tls/object', Buffer.from('over TLS'));
        expect(info.size).to.equal(8);
        expect((await readAll(await store.get('tls/object'))).toString()).to.equal('over TLS');
      } finally {
        store.close();
      }
    });

    it('refuses the endpoint without that CA (nothing turns verification off)', async () => {
      const store = new S3ObjectStore(tlsOptions());
      try {
        const refused = await store.check().then(
          () => 'no error',
          (error: unknown) => String(error),
        );
        expect(refused).to.match(/self-signed|unable to verify|certificate/i);
      } finally {
        store.close();
      }
    });
  });
});
