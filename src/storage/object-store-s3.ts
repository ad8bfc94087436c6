/**
 * Objects in an S3-compatible bucket (AWS S3, MinIO, Ceph RGW, versitygw, ...) under a key
 * prefix, with the AWS SDK v3. Writes stream through lib-storage's Upload: small objects go up
 * in one PutObject, large ones as a multipart upload of fixed-size parts, a few in flight, so
 * memory stays at parts × queue whatever the object's size. The SDK adds a CRC32 to every part
 * that the server checks on receipt; the whole object's SHA-256 is computed on the way and
 * recorded in a manifest object under `<prefix>.meta/`.
 */
import { Agent as HttpsAgent } from 'node:https';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import {
  checkKey,
  checkPrefix,
  DigestingStream,
  ObjectNotFoundError,
  parseManifest,
  toReadable,
  type Body,
  type Manifest,
  type ObjectInfo,
  type ObjectStore,
  type PutOptions,
} from './object-store.js';

export interface S3ObjectStoreOptions {
  readonly bucket: string;
  /** Key prefix inside the bucket ('' or ending with '/'). */
  readonly prefix: string;
  /** An S3-compatible service's URL; AWS S3 when absent. */
  readonly endpoint?: string;
  readonly region: string;
  /** `https://endpoint/bucket/key` instead of `https://bucket.endpoint/key` (MinIO and most others). */
  readonly forcePathStyle: boolean;
  /** Static keys; the SDK's default chain (env, web identity, instance role) when absent. */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** PEM CA certificates to trust for the endpoint, instead of the system's. */
  readonly caPem?: string;
  /** Multipart part size (S3's minimum is 5 MiB). */
  readonly partSizeBytes?: number;
  /** Parts uploaded at once. */
  readonly queueSize?: number;
  /** A request whose socket is idle this long fails: a stalled server fails the call instead of hanging it. */
  readonly requestTimeoutMs?: number;
}

const MiB = 1024 * 1024;
const DEFAULT_PART_SIZE = 8 * MiB;
const DEFAULT_QUEUE = 2;
const META = '.meta/';

export class S3ObjectStore implements ObjectStore {
  readonly location: string;
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;

  constructor(private readonly options: S3ObjectStoreOptions) {
    if (options.prefix !== '' && !options.prefix.endsWith('/'))
      throw new Error(`S3 key prefix "${options.prefix}" must end with '/'`);
    this.bucket = options.bucket;
    this.prefix = options.prefix;
    this.location = `s3://${options.bucket}/${options.prefix}`;
    this.client = new S3Client({
      region: options.region,
      forcePathStyle: options.forcePathStyle,
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      ...(options.credentials ? { credentials: { ...options.credentials } } : {}),
      requestHandler: {
        requestTimeout: options.requestTimeoutMs ?? 120_000,
        connectionTimeout: 10_000,
        ...(options.caPem ? { httpsAgent: new HttpsAgent({ keepAlive: true, ca: options.caPem }) } : {}),
      },
      maxAttempts: 3,
    });
  }

  async put(key: string, body: Body, options: PutOptions = {}): Promise<ObjectInfo> {
    checkKey(key);
    const digest = new DigestingStream(key, options.sha256);
    const source = toReadable(body);
    const upload = new Upload({
      client: this.client,
      params: {
        Bucket: this.bucket,
        Key: this.objectKey(key),
        Body: digest,
        ...(options.contentType ? { ContentType: options.contentType } : {}),
      },
      partSize: this.options.partSizeBytes ?? DEFAULT_PART_SIZE,
      queueSize: this.options.queueSize ?? DEFAULT_QUEUE,
      leavePartsOnError: false,
    });
    // Whichever side fails first stops the other: a source error (or a checksum mismatch at its
    // end) fails the upload's reads, so the upload is aborted; an upload error stops the reading.
    const feeding = pipeline(source, digest);
    const uploading = upload.done().catch((error: unknown) => {
      digest.destroy(error instanceof Error ? error : new Error(String(error)));
      throw error;
    });
    const [fed, uploaded] = await Promise.allSettled([feeding, uploading]);
    const failure: unknown =
      fed.status === 'rejected' ? fed.reason : uploaded.status === 'rejected' ? uploaded.reason : undefined;
    if (failure !== undefined) {
      await upload.abort();
      throw failure instanceof Error ? failure : new Error('the upload failed', { cause: failure });
    }
    const head = await this.head(key);
    if (!head) throw new Error(`object ${key} is missing right after it was written`);
    if (head.size !== digest.bytes) {
      await this.deleteKeys(key);
      throw new Error(
        `object ${key}: the server stored ${head.size} bytes of the ${digest.bytes} sent; removed it`,
      );
    }
    await this.writeManifest(key, { size: head.size, sha256: digest.sha256, version: head.etag });
    return { key, size: head.size, lastModified: head.lastModified, sha256: digest.sha256 };
  }

  async get(key: string): Promise<Readable> {
    checkKey(key);
    try {
      const response = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }),
      );
      if (!(response.Body instanceof Readable))
        throw new Error(`object ${key}: the response has no body stream`);
      return response.Body;
    } catch (error) {
      if (isNotFound(error)) throw new ObjectNotFoundError(key);
      throw error;
    }
  }

  async stat(key: string): Promise<ObjectInfo | undefined> {
    checkKey(key);
    const head = await this.head(key);
    if (!head) return undefined;
    const manifest = await this.readManifest(key);
    const current = manifest?.size === head.size && manifest.version === head.etag;
    return {
      key,
      size: head.size,
      lastModified: head.lastModified,
      ...(current ? { sha256: manifest.sha256 } : {}),
    };
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    checkPrefix(prefix);
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: this.prefix + prefix,
          ...(token ? { ContinuationToken: token } : {}),
        }),
      );
      for (const item of page.Contents ?? []) {
        const key = item.Key?.slice(this.prefix.length);
        // Manifests, and anything another tool put here that this store could not address.
        if (key === undefined || key.startsWith(META) || !isValidKey(key)) continue;
        yield { key, size: item.Size ?? 0, lastModified: item.LastModified ?? new Date(0) };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async delete(key: string): Promise<void> {
    checkKey(key);
    await this.deleteKeys(key);
  }

  async check(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
    } catch (error) {
      const status = statusOf(error);
      const why =
        status === 404
          ? 'the bucket does not exist'
          : status === 403
            ? 'access is denied (check the credentials and the bucket policy)'
            : error instanceof Error
              ? error.message
              : String(error);
      throw new Error(`object store ${this.location}: ${why}`, { cause: error });
    }
  }

  close(): void {
    this.client.destroy();
  }

  private objectKey(key: string): string {
    return this.prefix + key;
  }

  private manifestKey(key: string): string {
    return `${this.prefix}${META}${key}.json`;
  }

  private async head(key: string): Promise<{ size: number; etag: string; lastModified: Date } | undefined> {
    try {
      const head = await this.client.send(
        new HeadObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }),
      );
      return {
        size: head.ContentLength ?? 0,
        etag: head.ETag ?? '',
        lastModified: head.LastModified ?? new Date(0),
      };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  private async writeManifest(key: string, manifest: Manifest): Promise<void> {
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: this.manifestKey(key),
        Body: JSON.stringify(manifest),
        ContentType: 'application/json',
      }),
    );
  }

  private async readManifest(key: string): Promise<Manifest | undefined> {
    try {
      const response = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: this.manifestKey(key) }),
      );
      return parseManifest((await response.Body?.transformToString('utf8')) ?? '');
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  private async deleteKeys(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.manifestKey(key) }));
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
  }
}

function statusOf(error: unknown): number | undefined {
  return error instanceof S3ServiceException ? error.$metadata.httpStatusCode : undefined;
}

function isNotFound(error: unknown): boolean {
  return (
    statusOf(error) === 404 ||
    (error instanceof Error && (error.name === 'NoSuchKey' || error.name === 'NotFound'))
  );
}

function isValidKey(key: string): boolean {
  try {
    checkKey(key);
    return true;
  } catch {
    return false;
  }
}
