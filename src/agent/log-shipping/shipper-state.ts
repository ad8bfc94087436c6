/**
 * What the log shipper keeps on disk so a restart at any point neither loses nor duplicates a
 * line (docs/telemetry.md, "Restarts"):
 *
 *   STATE_DIR/state.json          stream id, next sequence number, the file position
 *   STATE_DIR/spool/<seq>.batch   each batch sent and not yet acknowledged, encoded
 *
 * A batch is committed by writing its spool file first and then state.json (the commit point),
 * whose position is just past the last line inside the batch; it is sent only after that. So
 * after a crash:
 * - a spool file numbered at or past `nextSequence` was never committed or sent: it is deleted,
 *   and its lines are read again from the saved position into a new batch of that number;
 * - a committed batch is resent with its own number, whether or not the worker stored it (a
 *   stored one is acknowledged as a duplicate);
 * - an acknowledged batch's file is deleted; if the agent dies first, the resend is a duplicate.
 * The stream id names the sequence space: a new one is started only when the state is lost.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../runtime/logger.js';
import { writeFileAtomic } from '../atomic-file.js';
import { isFilePosition, type FilePosition } from './file-position.js';

interface SavedState {
  readonly version: 1;
  readonly gateway: string;
  readonly stream: string;
  readonly nextSequence: number;
  readonly position: FilePosition | null;
}

const SPOOL_FILE = /^(\d{1,15})\.batch$/;

function isSavedState(value: unknown): value is SavedState {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    v.version === 1 &&
    typeof v.gateway === 'string' &&
    typeof v.stream === 'string' &&
    /^[A-Za-z0-9._:-]{1,128}$/.test(v.stream) &&
    typeof v.nextSequence === 'number' &&
    Number.isSafeInteger(v.nextSequence) &&
    v.nextSequence >= 1 &&
    (v.position === null || isFilePosition(v.position))
  );
}

export interface ShipperStateOptions {
  readonly dir: string;
  /** The gateway the batches are for; a state saved for another name is not reused. */
  readonly gateway: string;
  readonly logger: Logger;
  /** fsync each write (default true): survives a power loss, not only a crash. */
  readonly sync?: boolean;
}

export class ShipperState {
  private constructor(
    private readonly options: ShipperStateOptions,
    private saved: SavedState,
    /** Committed, unacknowledged batches by sequence. */
    readonly unacked: Map<number, Uint8Array>,
  ) {}

  static async open(options: ShipperStateOptions): Promise<ShipperState> {
    const { dir, gateway, logger } = options;
    const spool = join(dir, 'spool');
    await mkdir(spool, { recursive: true, mode: 0o700 });
    let saved = await readState(join(dir, 'state.json'), logger);
    if (saved && saved.gateway !== gateway) {
      logger.warn('the saved log-shipping state belongs to another gateway name; starting a new stream', {
        saved: saved.gateway,
        now: gateway,
      });
      saved = undefined;
    }
    const state: SavedState = saved ?? {
      version: 1,
      gateway,
      stream: randomBytes(12).toString('hex'),
      nextSequence: 1,
      position: null,
    };
    const unacked = new Map<number, Uint8Array>();
    for (const name of (await readdir(spool)).sort()) {
      const match = SPOOL_FILE.exec(name);
      const sequence = Number(match?.[1]);
      if (match && saved && sequence < state.nextSequence)
        unacked.set(sequence, await readFile(join(spool, name)));
      else await rm(join(spool, name), { force: true });
    }
    if (saved) {
      logger.info('resuming log shipping', {
        stream: state.stream,
        nextSequence: state.nextSequence,
        unacknowledged: unacked.size,
        offset: state.position?.offset ?? 0,
      });
    } else {
      logger.info('no saved log-shipping state: a new stream, reading the log from its start', {
        stream: state.stream,
      });
    }
    const shipperState = new ShipperState(options, state, new Map([...unacked].sort(([a], [b]) => a - b)));
    if (!saved) await shipperState.writeState(state);
    return shipperState;
  }

  get stream(): string {
    return this.saved.stream;
  }

  get nextSequence(): number {
    return this.saved.nextSequence;
  }

  /** Just past the last line inside a committed batch; undefined before the first. */
  get position(): FilePosition | undefined {
    return this.saved.position ?? undefined;
  }

  /**
   * Commits the next batch: `build` encodes it with its sequence number; it is spooled, then the
   * state moves to `position`. Resolves with what to send. On failure nothing is committed.
   */
  async commit(
    build: (sequence: number) => Uint8Array,
    position: FilePosition,
  ): Promise<[number, Uint8Array]> {
    const sequence = this.saved.nextSequence;
    const bytes = build(sequence);
    await this.write(this.spoolPath(sequence), bytes);
    const next: SavedState = { ...this.saved, nextSequence: sequence + 1, position };
    await this.writeState(next);
    this.saved = next;
    this.unacked.set(sequence, bytes);
    return [sequence, bytes];
  }

  /** The worker has the batch: forget it. */
  async acknowledge(sequence: number): Promise<void> {
    if (!this.unacked.delete(sequence)) return;
    await rm(this.spoolPath(sequence), { force: true });
  }

  private spoolPath(sequence: number): string {
    return join(this.options.dir, 'spool', `${sequence}.batch`);
  }

  private writeState(state: SavedState): Promise<void> {
    return this.write(join(this.options.dir, 'state.json'), `${JSON.stringify(state)}\n`);
  }

  private async write(path: string, data: string | Uint8Array): Promise<void> {
    if (this.options.sync ?? true) {
      await writeFileAtomic(path, data, 0o600);
      return;
    }
    const temp = `${path}.tmp`;
    await writeFile(temp, data, { mode: 0o600 });
    await rename(temp, path);
  }
}

async function readState(path: string, logger: Logger): Promise<SavedState | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const value: unknown = JSON.parse(text);
    if (isSavedState(value)) return value;
  } catch {
    // Reported below.
  }
  logger.error(
    'the saved log-shipping state is unreadable; starting a new stream from the start of the log',
    { path },
  );
  return undefined;
}
