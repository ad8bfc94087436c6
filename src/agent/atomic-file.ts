/**
 * Atomic file replacement for files the gateway hot-reloads: it must see either the old file or
 * the new one, never a half-written one, even if the agent dies mid-write or the node loses power.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Writes a temporary file in the target's own folder (rename is atomic only within one file
 * system), syncs it, renames it over the target and syncs the folder so the rename is durable.
 * The temporary name starts with a dot so a watcher filtering on `.crt`/`.yaml` ignores it.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, mode: number): Promise<void> {
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const file = await open(temp, 'wx', mode);
  try {
    // chmod as well: the mode given to open is filtered by the umask, and a key must end up 0600
    // (and a certificate 0644) whatever umask the container runs with.
    await file.chmod(mode);
    await file.writeFile(data);
    await file.sync();
  } catch (error) {
    await file.close();
    await rm(temp, { force: true });
    throw error;
  }
  await file.close();
  try {
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await syncDirectory(dir);
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
