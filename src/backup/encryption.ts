/**
 * The backup file's envelope: a passphrase-derived key (scrypt) and AES-256-GCM. Pure: bytes in,
 * bytes out. Layout, all integers unsigned, big-endian:
 *
 *   offset  size  field
 *        0     8  magic "GWBACKUP"
 *        8     1  format version (1)
 *        9     1  key derivation (1 = scrypt)
 *       10     1  scrypt log2(N)   (17: N = 131072)
 *       11     1  scrypt r         (8)
 *       12     1  scrypt p         (1)
 *       13    16  salt (random)
 *       29    12  nonce (random, AES-GCM IV)
 *       41     n  ciphertext
 *     41+n    16  GCM authentication tag
 *
 * The 41 header bytes are the GCM additional data, so changing any byte of the file — header,
 * ciphertext or tag — makes decryption fail, and so does a wrong passphrase; the two cannot be
 * told apart, by design of authenticated encryption.
 */
import { createCipheriv, createDecipheriv, randomBytes, scrypt, type ScryptOptions } from 'node:crypto';

export const MAGIC = Buffer.from('GWBACKUP', 'ascii');
export const FORMAT_VERSION = 1;
/** Shorter passphrases are refused, by the CLI and by scheduled database backups alike. */
export const MIN_PASSPHRASE_LENGTH = 12;
const KDF_SCRYPT = 1;
const SALT_BYTES = 16;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = MAGIC.length + 5 + SALT_BYTES + NONCE_BYTES;

export interface ScryptParameters {
  readonly logN: number;
  readonly r: number;
  readonly p: number;
}

/** N = 2^17, r = 8, p = 1: 128 MiB and a fraction of a second per derivation (OWASP's minimum is N = 2^17). */
export const DEFAULT_SCRYPT: ScryptParameters = { logN: 17, r: 8, p: 1 };
/** What a file may ask for: enough for stronger settings, too little to exhaust memory with a crafted header. */
const LIMITS = { logN: [10, 20], r: [1, 16], p: [1, 4] } as const;

export class BackupDecryptError extends Error {}

/** The 32-byte AES key for a passphrase (NFC-normalised) and salt; shared with database backups. */
export function deriveKey(passphrase: string, salt: Buffer, params: ScryptParameters): Promise<Buffer> {
  const N = 2 ** params.logN;
  const options: ScryptOptions = {
    N,
    r: params.r,
    p: params.p,
    maxmem: 128 * N * params.r * params.p + 32 * 1024 * 1024,
  };
  return new Promise((resolve, reject) => {
    // NFC so the same passphrase typed on different systems gives the same key.
    scrypt(passphrase.normalize('NFC'), salt, 32, options, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

/** Whether a file's scrypt parameters are within what we accept (no memory exhaustion by a crafted header). */
export function withinLimits(params: ScryptParameters): boolean {
  return (Object.keys(LIMITS) as (keyof ScryptParameters)[]).every((name) => {
    const [min, max] = LIMITS[name];
    return Number.isInteger(params[name]) && params[name] >= min && params[name] <= max;
  });
}

function header(params: ScryptParameters, salt: Buffer, nonce: Buffer): Buffer {
  return Buffer.concat([
    MAGIC,
    Buffer.from([FORMAT_VERSION, KDF_SCRYPT, params.logN, params.r, params.p]),
    salt,
    nonce,
  ]);
}

export async function encryptBackup(
  plaintext: Buffer,
  passphrase: string,
  params: ScryptParameters = DEFAULT_SCRYPT,
): Promise<Buffer> {
  if (!withinLimits(params)) throw new RangeError('scrypt parameters out of range');
  const salt = randomBytes(SALT_BYTES);
  const nonce = randomBytes(NONCE_BYTES);
  const head = header(params, salt, nonce);
  const key = await deriveKey(passphrase, salt, params);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(head);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([head, body, cipher.getAuthTag()]);
}

/** The file's scrypt parameters, for messages; throws BackupDecryptError when it is not a backup file. */
export function readHeader(file: Buffer): { version: number; params: ScryptParameters } {
  if (file.length < HEADER_BYTES + TAG_BYTES || !file.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new BackupDecryptError('this is not a gateway-worker backup file');
  }
  const at = MAGIC.length;
  const version = file.readUInt8(at);
  if (version !== FORMAT_VERSION) {
    throw new BackupDecryptError(
      `backup format version ${version} is not supported by this gateway-worker (it reads version ${FORMAT_VERSION})`,
    );
  }
  if (file.readUInt8(at + 1) !== KDF_SCRYPT)
    throw new BackupDecryptError('unknown key derivation in the backup header');
  const params = { logN: file.readUInt8(at + 2), r: file.readUInt8(at + 3), p: file.readUInt8(at + 4) };
  if (!withinLimits(params))
    throw new BackupDecryptError('the backup header has scrypt parameters out of range');
  return { version, params };
}

export async function decryptBackup(file: Buffer, passphrase: string): Promise<Buffer> {
  const { params } = readHeader(file);
  const head = file.subarray(0, HEADER_BYTES);
  const salt = head.subarray(MAGIC.length + 5, MAGIC.length + 5 + SALT_BYTES);
  const nonce = head.subarray(HEADER_BYTES - NONCE_BYTES);
  const body = file.subarray(HEADER_BYTES, file.length - TAG_BYTES);
  const tag = file.subarray(file.length - TAG_BYTES);
  const key = await deriveKey(passphrase, salt, params);
  const decipher = createDecipheriv('aes-256-gcm', key, nonce);
  decipher.setAAD(head);
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(body), decipher.final()]);
  } catch {
    throw new BackupDecryptError('wrong passphrase, or the backup file was changed or damaged');
  }
}
