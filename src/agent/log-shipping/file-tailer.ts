/**
 * Follows the gateway's log file by path, line by line, with the position just past each line,
 * through the two ways logs rotate:
 *
 * - **rename** (logrotate's default, the gateway reopening its file): once the path names a new
 *   file that has data — so the writer has moved on — the old one is read to its end and then
 *   left for the new one, read from its start;
 * - **truncate** (copytruncate): a file shorter than what was read, or whose first line changed,
 *   is read again from its start.
 *
 * A saved position resumes where the last run stopped: in the same file, or in the renamed file
 * found by its inode and first-line fingerprint in the same folder, then on to the new one. A
 * line without its newline is not returned until the newline arrives; one longer than the limit
 * is skipped and returned as `undefined` text (the caller counts it as malformed).
 */
import { open, readdir, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Logger } from '../../runtime/logger.js';
import {
  fingerprintOf,
  FINGERPRINT_MAX_BYTES,
  sameFile,
  startsLike,
  type FileIdentity,
  type FilePosition,
} from './file-position.js';

export interface TailedLine {
  /** The line without its newline (and a trailing \r); undefined when it was over the limit. */
  readonly text: string | undefined;
  /** Just past the line's newline. */
  readonly position: FilePosition;
}

interface OpenFile {
  readonly handle: FileHandle;
  readonly dev: number;
  readonly ino: number;
  identity: FileIdentity | undefined;
  /** Just past the last complete line returned. */
  offset: number;
  /** Where the next read starts: offset plus the bytes of an unfinished line. */
  readPos: number;
  pending: Buffer[];
  pendingBytes: number;
  /** Inside a line longer than the limit, discarding until its newline. */
  skipping: boolean;
  /** The file's first bytes as read, until its identity is known. */
  head: Buffer;
}

export interface FileTailerOptions {
  readonly path: string;
  readonly maxLineBytes: number;
  readonly logger: Logger;
  /** Bytes read per call (default 256 KiB). */
  readonly chunkBytes?: number;
}

const NEWLINE = 0x0a;

function isNotFound(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === 'ENOENT';
}

export class FileTailer {
  private current: OpenFile | undefined;
  private readonly buffer: Buffer;

  constructor(private readonly options: FileTailerOptions) {
    this.buffer = Buffer.alloc(options.chunkBytes ?? 256 * 1024);
  }

  /** Where the tailer reads now (for logs and tests). */
  get file(): { dev: number; ino: number; offset: number } | undefined {
    const c = this.current;
    return c ? { dev: c.dev, ino: c.ino, offset: c.offset } : undefined;
  }

  /** Opens at a saved position, or at the start of the path's file when there is none. */
  async open(saved: FilePosition | undefined): Promise<void> {
    await this.close();
    if (!saved) {
      await this.openPath();
      return;
    }
    const found = await this.findSaved(saved);
    if (found) {
      this.current = found;
      return;
    }
    this.options.logger.warn(
      'the log file of the saved position is gone (rotated away and deleted, or truncated); reading the log from its start. ' +
        'Lines written to the old file after the saved position were not shipped',
      { path: this.options.path, inode: saved.file.ino, offset: saved.offset },
    );
    await this.openPath();
  }

  async close(): Promise<void> {
    const c = this.current;
    this.current = undefined;
    await c?.handle.close().catch(() => undefined);
  }

  /** The complete lines available now; [] when there are none yet. */
  async read(): Promise<TailedLine[]> {
    if (!this.current) await this.openPath();
    const file = this.current;
    if (!file) return [];
    const { bytesRead } = await file.handle.read(this.buffer, 0, this.buffer.length, file.readPos);
    if (bytesRead > 0) return this.lines(file, this.buffer.subarray(0, bytesRead));
    return this.atEnd(file);
  }

  private async openPath(): Promise<void> {
    let handle: FileHandle;
    try {
      handle = await open(this.options.path, 'r');
    } catch (error) {
      if (isNotFound(error)) return;
      throw error;
    }
    const st = await handle.stat();
    this.current = fresh(handle, st.dev, st.ino);
  }

  private async findSaved(saved: FilePosition): Promise<OpenFile | undefined> {
    const { path } = this.options;
    const candidates = [path];
    try {
      for (const name of await readdir(dirname(path))) {
        if (name !== basename(path)) candidates.push(join(dirname(path), name));
      }
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    for (const candidate of candidates) {
      const st = await stat(candidate).catch(() => undefined);
      if (!st?.isFile() || !sameFile(saved.file, st) || st.size < saved.offset) continue;
      const handle = await open(candidate, 'r');
      if (await startsLike(handle, saved.file)) {
        if (candidate !== path) {
          this.options.logger.info('resuming in the rotated log file, then the new one', { file: candidate });
        }
        return {
          ...fresh(handle, st.dev, st.ino),
          identity: saved.file,
          offset: saved.offset,
          readPos: saved.offset,
        };
      }
      await handle.close();
    }
    return undefined;
  }

  private lines(file: OpenFile, chunk: Buffer): TailedLine[] {
    if (!file.identity && file.readPos < FINGERPRINT_MAX_BYTES) {
      const wanted = FINGERPRINT_MAX_BYTES - file.readPos;
      file.head = Buffer.concat([file.head, chunk.subarray(0, wanted)]);
    }
    const raw: { text: string | undefined; end: number }[] = [];
    let start = 0;
    for (let nl = chunk.indexOf(NEWLINE); nl !== -1; nl = chunk.indexOf(NEWLINE, start)) {
      const end = file.readPos + nl + 1;
      if (file.skipping) {
        raw.push({ text: undefined, end });
        file.skipping = false;
      } else {
        const piece = chunk.subarray(start, nl);
        const bytes = file.pendingBytes === 0 ? piece : Buffer.concat([...file.pending, piece]);
        raw.push(
          bytes.length > this.options.maxLineBytes
            ? { text: undefined, end }
            : { text: lineText(bytes), end },
        );
      }
      file.pending = [];
      file.pendingBytes = 0;
      file.offset = end;
      start = nl + 1;
    }
    const rest = chunk.subarray(start);
    if (!file.skipping && rest.length > 0) {
      // The read buffer is reused: keep a copy of an unfinished line.
      file.pending.push(Buffer.from(rest));
      file.pendingBytes += rest.length;
      if (file.pendingBytes > this.options.maxLineBytes) {
        file.skipping = true;
        file.pending = [];
        file.pendingBytes = 0;
      }
    }
    file.readPos += chunk.length;
    return raw.length === 0 ? [] : this.positioned(file, raw);
  }

  /** Positions need the file's identity, known once its first line is complete. */
  private positioned(file: OpenFile, raw: { text: string | undefined; end: number }[]): TailedLine[] {
    const first = raw[0];
    if (!first) return [];
    if (!file.identity) {
      // Only a file read from its start has no identity: its first line is the first returned.
      const bytes = file.head.subarray(0, Math.min(first.end, FINGERPRINT_MAX_BYTES));
      file.identity = {
        dev: file.dev,
        ino: file.ino,
        fingerprintBytes: bytes.length,
        fingerprint: fingerprintOf(bytes),
      };
      file.head = Buffer.alloc(0);
    }
    const identity = file.identity;
    return raw.map(({ text, end }) => ({ text, position: { file: identity, offset: end } }));
  }

  private async atEnd(file: OpenFile): Promise<TailedLine[]> {
    const { path, logger } = this.options;
    const size = (await file.handle.stat()).size;
    if (size < file.readPos || (file.identity && !(await startsLike(file.handle, file.identity)))) {
      logger.info('the log file was truncated or rewritten; reading it from its start', {
        path,
        readTo: file.readPos,
      });
      this.current = fresh(file.handle, file.dev, file.ino);
      return [];
    }
    const st = await stat(path).catch((error: unknown) => {
      if (isNotFound(error)) return undefined;
      throw error;
    });
    // The path names another file, which has data: the writer has moved on, so once a last read
    // finds nothing more in the old file, nothing more will come to it.
    if (!st || (st.dev === file.dev && st.ino === file.ino) || st.size === 0) return [];
    const { bytesRead } = await file.handle.read(this.buffer, 0, this.buffer.length, file.readPos);
    if (bytesRead > 0) return this.lines(file, this.buffer.subarray(0, bytesRead));
    const last = this.unfinished(file);
    logger.info('the log file was rotated; reading the new one', {
      path,
      previousInode: file.ino,
      newInode: st.ino,
    });
    await file.handle.close();
    this.current = undefined;
    await this.openPath();
    return last;
  }

  /** A last line the writer never finished (no newline) before the file was rotated away. */
  private unfinished(file: OpenFile): TailedLine[] {
    if (file.skipping || file.pendingBytes > 0) {
      const text = file.skipping ? undefined : lineText(Buffer.concat(file.pending));
      return this.positioned(file, [{ text, end: file.readPos }]);
    }
    return [];
  }
}

function fresh(handle: FileHandle, dev: number, ino: number): OpenFile {
  return {
    handle,
    dev,
    ino,
    identity: undefined,
    offset: 0,
    readPos: 0,
    pending: [],
    pendingBytes: 0,
    skipping: false,
    head: Buffer.alloc(0),
  };
}

function lineText(bytes: Buffer): string {
  const end = bytes.length > 0 && bytes[bytes.length - 1] === 0x0d ? bytes.length - 1 : bytes.length;
  return bytes.toString('utf8', 0, end);
}
