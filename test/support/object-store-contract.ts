/**
 * What every object store must do, written once and run against each backend (the directory
 * in src/storage/object-store-directory.test.ts, S3 against a real versitygw in
 * test/integration/object-store-s3.test.ts): round trips, checksums on write, listing,
 * deleting, bad keys, failed writes that leave nothing behind, and a large object streamed in
 * and out without being held in memory.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { expect } from 'chai';
import {
  ChecksumMismatchError,
  InvalidKeyError,
  ObjectNotFoundError,
  verifyObject,
  type ObjectInfo,
  type ObjectStore,
} from '../../src/storage/object-store.js';

export const MiB = 1024 * 1024;

export function sha256Of(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function collect(items: AsyncIterable<ObjectInfo>): Promise<ObjectInfo[]> {
  const out: ObjectInfo[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/**
 * `size` bytes of random data made 1 MiB at a time as they are read, never all at once; `sha256`
 * is known once the stream has ended.
 */
export class GeneratedContent extends Readable {
  private readonly hash = createHash('sha256');
  private sent = 0;
  digest = '';

  constructor(
    private readonly size: number,
    private readonly failAfter?: number,
  ) {
    super({ highWaterMark: MiB });
  }

  override _read(): void {
    if (this.failAfter !== undefined && this.sent >= this.failAfter) {
      this.destroy(new Error('the source broke half-way'));
      return;
    }
    if (this.sent >= this.size) {
      this.digest = this.hash.digest('hex');
      this.push(null);
      return;
    }
    const chunk = randomBytes(Math.min(MiB, this.size - this.sent));
    this.sent += chunk.length;
    this.hash.update(chunk);
    this.push(chunk);
  }
}

/** The highest RSS seen while `run` runs, above what it was before, sampled every 10 ms. */
export async function peakRssGrowth<T>(run: () => Promise<T>): Promise<{ result: T; growthBytes: number }> {
  const before = process.memoryUsage.rss();
  let peak = before;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 10);
  try {
    const result = await run();
    peak = Math.max(peak, process.memoryUsage.rss());
    return { result, growthBytes: peak - before };
  } finally {
    clearInterval(timer);
  }
}

export interface ContractOptions {
  /** A fresh, empty store for each test. */
  open(): Promise<ObjectStore>;
  /** Whatever a failed write may have left behind (temp files, multipart uploads); [] when clean. */
  leftovers(store: ObjectStore): Promise<string[]>;
  /** Bytes of the large-object test; above 64 MiB so S3 writes it as a multipart upload. */
  largeBytes: number;
  /**
   * Bytes written first, unmeasured: the first multipart upload of a process loads and compiles
   * the SDK's code and fills its pools, a one-time cost that is not the object's.
   */
  warmUpBytes?: number;
  /** Called after the large object was written, e.g. to check it went up in parts. */
  afterLarge?(store: ObjectStore, key: string): Promise<void>;
}

export function objectStoreContract(options: ContractOptions): void {
  let store: ObjectStore;
  beforeEach(async () => {
    store = await options.open();
  });
  afterEach(() => store.close());

  it('stores an object and streams it back, with its size and SHA-256', async () => {
    const data = Buffer.from('first archive\n');
    const info = await store.put('archives/2026/01/a.jsonl', data, { contentType: 'application/x-ndjson' });
    expect(info).to.include({ key: 'archives/2026/01/a.jsonl', size: data.length, sha256: sha256Of(data) });
    expect(await readAll(await store.get('archives/2026/01/a.jsonl'))).to.deep.equal(data);
    const stat = await store.stat('archives/2026/01/a.jsonl');
    expect(stat).to.include({ size: data.length, sha256: sha256Of(data) });
    expect(stat?.lastModified).to.be.instanceOf(Date);
  });

  it('replaces an object written again, and stat follows the new content', async () => {
    await store.put('k', Buffer.from('one'));
    await store.put('k', Buffer.from('second version'));
    expect((await readAll(await store.get('k'))).toString()).to.equal('second version');
    expect(await store.stat('k')).to.include({ size: 14, sha256: sha256Of('second version') });
  });

  it('accepts a write whose content matches the expected SHA-256', async () => {
    const data = Buffer.from('backup');
    const info = await store.put('backups/b1', Readable.from([data]), { sha256: sha256Of(data) });
    expect(info.sha256).to.equal(sha256Of(data));
  });

  it('refuses a write whose content does not match the expected SHA-256, storing nothing', async () => {
    const refused = await store
      .put('backups/b2', Buffer.from('not what was promised'), { sha256: sha256Of('something else') })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(refused).to.be.instanceOf(ChecksumMismatchError);
    expect(String(refused)).to.include('nothing was stored');
    expect(await store.stat('backups/b2')).to.equal(undefined);
    expect(await options.leftovers(store)).to.deep.equal([]);
  });

  it('leaves nothing behind, and keeps the previous version, when the source fails half-way', async () => {
    await store.put('backups/b3', Buffer.from('good old version'));
    const refused = await store.put('backups/b3', new GeneratedContent(20 * MiB, 12 * MiB)).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(String(refused)).to.include('the source broke half-way');
    expect((await readAll(await store.get('backups/b3'))).toString()).to.equal('good old version');
    expect(await options.leftovers(store)).to.deep.equal([]);
  });

  it('says an object is missing: get throws ObjectNotFoundError, stat gives undefined, delete is quiet', async () => {
    const missing = await store.get('nothing/here').then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(missing).to.be.instanceOf(ObjectNotFoundError);
    expect(await store.stat('nothing/here')).to.equal(undefined);
    await store.delete('nothing/here');
  });

  it('lists by prefix in key order, without checksums or manifests', async () => {
    for (const key of [
      'logs/2026-01-02.gz',
      'logs/2026-01-01.gz',
      'logs/2026-02-01.gz',
      'logs-old/x',
      'other/y',
    ])
      await store.put(key, Buffer.from(key));
    const keys = async (prefix: string): Promise<string[]> =>
      (await collect(store.list(prefix))).map((o) => o.key);
    expect(await keys('logs/')).to.deep.equal([
      'logs/2026-01-01.gz',
      'logs/2026-01-02.gz',
      'logs/2026-02-01.gz',
    ]);
    expect(await keys('logs/2026-01')).to.deep.equal(['logs/2026-01-01.gz', 'logs/2026-01-02.gz']);
    expect(await keys('logs')).to.deep.equal([
      'logs-old/x',
      'logs/2026-01-01.gz',
      'logs/2026-01-02.gz',
      'logs/2026-02-01.gz',
    ]);
    expect(await keys('')).to.have.length(5);
    expect(await keys('none/')).to.deep.equal([]);
    const [first] = await collect(store.list('logs/2026-01-01'));
    expect(first).to.deep.include({ key: 'logs/2026-01-01.gz', size: 18 });
    expect(first?.sha256).to.equal(undefined);
  });

  it('deletes an object and its manifest', async () => {
    await store.put('tmp/a', Buffer.from('a'));
    await store.put('tmp/b', Buffer.from('b'));
    await store.delete('tmp/a');
    expect(await store.stat('tmp/a')).to.equal(undefined);
    expect((await collect(store.list('tmp/'))).map((o) => o.key)).to.deep.equal(['tmp/b']);
    await store.put('tmp/a', Buffer.from('again'));
    expect(await store.stat('tmp/a')).to.include({ sha256: sha256Of('again') });
  });

  it('refuses keys that could leave the store or collide with its own files', async () => {
    const rejection = (promise: Promise<unknown>): Promise<unknown> =>
      promise.then(
        () => undefined,
        (error: unknown) => error,
      );
    for (const key of [
      '',
      '../etc/passwd',
      'a/../../b',
      '/abs',
      'a//b',
      'a/',
      '.meta/x',
      'a/.tmp/b',
      'sp ace',
      'x\u0000y',
    ])
      expect(await rejection(store.put(key, Buffer.from('x'))), key).to.be.instanceOf(InvalidKeyError);
    for (const key of ['../x', '.hidden']) {
      expect(await rejection(store.get(key)), key).to.be.instanceOf(InvalidKeyError);
      expect(await rejection(store.stat(key)), key).to.be.instanceOf(InvalidKeyError);
      expect(await rejection(store.delete(key)), key).to.be.instanceOf(InvalidKeyError);
    }
    expect(await rejection(collect(store.list('../')))).to.be.instanceOf(InvalidKeyError);
    expect(await collect(store.list('')), 'nothing was written').to.deep.equal([]);
  });

  it('verifyObject reads an object back and compares it with what was written', async () => {
    const info = await store.put('v/1', Buffer.from('verify me'));
    expect(await verifyObject(store, 'v/1', { sha256: info.sha256 ?? '', size: info.size })).to.include({
      ok: true,
    });
    expect(await verifyObject(store, 'v/1', { sha256: sha256Of('other') })).to.include({ ok: false });
  });

  it('streams a large object in and out without holding it in memory', async function () {
    this.timeout(300_000);
    if (options.warmUpBytes)
      await store.put('backups/warm-up.bin', new GeneratedContent(options.warmUpBytes));
    const source = new GeneratedContent(options.largeBytes);
    const { result: info, growthBytes: writeGrowth } = await peakRssGrowth(() =>
      store.put('backups/large.bin', source),
    );
    expect(info.size).to.equal(options.largeBytes);
    expect(info.sha256).to.equal(source.digest);
    await options.afterLarge?.(store, 'backups/large.bin');
    const { result: read, growthBytes: readGrowth } = await peakRssGrowth(() =>
      verifyObject(store, 'backups/large.bin', { sha256: source.digest, size: options.largeBytes }),
    );
    expect(read.ok).to.equal(true);
    console.log(
      `      [object store] ${options.largeBytes / MiB} MiB: peak RSS growth ${(writeGrowth / MiB).toFixed(1)} MiB writing, ${(readGrowth / MiB).toFixed(1)} MiB reading back`,
    );
    // Holding the object would cost at least its size; streaming costs a few parts.
    expect(writeGrowth, 'RSS growth while writing').to.be.below(options.largeBytes / 2);
    expect(readGrowth, 'RSS growth while reading').to.be.below(options.largeBytes / 2);
  });
}
