/**
 * Encrypted database dumps, streamed: the certificate backup's key derivation (scrypt, same
 * parameters and limits, src/backup/encryption.ts) and AES-256-GCM, applied to 1 MiB chunks so a
 * dump of any size passes through in constant memory and nothing is released unauthenticated.
 * Layout, integers big-endian:
 *
 *   offset  size  field
 *        0     8  magic "GWDBDUMP"
 *        8     1  format version (1)
 *        9     1  key derivation (1 = scrypt)
 *       10     3  scrypt log2(N), r, p
 *       13    16  salt (random)
 *       29     7  nonce prefix (random)
 *       36     1  log2 of the chunk size (20: 1 MiB)
 *       37     …  chunks: ciphertext (the chunk size, the last one shorter) + 16-byte GCM tag
 *
 * Chunk i is sealed with the nonce prefix ‖ i (4 bytes) ‖ 1 if it is the last chunk else 0, and
 * the header as additional data — so a reordered, dropped, truncated or appended chunk, a changed
 * header and a wrong passphrase all fail authentication (the STREAM construction, as in age).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { DEFAULT_SCRYPT, deriveKey, withinLimits, type ScryptParameters } from '../../backup/encryption.js';

export const DUMP_MAGIC = Buffer.from('GWDBDUMP', 'ascii');
const VERSION = 1;
const KDF_SCRYPT = 1;
const SALT = 16;
const PREFIX = 7;
const TAG = 16;
export const HEADER_BYTES = DUMP_MAGIC.length + 5 + SALT + PREFIX + 1;
const DEFAULT_CHUNK_LOG2 = 20;

export class DumpDecryptError extends Error {
  override readonly name = 'DumpDecryptError';
}

function nonce(prefix: Buffer, counter: number, last: boolean): Buffer {
  const n = Buffer.alloc(12);
  prefix.copy(n, 0);
  n.writeUInt32BE(counter, PREFIX);
  n.writeUInt8(last ? 1 : 0, PREFIX + 4);
  return n;
}

export interface EncryptOptions {
  readonly params?: ScryptParameters;
  /** log2 of the chunk size; tests use small chunks. */
  readonly chunkLog2?: number;
}

/** A stream that encrypts what passes through; the key is derived before the first byte goes out. */
export async function encryptingStream(passphrase: string, options: EncryptOptions = {}): Promise<Transform> {
  const params = options.params ?? DEFAULT_SCRYPT;
  if (!withinLimits(params)) throw new RangeError('scrypt parameters out of range');
  const chunkLog2 = options.chunkLog2 ?? DEFAULT_CHUNK_LOG2;
  const chunkSize = 2 ** chunkLog2;
  const salt = randomBytes(SALT);
  const prefix = randomBytes(PREFIX);
  const header = Buffer.concat([
    DUMP_MAGIC,
    Buffer.from([VERSION, KDF_SCRYPT, params.logN, params.r, params.p]),
    salt,
    prefix,
    Buffer.from([chunkLog2]),
  ]);
  const key = await deriveKey(passphrase, salt, params);
  let pending: Buffer = Buffer.alloc(0);
  let counter = 0;
  let headerSent = false;
  const seal = (plain: Buffer, last: boolean): Buffer => {
    const cipher = createCipheriv('aes-256-gcm', key, nonce(prefix, counter, last));
    counter += 1;
    cipher.setAAD(header);
    return Buffer.concat([cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
  };
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      if (!headerSent) {
        this.push(header);
        headerSent = true;
      }
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      // A chunk is sealed as "not last" only once more bytes are known to follow it.
      while (pending.length > chunkSize) {
        this.push(seal(pending.subarray(0, chunkSize), false));
        pending = pending.subarray(chunkSize);
      }
      callback();
    },
    flush(callback: TransformCallback) {
      if (!headerSent) this.push(header);
      this.push(seal(pending, true));
      callback();
    },
  });
}

/** A stream that decrypts and authenticates; it fails (DumpDecryptError) on any change or a wrong passphrase. */
export function decryptingStream(passphrase: string): Transform {
  let header: Buffer | undefined;
  let key: Buffer | undefined;
  let prefix = Buffer.alloc(0);
  let frame = 0;
  let counter = 0;
  let pending: Buffer = Buffer.alloc(0);
  const open = (sealed: Buffer, last: boolean): Buffer => {
    if (!key || !header) throw new DumpDecryptError('no header');
    const decipher = createDecipheriv('aes-256-gcm', key, nonce(prefix, counter, last));
    counter += 1;
    decipher.setAAD(header);
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG));
    try {
      return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - TAG)), decipher.final()]);
    } catch {
      throw new DumpDecryptError('wrong passphrase, or the backup was changed, truncated or damaged');
    }
  };
  const readHeader = async (bytes: Buffer): Promise<void> => {
    if (!bytes.subarray(0, DUMP_MAGIC.length).equals(DUMP_MAGIC))
      throw new DumpDecryptError('this is not an encrypted gateway-worker database backup');
    const at = DUMP_MAGIC.length;
    if (bytes.readUInt8(at) !== VERSION)
      throw new DumpDecryptError(
        `backup format version ${bytes.readUInt8(at)} is not supported (this reads ${VERSION})`,
      );
    if (bytes.readUInt8(at + 1) !== KDF_SCRYPT)
      throw new DumpDecryptError('unknown key derivation in the backup header');
    const params = { logN: bytes.readUInt8(at + 2), r: bytes.readUInt8(at + 3), p: bytes.readUInt8(at + 4) };
    if (!withinLimits(params))
      throw new DumpDecryptError('the backup header has scrypt parameters out of range');
    const salt = bytes.subarray(at + 5, at + 5 + SALT);
    prefix = Buffer.from(bytes.subarray(at + 5 + SALT, at + 5 + SALT + PREFIX));
    const chunkLog2 = bytes.readUInt8(HEADER_BYTES - 1);
    if (chunkLog2 < 10 || chunkLog2 > 24)
      throw new DumpDecryptError('the backup header has a chunk size out of range');
    frame = 2 ** chunkLog2 + TAG;
    header = Buffer.from(bytes.subarray(0, HEADER_BYTES));
    key = await deriveKey(passphrase, salt, params);
  };
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      const drain = (): void => {
        while (pending.length > frame) {
          this.push(open(pending.subarray(0, frame), false));
          pending = pending.subarray(frame);
        }
      };
      if (header === undefined) {
        if (pending.length < HEADER_BYTES) {
          callback();
          return;
        }
        const head = pending.subarray(0, HEADER_BYTES);
        pending = pending.subarray(HEADER_BYTES);
        readHeader(head).then(
          () => {
            try {
              drain();
              callback();
            } catch (err) {
              callback(err as Error);
            }
          },
          (err: unknown) => callback(err as Error),
        );
        return;
      }
      try {
        drain();
        callback();
      } catch (err) {
        callback(err as Error);
      }
    },
    flush(callback: TransformCallback) {
      try {
        if (header === undefined || pending.length < TAG)
          throw new DumpDecryptError('the backup ends before its last chunk: it was truncated');
        this.push(open(pending, true));
        callback();
      } catch (err) {
        callback(err as Error);
      }
    },
  });
}
