/**
 * The embedded store: PGlite (PostgreSQL in WebAssembly) in a worker thread, its data in a
 * directory, behind the same {@link Database} interface as PostgreSQL. PGlite is one connection,
 * so queries take turns: a transaction or a session holds the turn until it ends.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { systemClock, type Clock } from '../runtime/clock.js';
import type { EmbeddedSettings } from './connection-settings.js';
import { DataDirLock } from './data-dir-lock.js';
import type { Database, Queryable, QueryResult, SqlParam } from './database.js';
import type {
  EmbeddedError,
  EmbeddedReply,
  EmbeddedRequest,
  EmbeddedStartup,
  EmbeddedWorkerData,
} from './embedded-protocol.js';

/** PostgreSQL's error, with its SQLSTATE, as node-postgres reports it too. */
export class EmbeddedQueryError extends Error {
  override readonly name = 'EmbeddedQueryError';
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

// tsx runs the sources (tests, demo), the image runs compiled JavaScript: from the sources the
// worker starts through a small bootstrap that registers tsx in its thread first.
const FROM_SOURCES = import.meta.url.endsWith('.ts');
const WORKER_URL = new URL(
  FROM_SOURCES ? './embedded-worker-from-sources.mjs' : './embedded-worker.js',
  import.meta.url,
);

function startWorker(workerData: EmbeddedWorkerData): Worker {
  return new Worker(WORKER_URL, { workerData });
}

export class EmbeddedDatabase implements Database {
  readonly kind = 'embedded';
  readonly description: string;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (reply: EmbeddedReply) => void }>();
  private turn: Promise<void> = Promise.resolve();
  private closed = false;
  private exitError: Error | undefined;
  private keepLockOnExit = false;

  private constructor(
    settings: EmbeddedSettings,
    private readonly worker: Worker,
    private readonly lock: DataDirLock,
  ) {
    this.description = settings.description;
    worker.on('message', (reply: EmbeddedReply) => {
      const waiter = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      waiter?.resolve(reply);
    });
    worker.on('exit', (code) => {
      this.exitError = new Error(`the embedded store's worker thread exited (code ${code})`);
      for (const [id, waiter] of this.pending) {
        waiter.resolve({ id, ok: false, error: { message: this.exitError.message } });
      }
      this.pending.clear();
      // A crashed thread frees the directory; a deliberate close decides for itself.
      if (!this.keepLockOnExit) this.lock.release();
    });
  }

  /** Creates the directory if needed, takes its lock and starts PGlite; resolves once it answers. */
  static async open(settings: EmbeddedSettings, clock: Clock = systemClock): Promise<EmbeddedDatabase> {
    mkdirSync(settings.dataDir, { recursive: true, mode: 0o700 });
    const lock = DataDirLock.acquire(settings.dataDir, clock);
    const workerData: EmbeddedWorkerData = { pgdataDir: join(settings.dataDir, 'pgdata') };
    if (!existsSync(workerData.pgdataDir)) {
      // Creating the data directory (initdb) grows the WebAssembly memory to about 750 MB, and
      // WebAssembly memory never shrinks: create it in a worker of its own, then start afresh.
      try {
        const creator = await EmbeddedDatabase.startWorker(workerData, settings);
        await new EmbeddedDatabase(settings, creator, lock).closeWorker();
      } catch (err) {
        lock.release();
        throw err;
      }
    }
    try {
      return new EmbeddedDatabase(settings, await EmbeddedDatabase.startWorker(workerData, settings), lock);
    } catch (err) {
      lock.release();
      throw err;
    }
  }

  private static async startWorker(
    workerData: EmbeddedWorkerData,
    settings: EmbeddedSettings,
  ): Promise<Worker> {
    const worker = startWorker(workerData);
    try {
      await new Promise<void>((resolve, reject) => {
        const onExit = (code: number): void =>
          reject(new Error(`the embedded store's worker thread exited (code ${code})`));
        worker.once('error', reject);
        worker.once('exit', onExit);
        worker.once('message', (startup: EmbeddedStartup) => {
          worker.off('error', reject);
          worker.off('exit', onExit);
          if (startup.ready) resolve();
          else reject(new Error(`PGlite could not open ${settings.dataDir}: ${startup.error.message}`));
        });
      });
    } catch (err) {
      await worker.terminate();
      throw err;
    }
    return worker;
  }

  query<R extends object>(sql: string, params: readonly SqlParam[] = []): Promise<QueryResult<R>> {
    return this.withTurn(() => this.send<R>(sql, params));
  }

  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.withTurn(async () => {
      const tx = this.direct();
      await tx.query('BEGIN');
      try {
        const result = await work(tx);
        await tx.query('COMMIT');
        return result;
      } catch (err) {
        await tx.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
  }

  session<T>(work: (session: Queryable) => Promise<T>): Promise<T> {
    return this.withTurn(() => work(this.direct()));
  }

  async close(): Promise<void> {
    await this.closeWorker();
    this.lock.release();
  }

  /** Shuts PGlite down cleanly and ends its thread, keeping the directory's lock. */
  private async closeWorker(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Waits for the turn so a transaction in flight ends before PGlite shuts down cleanly.
    await this.turn;
    if (!this.exitError) {
      const id = this.nextId++;
      const done = new Promise<EmbeddedReply>((resolve) => this.pending.set(id, { resolve }));
      this.worker.postMessage({ id, op: 'close' } satisfies EmbeddedRequest);
      await done;
      this.keepLockOnExit = true;
      await this.worker.terminate();
    }
  }

  private direct(): Queryable {
    return {
      query: <R extends object>(sql: string, params: readonly SqlParam[] = []) => this.send<R>(sql, params),
    };
  }

  private withTurn<T>(work: () => Promise<T>): Promise<T> {
    const result = this.turn.then(work);
    this.turn = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  private async send<R extends object>(sql: string, params: readonly SqlParam[]): Promise<QueryResult<R>> {
    if (this.exitError) throw this.exitError;
    const id = this.nextId++;
    const reply = await new Promise<EmbeddedReply>((resolve) => {
      this.pending.set(id, { resolve });
      this.worker.postMessage({ id, op: 'query', sql, params } satisfies EmbeddedRequest);
    });
    if (!reply.ok) throw toQueryError(reply.error);
    return { rows: reply.rows as R[], rowCount: reply.rowCount };
  }
}

function toQueryError(error: EmbeddedError): EmbeddedQueryError {
  return new EmbeddedQueryError(error.message, error.code);
}
