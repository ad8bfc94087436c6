/**
 * Applies migration files to the gateway's database: under an advisory lock (one runner at a
 * time, whoever it is), reads the history, plans (src/domain/dbops), then runs each file — in a
 * transaction unless it declares itself non-transactional — and records it in the history in
 * that same transaction. A failing statement rolls its file back, stops the run (later files are
 * not applied) and is reported with its file, position, text and the server's error.
 */
import { performance } from 'node:perf_hooks';
import {
  clip,
  parseMigrations,
  planMigrations,
  type MigrationFile,
  type MigrationPlan,
  type SourceFile,
} from '../../domain/dbops/index.js';
import type { Logger } from '../../runtime/logger.js';
import { takeLock } from '../connection/advisory-lock.js';
import type { GatewayClient } from '../connection/client.js';
import { connectionError, describeServerError, isStatementError } from '../connection/errors.js';
import { OperationError } from '../operation-error.js';
import { ensureHistoryTable, historyName, readHistory, recordHistory, type HistoryTable } from './history.js';

export interface MigrateOptions {
  readonly history: HistoryTable;
  readonly allowOutOfOrder: boolean;
  readonly targetVersion?: string;
  /** Recorded with each file: which resource and job applied it. */
  readonly appliedBy: string;
  /** How long to wait for another runner to finish. */
  readonly lockWaitMs: number;
  readonly signal?: AbortSignal;
  readonly logger: Logger;
  /** Called after each file is committed (audit, metrics). */
  readonly onFile?: (file: MigrationFile, ms: number) => void;
}

export interface MigrateResult {
  /** The plan as it stood once the lock was held. */
  readonly plan: MigrationPlan;
  readonly applied: readonly MigrationFile[];
  readonly undone: readonly MigrationFile[];
  readonly appliedVersion: string | undefined;
  /** Whether another runner held the lock first. */
  readonly waited: boolean;
}

/** The failure a status shows: which file, which statement, the server's words. */
export interface MigrationFailure {
  readonly file: string;
  readonly statement: number;
  readonly line: number;
  readonly sql: string;
  readonly error: string;
}

const SQL_SHOWN = 1000;
const ERROR_SHOWN = 2000;

export function lockName(h: HistoryTable): string {
  return `migrations:${historyName(h)}`;
}

/** Reads and plans without the lock and without creating anything (`db plan`). */
export async function planOnly(
  client: GatewayClient,
  files: readonly SourceFile[],
  options: Pick<MigrateOptions, 'history' | 'allowOutOfOrder' | 'targetVersion'>,
): Promise<MigrationPlan> {
  return planMigrations(parseMigrations(files), await readHistory(client, options.history), options);
}

export async function runMigrations(
  client: GatewayClient,
  files: readonly SourceFile[],
  options: MigrateOptions,
): Promise<MigrateResult> {
  const parsed = parseMigrations(files);
  let waited = false;
  const lock = await takeLock(client, lockName(options.history), {
    waitMs: options.lockWaitMs,
    signal: options.signal,
    onWait: () => {
      waited = true;
      options.logger.info('another runner is migrating this database; waiting for it', {
        history: historyName(options.history),
      });
    },
  });
  if (!lock)
    throw new OperationError(
      'LockTimeout',
      `another runner kept the migration lock of ${historyName(options.history)} for ${Math.round(options.lockWaitMs / 1000)} s; trying again later`,
      false,
    );
  try {
    await ensureHistoryTable(client, options.history);
    const plan = planMigrations(parsed, await readHistory(client, options.history), options);
    if (plan.blocked)
      throw new OperationError(plan.blocked.reason, plan.blocked.message, true, {
        drift: plan.drift,
        plan: summary(plan),
      });
    const undone: MigrationFile[] = [];
    for (const file of plan.undo) {
      await runFile(client, file, options);
      undone.push(file);
    }
    const applied: MigrationFile[] = [];
    for (const file of plan.apply) {
      try {
        await runFile(client, file, options);
      } catch (err) {
        if (err instanceof OperationError)
          throw new OperationError(err.reason, err.message, err.permanent, {
            ...err.detail,
            applied: applied.map((f) => f.version),
            plan: summary(plan),
          });
        throw err;
      }
      applied.push(file);
    }
    const after = await readHistory(client, options.history);
    const appliedVersion = planMigrations(parsed, after, options).currentVersion;
    return { plan, applied, undone, appliedVersion, waited };
  } finally {
    await lock.release();
  }
}

function summary(plan: MigrationPlan): Record<string, unknown> {
  return {
    currentVersion: plan.currentVersion,
    latestVersion: plan.latestVersion,
    applied: plan.applied.length,
    pending: plan.apply.length,
  };
}

async function runFile(client: GatewayClient, file: MigrationFile, options: MigrateOptions): Promise<void> {
  const started = performance.now();
  const transactional = file.transactional;
  let current = 0;
  if (transactional) await client.query('BEGIN');
  try {
    for (const statement of file.statements) {
      current = statement.index;
      options.signal?.throwIfAborted();
      await client.query(statement.text);
    }
    current = 0;
    await recordHistory(client, options.history, file, performance.now() - started, options.appliedBy);
    if (transactional) await client.query('COMMIT');
  } catch (err) {
    if (transactional) await client.query('ROLLBACK').catch(() => undefined);
    // A broken connection or an abort is not the file's fault: the job retries it later.
    if (options.signal?.aborted) throw err;
    if (!isStatementError(err)) throw connectionError(err, client.params);
    const statement = file.statements.find((s) => s.index === current);
    const error = clip(describeServerError(err), ERROR_SHOWN);
    const failure: MigrationFailure = {
      file: file.name,
      statement: statement?.index ?? 0,
      line: statement?.line ?? 0,
      sql: clip(statement?.text ?? '', SQL_SHOWN),
      error,
    };
    const where = statement
      ? `statement ${statement.index} (line ${statement.line}: ${clip(statement.text, 200)})`
      : 'recording it in the history';
    const kept = transactional
      ? 'the file was rolled back and nothing of it was kept'
      : `the file runs outside a transaction, so statements before ${statement ? statement.index : 'it'} stay applied; it runs again whole next time`;
    const verb = file.type === 'undo' ? 'undo file' : 'migration';
    throw new OperationError(
      'MigrationFailed',
      `${verb} ${file.name} (${file.source}) failed at ${where}: ${error}. ${kept[0]?.toUpperCase() ?? ''}${kept.slice(1)}; later files were not applied`,
      true,
      { failure },
    );
  }
  const ms = performance.now() - started;
  options.logger.info(file.type === 'undo' ? 'migration undone' : 'migration applied', {
    file: file.name,
    version: file.version,
    ms: Math.round(ms),
  });
  options.onFile?.(file, ms);
}
