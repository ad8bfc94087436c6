/**
 * Object storage for archives and backups: one small interface, a directory (a volume) and
 * S3-compatible storage beside it (object-store-directory.ts, object-store-s3.ts). Objects stream
 * in and out — a 1 GB database backup is never held in memory — and every write is hashed as it
 * passes: the SHA-256 is checked against the caller's, when given, before the object becomes
 * visible, and recorded in a small manifest beside the object so `stat` can report it later.
 */
import { createHash } from 'node:crypto';
import { Readable, Transform, type TransformCallback } from 'node:stream';

export interface ObjectInfo {
  readonly key: string;
  readonly size: number;
  readonly lastModified: Date;
  /**
   * Hex SHA-256 of the content, recorded when this store wrote it; absent from `list` (it would
   * cost a read per object) and for an object written some other way.
   */
  readonly sha256?: string;
}

export interface PutOptions {
  /** Refuse the write, storing nothing, unless the content's SHA-256 (hex) is this one. */
  readonly sha256?: string;
  readonly contentType?: string;
}

export type Body = Readable | AsyncIterable<Uint8Array> | Uint8Array;

export interface ObjectStore {
  /** Where the objects go, without credentials: `file:///data/archive`, `s3://bucket/prefix/`. */
  readonly location: string;
  /** Streams `body` to `key`, replacing any object there; resolves once it is stored and checked. */
  put(key: string, body: Body, options?: PutOptions): Promise<ObjectInfo>;
  /** The content as a stream; {@link ObjectNotFoundError} when there is no such object. */
  get(key: string): Promise<Readable>;
  /** Size, time and checksum, or undefined when there is no such object. */
  stat(key: string): Promise<ObjectInfo | undefined>;
  /** Every object whose key starts with `prefix`, in key order. */
  list(prefix: string): AsyncIterable<ObjectInfo>;
  /** Removes the object; no error when it is already gone. */
  delete(key: string): Promise<void>;
  /** Throws a readable error when the store cannot be reached or written. */
  check(): Promise<void>;
  close(): void;
}

export class ObjectNotFoundError extends Error {
  constructor(readonly key: string) {
    super(`no object ${key}`);
    this.name = 'ObjectNotFoundError';
  }
}

export class ChecksumMismatchError extends Error {
  constructor(
    readonly key: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(
      `object ${key}: the content's SHA-256 is ${actual}, not the expected ${expected}; nothing was stored`,
    );
    this.name = 'ChecksumMismatchError';
  }
}

export class InvalidKeyError extends Error {
  constructor(key: string, why: string) {
    super(`object key ${JSON.stringify(key.slice(0, 200))} ${why}; ${KEY_RULE}`);
    this.name = 'InvalidKeyError';
  }
}

const KEY_RULE =
  "a key is 1 to 1024 characters of '/'-separated segments, each made of letters, digits and . _ - = + , : @, not starting with '.'";
const SEGMENT = /^[A-Za-z0-9_=+,:@-][A-Za-z0-9._=+,:@-]{0,254}$/;
const PREFIX_CHARS = /^[A-Za-z0-9._=+,:@/-]*$/;
const MAX_KEY = 1024;

/**
 * Keys are relative names that can never leave the store: no empty, `.` or `..` segment, no
 * leading dot (the stores keep their temp files and manifests under dot folders), a portable
 * character set.
 */
export function checkKey(key: string): void {
  if (key.length === 0 || key.length > MAX_KEY) throw new InvalidKeyError(key, 'has a bad length');
  for (const segment of key.split('/')) {
    if (!SEGMENT.test(segment))
      throw new InvalidKeyError(key, `has a bad segment ${JSON.stringify(segment)}`);
  }
}

/** A list prefix: the start of a key, so it may end inside a segment or with '/'. */
export function checkPrefix(prefix: string): void {
  if (prefix.length > MAX_KEY || !PREFIX_CHARS.test(prefix))
    throw new InvalidKeyError(prefix, 'is not a valid prefix');
  const segments = prefix.split('/');
  for (const [i, segment] of segments.entries()) {
    const last = i === segments.length - 1;
    if (last && segment === '') continue;
    if (segment === '' || segment.startsWith('.'))
      throw new InvalidKeyError(prefix, `is not a valid prefix (segment ${JSON.stringify(segment)})`);
  }
}

/** The record kept beside each object this store wrote. */
export interface Manifest {
  readonly size: number;
  readonly sha256: string;
  /** What identifies this exact version of the object: its ETag (S3) or mtime (directory). */
  readonly version: string;
}

export function parseManifest(text: string): Manifest | undefined {
  try {
    const value = JSON.parse(text) as Partial<Manifest>;
    if (
      typeof value.size === 'number' &&
      typeof value.sha256 === 'string' &&
      /^[0-9a-f]{64}$/.test(value.sha256) &&
      typeof value.version === 'string'
    )
      return { size: value.size, sha256: value.sha256, version: value.version };
  } catch {
    // A torn or foreign manifest says nothing about the object.
  }
  return undefined;
}

/**
 * Passes bytes through while hashing and counting them. When an expected digest is given and the
 * content does not match, the stream fails at its end instead of ending: the backend never
 * commits what it received (a temp file is not renamed, a multipart upload is not completed).
 */
export class DigestingStream extends Transform {
  private readonly hash = createHash('sha256');
  private digestHex: string | undefined;
  bytes = 0;

  constructor(
    private readonly key: string,
    private readonly expected?: string,
  ) {
    super();
    if (expected !== undefined && !/^[0-9a-f]{64}$/.test(expected))
      throw new Error(`expected SHA-256 for ${key} must be 64 lowercase hex digits`);
  }

  /** The content's SHA-256, once the stream has ended. */
  get sha256(): string {
    if (this.digestHex === undefined) throw new Error('the content has not been read to its end');
    return this.digestHex;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.digestHex = this.hash.digest('hex');
    if (this.expected !== undefined && this.expected !== this.digestHex)
      callback(new ChecksumMismatchError(this.key, this.expected, this.digestHex));
    else callback();
  }
}

export function toReadable(body: Body): Readable {
  if (body instanceof Readable) return body;
  if (body instanceof Uint8Array) return Readable.from([body]);
  return Readable.from(body);
}

/**
 * Reads an object back whole and compares it with what was expected: the check to make before
 * deleting what an archive replaces. Streams, so it costs time, not memory.
 */
export async function verifyObject(
  store: ObjectStore,
  key: string,
  expected: { sha256: string; size?: number },
): Promise<{ ok: boolean; sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of await store.get(key)) {
    const bytes = chunk as Buffer;
    hash.update(bytes);
    size += bytes.length;
  }
  const sha256 = hash.digest('hex');
  return {
    ok: sha256 === expected.sha256 && (expected.size === undefined || size === expected.size),
    sha256,
    size,
  };
}
