import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { FakeClock } from '../runtime/clock.js';
import {
  collect,
  MiB,
  objectStoreContract,
  readAll,
  sha256Of,
} from '../../test/support/object-store-contract.js';
import { DirectoryObjectStore } from './object-store-directory.js';

describe('object storage in a directory (a volume)', () => {
  const roots: string[] = [];
  const newRoot = (): string => {
    const root = mkdtempSync(join(tmpdir(), 'gateway-worker-objects-'));
    roots.push(root);
    return join(root, 'archive');
  };
  after(() => {
    for (const root of roots) rmSync(root, { recursive: true, force: true });
  });

  describe('the object store contract', () => {
    objectStoreContract({
      open: () => Promise.resolve(new DirectoryObjectStore(newRoot())),
      leftovers: (store) => {
        const tmp = join(new URL(store.location).pathname, '.tmp');
        return Promise.resolve(existsSync(tmp) ? readdirSync(tmp) : []);
      },
      largeBytes: 96 * MiB,
    });
  });

  it('keeps objects as plain files under the root, manifests under .meta/', async () => {
    const root = newRoot();
    const store = new DirectoryObjectStore(root);
    await store.put('backups/db.dump', Buffer.from('dump'));
    expect(store.location).to.equal(`file://${root}`);
    expect(readdirSync(join(root, 'backups'))).to.deep.equal(['db.dump']);
    expect(readdirSync(join(root, '.meta', 'backups'))).to.deep.equal(['db.dump.json']);
    expect(readdirSync(join(root, '.tmp'))).to.deep.equal([]);
  });

  it('reports no checksum for a file changed behind its back', async () => {
    const root = newRoot();
    const store = new DirectoryObjectStore(root);
    await store.put('a', Buffer.from('written by the store'));
    writeFileSync(join(root, 'a'), 'edited by hand');
    const stat = await store.stat('a');
    expect(stat).to.include({ size: 14 });
    expect(stat?.sha256).to.equal(undefined);
  });

  it('lists files put there by hand, skipping dot folders and files', async () => {
    const root = newRoot();
    const store = new DirectoryObjectStore(root);
    mkdirSync(join(root, 'manual', '.cache'), { recursive: true });
    writeFileSync(join(root, 'manual', 'b.txt'), 'bb');
    writeFileSync(join(root, 'manual', '.hidden'), 'h');
    writeFileSync(join(root, 'manual', '.cache', 'c'), 'c');
    expect((await collect(store.list(''))).map((o) => [o.key, o.size])).to.deep.equal([['manual/b.txt', 2]]);
    expect((await readAll(await store.get('manual/b.txt'))).toString()).to.equal('bb');
  });

  it('prunes folders a delete leaves empty, but not the root', async () => {
    const root = newRoot();
    const store = new DirectoryObjectStore(root);
    await store.put('x/y/z', Buffer.from('1'));
    await store.delete('x/y/z');
    expect(readdirSync(root).sort()).to.deep.equal(['.meta', '.tmp']);
    expect(readdirSync(join(root, '.meta'))).to.deep.equal([]);
  });

  it('says clearly when a key needs a folder where an object is', async () => {
    const store = new DirectoryObjectStore(newRoot());
    await store.put('a', Buffer.from('file'));
    const refused = await store.put('a/b', Buffer.from('x')).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(String(refused)).to.include('cannot be stored in a directory store');
    const folder = await store.get('a/b').then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(String(folder)).to.include('no object a/b');
  });

  it('sweeps temp files a crash left behind a day ago, not those of writes in progress', async () => {
    const root = newRoot();
    const clock = new FakeClock(Date.now());
    mkdirSync(join(root, '.tmp'), { recursive: true });
    const stale = join(root, '.tmp', 'crashed.part');
    const fresh = join(root, '.tmp', 'writing.part');
    writeFileSync(stale, 'half');
    writeFileSync(fresh, 'half');
    const dayAgo = new Date(clock.now() - 25 * 3600_000);
    utimesSync(stale, dayAgo, dayAgo);
    const store = new DirectoryObjectStore(root, clock);
    await store.put('k', Buffer.from('v'));
    expect(readdirSync(join(root, '.tmp'))).to.deep.equal(['writing.part']);
  });

  it('check() creates the root and proves it writable, or says why not', async () => {
    const root = newRoot();
    await new DirectoryObjectStore(root).check();
    expect(existsSync(join(root, '.tmp'))).to.equal(true);
    writeFileSync(join(root, 'file'), 'x');
    const refused = await new DirectoryObjectStore(join(root, 'file', 'below')).check().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(String(refused)).to.match(/ENOTDIR|not a directory/);
  });

  it('readers see the old object or the new one, never a part', async () => {
    const store = new DirectoryObjectStore(newRoot());
    const v1 = Buffer.alloc(4 * MiB, 1);
    const v2 = Buffer.alloc(4 * MiB, 2);
    await store.put('swap', v1);
    const state = { done: false };
    const writing = store.put('swap', v2).finally(() => (state.done = true));
    const whole = [sha256Of(v1), sha256Of(v2)];
    let reads = 0;
    do {
      expect(whole).to.include(sha256Of(await readAll(await store.get('swap'))));
      reads += 1;
    } while (!state.done);
    await writing;
    expect(reads).to.be.greaterThan(0);
    expect(await store.stat('swap')).to.include({ sha256: sha256Of(v2) });
  });
});
