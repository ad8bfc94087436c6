/**
 * The store as an operator component: it connects and migrates in the background, so a database
 * that is down or misconfigured never stops the operator (certificates, WAF and routes go on)
 * and never turns into a crash loop. What is wrong is logged once, in one line, and shown by
 * /ready until it is fixed; a connection that breaks later is retried the same way.
 */
import { readFileSync } from 'node:fs';
import { Backoff } from '../runtime/backoff.js';
import { systemClock, type Clock, type Timer } from '../runtime/clock.js';
import type { Component } from '../runtime/component.js';
import type { Logger } from '../runtime/logger.js';
import {
  DatabaseSettingsError,
  storeSettings,
  type DatabaseConfig,
  type StoreSettings,
} from './connection-settings.js';
import { DataDirInUseError } from './data-dir-lock.js';
import type { Database } from './database.js';
import { EmbeddedDatabase } from './embedded-database.js';
import { describeDatabaseError } from './errors.js';
import { migrate, SchemaTooNewError } from './migrate.js';
import { PostgresDatabase } from './postgres-database.js';

const HEALTH_CHECK_MS = 10_000;
const STOP_WAIT_MS = 3_000;

export type OpenDatabase = (settings: StoreSettings, logger: Logger) => Promise<Database>;

export interface StoreOptions {
  readonly config: DatabaseConfig;
  readonly logger: Logger;
  readonly clock?: Clock;
  /** How a database is opened; tests substitute failures. */
  readonly open?: OpenDatabase;
  readonly retry?: { readonly initialMs: number; readonly maxMs: number };
}

/** Opens the database the settings describe and proves it answers. */
export const openDatabase: OpenDatabase = async (settings, logger) => {
  if (settings.kind === 'embedded') return EmbeddedDatabase.open(settings);
  const db = new PostgresDatabase(settings, logger);
  try {
    await db.query('SELECT 1');
  } catch (err) {
    await db.close().catch(() => undefined);
    throw err;
  }
  return db;
};

type Listener = (db: Database) => void;

export class Store implements Component {
  readonly name = 'database';
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly backoff: Backoff;
  private readonly aborter = new AbortController();
  private db: Database | undefined;
  private problem: string | undefined = 'connecting';
  private lastLogged: string | undefined;
  private timer: Timer | undefined;
  private connecting: Promise<void> | undefined;
  private readonly listeners = new Set<Listener>();
  private settings: StoreSettings | undefined;

  constructor(private readonly options: StoreOptions) {
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger.child({ component: 'database' });
    this.backoff = new Backoff({
      initialMs: options.retry?.initialMs ?? 1_000,
      maxMs: options.retry?.maxMs ?? 30_000,
      jitter: 0.2,
    });
  }

  /** Readiness: true once connected and migrated; otherwise what is wrong. */
  readonly readiness = (): true | string => this.problem ?? true;

  /** The database once connected and migrated. */
  get database(): Database | undefined {
    return this.problem === undefined ? this.db : undefined;
  }

  /** What /ready would say, for callers that must explain why they cannot answer. */
  get status(): string {
    return this.problem ?? 'ready';
  }

  get description(): string {
    return this.settings?.description ?? 'database';
  }

  /** Calls `listener` with the database now if ready, else once it is. */
  onReady(listener: Listener): () => void {
    this.listeners.add(listener);
    if (this.database) listener(this.database);
    return () => this.listeners.delete(listener);
  }

  /** Resolves with the database once ready; rejects when the store stops first. */
  ready(): Promise<Database> {
    const db = this.database;
    if (db) return Promise.resolve(db);
    return new Promise((resolve, reject) => {
      const unsubscribe = this.onReady((ready) => {
        unsubscribe();
        resolve(ready);
      });
      this.aborter.signal.addEventListener('abort', () => {
        unsubscribe();
        reject(new Error('the database store stopped'));
      });
    });
  }

  start(): Promise<void> {
    try {
      this.settings = storeSettings(this.options.config, (path) => readFileSync(path, 'utf8'));
    } catch (err) {
      if (!(err instanceof DatabaseSettingsError)) throw err;
      this.fail(`invalid configuration: ${err.message}`, false);
      return Promise.resolve();
    }
    this.logger.info('opening the database', {
      database: this.settings.description,
      kind: this.settings.kind,
    });
    this.connecting = this.connect(this.settings);
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    this.aborter.abort();
    this.timer?.cancel();
    // Opening the embedded store the first time can take longer than a shutdown may: a late
    // open sees the abort and closes what it opened by itself.
    await Promise.race([
      this.connecting,
      new Promise((resolve) => setTimeout(resolve, STOP_WAIT_MS).unref()),
    ]);
    const db = this.db;
    this.db = undefined;
    this.problem = 'stopped';
    await db?.close().catch((err: unknown) => {
      this.logger.warn('closing the database failed', { error: describeDatabaseError(err) });
    });
  }

  /** A getter, so the compiler does not assume it stays false across an await. */
  private get stopping(): boolean {
    return this.aborter.signal.aborted;
  }

  private async connect(settings: StoreSettings): Promise<void> {
    if (this.aborter.signal.aborted) return;
    const open = this.options.open ?? openDatabase;
    let db: Database | undefined;
    try {
      db = await open(settings, this.logger);
      if (this.stopping) {
        await db.close();
        return;
      }
      const result = await migrate(db, {
        schema: settings.schema,
        logger: this.logger,
        clock: this.clock,
        signal: this.aborter.signal,
      });
      this.db = db;
      this.problem = undefined;
      this.lastLogged = undefined;
      this.backoff.reset();
      this.logger.info('database ready', {
        database: settings.description,
        schema: settings.schema,
        schemaVersion: result.to,
        migrated: result.applied,
      });
      for (const listener of [...this.listeners]) listener(db);
      this.scheduleHealthCheck(db);
    } catch (err) {
      await db?.close().catch(() => undefined);
      if (this.stopping) return;
      if (err instanceof SchemaTooNewError) {
        this.fail(err.message, false);
        return;
      }
      const lockHeld = err instanceof DataDirInUseError;
      const reason = `${lockHeld ? '' : `cannot use ${settings.description}: `}${describeDatabaseError(err)}`;
      this.retryLater(settings, reason);
    }
  }

  private retryLater(settings: StoreSettings, reason: string): void {
    const delay = this.backoff.next();
    this.fail(`${reason}; retrying in ${Math.ceil(delay / 1000)} s`, true, reason);
    this.timer = this.clock.setTimer(delay, () => {
      this.connecting = this.connect(settings);
    });
  }

  /** Records the problem for /ready, logging it once per distinct cause rather than per retry. */
  private fail(message: string, retrying: boolean, cause = message): void {
    this.problem = message;
    if (this.lastLogged === cause) return;
    this.lastLogged = cause;
    this.logger.error(`database not available: ${message}`, { retrying });
  }

  /** A ping now and then, so /ready notices a database that went away after start. */
  private scheduleHealthCheck(db: Database): void {
    this.timer = this.clock.setTimer(HEALTH_CHECK_MS, () => {
      this.connecting = db.query('SELECT 1').then(
        () => {
          if (this.problem !== undefined && this.db === db) {
            this.logger.info('database reachable again', { database: db.description });
            this.problem = undefined;
            this.lastLogged = undefined;
          }
          if (!this.aborter.signal.aborted) this.scheduleHealthCheck(db);
        },
        (err: unknown) => {
          if (this.aborter.signal.aborted) return;
          // The pool reconnects by itself: keep it, report, and look again sooner.
          this.problem = `${db.description} stopped answering: ${describeDatabaseError(err)}`;
          if (this.lastLogged !== this.problem) {
            this.lastLogged = this.problem;
            this.logger.error(`database not available: ${this.problem}`, { retrying: true });
          }
          this.scheduleHealthCheck(db);
        },
      );
    });
  }
}
