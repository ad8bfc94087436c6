/**
 * Archives a partition before retention drops it: its rows as gzip NDJSON (one JSON object per
 * line, `row_to_json` of each row) streamed from a cursor into the object store, then read back
 * and checked — line count and SHA-256 of the uncompressed text — before the caller may drop it.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import type { Queryable } from '../storage/database.js';
import type { ObjectStore } from '../storage/object-store.js';

const FETCH_ROWS = 2_000;

export interface ArchiveResult {
  readonly key: string;
  readonly rows: number;
  /** Hex SHA-256 of the uncompressed NDJSON. */
  readonly contentSha256: string;
  readonly bytes: number;
}

/**
 * Writes the rows of `select` (a SELECT whose single column `line` is one row's JSON text) to
 * `key`. Runs in `tx`, a transaction the caller holds open (a cursor lives in one).
 */
export async function archiveRows(
  tx: Queryable,
  select: string,
  store: ObjectStore,
  key: string,
): Promise<ArchiveResult> {
  const cursor = `archive_${Math.random().toString(36).slice(2, 10)}`;
  await tx.query(`DECLARE ${cursor} NO SCROLL CURSOR FOR ${select}`);
  const hash = createHash('sha256');
  let rows = 0;
  async function* lines(): AsyncGenerator<Buffer> {
    for (;;) {
      const page = await tx.query<{ line: string }>(`FETCH ${FETCH_ROWS} FROM ${cursor}`);
      if (page.rows.length === 0) return;
      const text = Buffer.from(page.rows.map((r) => `${r.line}\n`).join(''));
      hash.update(text);
      rows += page.rows.length;
      yield text;
    }
  }
  const source = Readable.from(lines());
  const gzip = createGzip();
  // pipeline carries a failure either way and ends the reading when the store stops taking bytes.
  const piped = pipeline(source, gzip).then(
    () => undefined,
    (error: unknown) => error,
  );
  let info;
  try {
    info = await store.put(key, gzip, { contentType: 'application/x-ndjson+gzip' });
  } catch (error) {
    source.destroy();
    gzip.destroy();
    await piped;
    throw error;
  }
  const failed = await piped;
  if (failed !== undefined) throw failed instanceof Error ? failed : new Error('the archive stream failed');
  await tx.query(`CLOSE ${cursor}`);
  return { key, rows, contentSha256: hash.digest('hex'), bytes: info.size };
}

/** Reads an archive back: its line count and the SHA-256 of its uncompressed content. */
export async function readArchive(
  store: ObjectStore,
  key: string,
): Promise<{ rows: number; contentSha256: string }> {
  const hash = createHash('sha256');
  let rows = 0;
  const gunzip = (await store.get(key)).pipe(createGunzip());
  for await (const chunk of gunzip) {
    const bytes = chunk as Buffer;
    hash.update(bytes);
    for (const byte of bytes) if (byte === 0x0a) rows += 1;
  }
  return { rows, contentSha256: hash.digest('hex') };
}

/** Throws unless the stored archive holds exactly what was written. */
export async function verifyArchive(store: ObjectStore, written: ArchiveResult): Promise<void> {
  const read = await readArchive(store, written.key);
  if (read.rows !== written.rows || read.contentSha256 !== written.contentSha256) {
    throw new Error(
      `archive ${store.location}${written.key} does not read back as written (${read.rows} rows, sha256 ${read.contentSha256.slice(0, 12)}; wrote ${written.rows} rows, ${written.contentSha256.slice(0, 12)}); nothing was dropped`,
    );
  }
}
