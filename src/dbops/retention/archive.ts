/**
 * Archives written before rows are deleted: gzip-compressed NDJSON or CSV objects, stored with
 * their SHA-256 and read back whole and compared before the caller lets the rows go. A failed
 * check removes the object and fails the batch; the rows stay.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { createGzip, gzip } from 'node:zlib';
import { verifyObject, type ObjectStore } from '../../storage/object-store.js';
import { OperationError } from '../operation-error.js';

const gzipAsync = promisify(gzip);

export interface StoredArchive {
  readonly key: string;
  readonly sizeBytes: number;
  readonly sha256: string;
}

async function verified(
  store: ObjectStore,
  key: string,
  info: { size: number; sha256?: string },
): Promise<StoredArchive> {
  const sha256 = info.sha256;
  const check =
    sha256 === undefined ? undefined : await verifyObject(store, key, { sha256, size: info.size });
  if (!check?.ok || sha256 === undefined) {
    await store.delete(key).catch(() => undefined);
    throw new OperationError(
      'ArchiveFailed',
      `the archive ${key} did not read back as written (${check ? `SHA-256 ${check.sha256.slice(0, 12)}, ${check.size} bytes` : 'no checksum'}); its rows were not deleted`,
      false,
    );
  }
  return { key, sizeBytes: info.size, sha256 };
}

/** Stores `lines` (without line breaks) compressed, then reads the object back and compares it. */
export async function writeArchive(
  store: ObjectStore,
  key: string,
  lines: readonly string[],
): Promise<StoredArchive> {
  const body = await gzipAsync(Buffer.from(lines.length === 0 ? '' : `${lines.join('\n')}\n`, 'utf8'));
  let info;
  try {
    info = await store.put(key, body, { contentType: 'application/gzip' });
  } catch (err) {
    throw new OperationError(
      'ArchiveFailed',
      `writing the archive ${key} to ${store.location} failed: ${err instanceof Error ? err.message : String(err)}; its rows were not deleted`,
      false,
    );
  }
  return verified(store, key, info);
}

/**
 * Streams lines from `source` into a compressed object (a whole partition, which may not fit in
 * memory), then reads it back and compares it. Resolves with the object and the line count.
 */
export async function streamArchive(
  store: ObjectStore,
  key: string,
  source: AsyncIterable<readonly string[]>,
): Promise<StoredArchive & { lines: number }> {
  let lines = 0;
  async function* chunks(): AsyncGenerator<Buffer> {
    for await (const batch of source) {
      if (batch.length === 0) continue;
      lines += batch.length;
      yield Buffer.from(`${batch.join('\n')}\n`, 'utf8');
    }
  }
  let info;
  try {
    // pipeline() carries a failing source (a broken cursor) into the store's write, which then
    // stores nothing, where .pipe() would end the object early and silently.
    const compressed = createGzip();
    const feeding = pipeline(Readable.from(chunks()), compressed);
    [info] = await Promise.all([store.put(key, compressed, { contentType: 'application/gzip' }), feeding]);
  } catch (err) {
    throw new OperationError(
      'ArchiveFailed',
      `writing the archive ${key} to ${store.location} failed: ${err instanceof Error ? err.message : String(err)}; nothing was deleted`,
      false,
    );
  }
  return { ...(await verified(store, key, info)), lines };
}
