/**
 * Objects as files under a root directory (a volume). A write goes to a temp file in the same
 * file system, is fsynced, and is renamed into place, so a reader sees the old object or the
 * new one, never half of one; a crash leaves only a temp file, swept on a later write. Keys are
 * checked so none can reach outside the root. Manifests live under `.meta/`, temp files under
 * `.tmp/`; keys never start with a dot, so neither can be mistaken for an object.
 */
import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import {
  access,
  constants,
  mkdir,
  open,
  readFile,
  readdir,
  rename,
  rmdir,
  stat,
  unlink,
} from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import { systemClock, type Clock } from '../runtime/clock.js';
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

const TMP = '.tmp';
const META = '.meta';
/** A temp file older than this was left by a crash, not by a write still running. */
const STALE_TEMP_MS = 24 * 3600 * 1000;

export class DirectoryObjectStore implements ObjectStore {
  readonly location: string;
  private readonly root: string;
  private swept = false;

  constructor(
    root: string,
    private readonly clock: Clock = systemClock,
  ) {
    this.root = resolve(root);
    this.location = pathToFileURL(this.root).href;
  }

  async put(key: string, body: Body, options: PutOptions = {}): Promise<ObjectInfo> {
    const target = this.pathOf(key);
    await mkdir(join(this.root, TMP), { recursive: true });
    if (!this.swept) await this.sweepTemp();
    const temp = join(this.root, TMP, `${randomUUID()}.part`);
    const digest = new DigestingStream(key, options.sha256);
    try {
      await pipeline(toReadable(body), digest, createWriteStream(temp, { flags: 'wx', mode: 0o640 }));
      await syncPath(temp);
      await this.renameInto(temp, target, key);
      await syncPath(dirname(target));
    } catch (error) {
      await unlink(temp).catch(() => undefined);
      throw error;
    }
    const stored = await stat(target);
    if (stored.size !== digest.bytes)
      throw new Error(`object ${key}: stored ${stored.size} bytes, sent ${digest.bytes}`);
    const manifest: Manifest = { size: stored.size, sha256: digest.sha256, version: String(stored.mtimeMs) };
    await this.writeManifest(key, manifest);
    return { key, size: stored.size, lastModified: stored.mtime, sha256: digest.sha256 };
  }

  async get(key: string): Promise<Readable> {
    const path = this.pathOf(key);
    // A folder of objects is not an object.
    const found = await stat(path).catch(() => undefined);
    if (!found?.isFile()) throw new ObjectNotFoundError(key);
    const stream = createReadStream(path);
    await new Promise<void>((resolveOpen, reject) => {
      const onError = (error: NodeJS.ErrnoException): void => {
        reject(isMissing(error) ? new ObjectNotFoundError(key) : error);
      };
      stream.once('error', onError).once('open', () => {
        stream.off('error', onError);
        resolveOpen();
      });
    });
    return stream;
  }

  async stat(key: string): Promise<ObjectInfo | undefined> {
    const path = this.pathOf(key);
    const found = await stat(path).catch((error: unknown) => {
      if (isMissing(error)) return undefined;
      throw error;
    });
    if (!found?.isFile()) return undefined;
    const manifest = parseManifest(
      await readFile(this.manifestPath(key), 'utf8').catch((error: unknown) => {
        if (isMissing(error)) return '';
        throw error;
      }),
    );
    // A manifest describes one write; after anything else rewrote the file it no longer applies.
    const current = manifest?.size === found.size && manifest.version === String(found.mtimeMs);
    return {
      key,
      size: found.size,
      lastModified: found.mtime,
      ...(current ? { sha256: manifest.sha256 } : {}),
    };
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    checkPrefix(prefix);
    // Walk from the deepest folder the prefix names in full; filter the rest by name.
    const cut = prefix.lastIndexOf('/');
    const base = cut < 0 ? '' : prefix.slice(0, cut);
    yield* this.walk(base, prefix);
  }

  async delete(key: string): Promise<void> {
    const path = this.pathOf(key);
    await unlink(this.manifestPath(key)).catch(ignoreMissing);
    await unlink(path).catch(ignoreMissing);
    await this.pruneEmpty(dirname(path), this.root);
    await this.pruneEmpty(dirname(this.manifestPath(key)), join(this.root, META));
  }

  async check(): Promise<void> {
    await mkdir(join(this.root, TMP), { recursive: true });
    await access(join(this.root, TMP), constants.W_OK);
  }

  close(): void {
    // Nothing held open between calls.
  }

  private pathOf(key: string): string {
    checkKey(key);
    const path = resolve(this.root, key);
    // Belt and braces: checkKey already refuses every segment that could climb out.
    const rel = relative(this.root, path);
    if (rel === '' || rel.startsWith('..') || rel.startsWith(sep))
      throw new Error(`object key ${key} leaves the store`);
    return path;
  }

  private manifestPath(key: string): string {
    return join(this.root, META, `${key}.json`);
  }

  private async renameInto(temp: string, target: string, key: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      await mkdir(dirname(target), { recursive: true }).catch((error: unknown) => {
        throw conflict(error, key);
      });
      try {
        await rename(temp, target);
        return;
      } catch (error) {
        // A concurrent delete may prune the folder between mkdir and rename: make it again once.
        if (attempt === 0 && isMissing(error)) continue;
        throw conflict(error, key);
      }
    }
  }

  private async writeManifest(key: string, manifest: Manifest): Promise<void> {
    const path = this.manifestPath(key);
    await mkdir(dirname(path), { recursive: true });
    const temp = join(this.root, TMP, `${randomUUID()}.meta`);
    const file = await open(temp, 'wx', 0o640);
    try {
      await file.writeFile(JSON.stringify(manifest));
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, path).catch(async (error: unknown) => {
      await unlink(temp).catch(() => undefined);
      throw error;
    });
  }

  private async *walk(dir: string, prefix: string): AsyncIterable<ObjectInfo> {
    const entries = await readdir(join(this.root, dir), { withFileTypes: true }).catch((error: unknown) => {
      if (isMissing(error) || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return [];
      throw error;
    });
    const names = entries
      .filter((e) => !e.name.startsWith('.'))
      .map((e) => ({ entry: e, key: dir ? `${dir}/${e.name}` : e.name }));
    // S3 lists in key order; 'a/b' sorts by its full key, so compare keys as the folder's children would appear.
    names.sort((a, b) =>
      compareKeys(a.entry.isDirectory() ? `${a.key}/` : a.key, b.entry.isDirectory() ? `${b.key}/` : b.key),
    );
    for (const { entry, key } of names) {
      if (entry.isDirectory()) {
        const asFolder = `${key}/`;
        if (asFolder.startsWith(prefix) || prefix.startsWith(asFolder)) yield* this.walk(key, prefix);
      } else if (entry.isFile() && key.startsWith(prefix)) {
        const info = await stat(join(this.root, key)).catch(() => undefined);
        if (info) yield { key, size: info.size, lastModified: info.mtime };
      }
    }
  }

  private async pruneEmpty(dir: string, stopAt: string): Promise<void> {
    let current = dir;
    while (current.startsWith(stopAt + sep)) {
      try {
        await rmdir(current);
      } catch {
        return; // not empty, or gone: either way, done
      }
      current = dirname(current);
    }
  }

  private async sweepTemp(): Promise<void> {
    this.swept = true;
    const dir = join(this.root, TMP);
    const now = this.clock.now();
    for (const name of await readdir(dir).catch(() => [])) {
      const path = join(dir, name);
      const info = await stat(path).catch(() => undefined);
      if (info && now - info.mtimeMs > STALE_TEMP_MS) await unlink(path).catch(() => undefined);
    }
  }
}

/** fsync by path: the data of a file, or a folder's entries after a rename. */
async function syncPath(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

function ignoreMissing(error: unknown): void {
  if (!isMissing(error)) throw error;
}

function conflict(error: unknown, key: string): Error {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOTDIR' || code === 'EEXIST' || code === 'EISDIR')
    return new Error(
      `object ${key} cannot be stored in a directory store: a part of its path is already an object, or it is already a folder of objects`,
    );
  return error instanceof Error ? error : new Error(String(error));
}
