/**
 * Where the agent is in the gateway's log: which file (device, inode and a fingerprint of its
 * first line, since inodes are reused once a file is deleted) and the byte offset just past the
 * last line accounted for. Saved with the agent's state; a restart resumes there.
 */
import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';

/** Enough of the first line to tell files apart; the first line carries a timestamp. */
export const FINGERPRINT_MAX_BYTES = 1024;

export interface FileIdentity {
  readonly dev: number;
  readonly ino: number;
  /** Bytes of the start of the file the fingerprint covers. */
  readonly fingerprintBytes: number;
  /** SHA-256 (hex) of those bytes. */
  readonly fingerprint: string;
}

export interface FilePosition {
  readonly file: FileIdentity;
  /** Just past the last line accounted for. */
  readonly offset: number;
}

export function fingerprintOf(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Whether the open file starts with the bytes `identity` was taken from. */
export async function startsLike(handle: FileHandle, identity: FileIdentity): Promise<boolean> {
  const buffer = Buffer.alloc(identity.fingerprintBytes);
  const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
  return bytesRead === identity.fingerprintBytes && fingerprintOf(buffer) === identity.fingerprint;
}

export function sameFile(a: FileIdentity, b: { readonly dev: number; readonly ino: number }): boolean {
  return a.dev === b.dev && a.ino === b.ino;
}

/** For the saved state: a position is plain JSON, checked when read back. */
export function isFilePosition(value: unknown): value is FilePosition {
  if (typeof value !== 'object' || value === null) return false;
  const { file, offset } = value as { file?: unknown; offset?: unknown };
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) return false;
  if (typeof file !== 'object' || file === null) return false;
  const f = file as Record<string, unknown>;
  return (
    typeof f.dev === 'number' &&
    typeof f.ino === 'number' &&
    typeof f.fingerprintBytes === 'number' &&
    typeof f.fingerprint === 'string' &&
    /^[0-9a-f]{64}$/.test(f.fingerprint)
  );
}
