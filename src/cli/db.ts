/**
 * `gateway-worker db plan|repair|backups|restore`: the database operations from a terminal.
 * Flags, the cluster or the URL, and printing only; the work is src/dbops's. A migration is named
 * either by its DatabaseMigration (the cluster's files and connection, with KUBECONFIG) or by a
 * folder and a URL (CI, a laptop). Exit codes: 0 done, 1 failed or blocked, 2 bad input.
 */
import { readFileSync } from 'node:fs';
import { ConfigError, loadConfig } from '../config/index.js';
import { DatabaseMigrationResource, type DatabaseMigration } from '../api/v1alpha1/index.js';
import {
  PASSPHRASE_ENV,
  UsageError,
  defaultKubeConfig,
  parseFlags,
  readPassphrase,
  type ParsedFlags,
} from '../backup/cli-support.js';
import { findManifest, manifestsInStore } from '../dbops/backup/catalog.js';
import { countRows } from '../dbops/backup/dump.js';
import { pgTools } from '../dbops/backup/pg-tools.js';
import { restoreBackup } from '../dbops/backup/restore.js';
import { takeLock } from '../dbops/connection/advisory-lock.js';
import { withClient } from '../dbops/connection/client.js';
import type { ConnectionParams } from '../dbops/connection/connection-params.js';
import { DatabaseUrlError, databaseUrl } from '../dbops/connection/url.js';
import { historyName, readHistory, repairChecksum, type HistoryTable } from '../dbops/migrations/history.js';
import { lockName, planOnly } from '../dbops/migrations/runner.js';
import { configMapFiles, directoryFiles } from '../dbops/migrations/sources.js';
import { OperationError } from '../dbops/operation-error.js';
import { readResource, resolveConnection } from '../dbops/resources.js';
import {
  compareRowCounts,
  describeMismatches,
  humanBytes,
  isBackupId,
  parseMigrations,
  planMigrations,
  type MigrationPlan,
  type SourceFile,
} from '../domain/dbops/index.js';
import { KubeClient } from '../runtime/kube/client.js';
import { objectStoreSettings, openObjectStore } from '../storage/object-store-config.js';
import type { ObjectStore } from '../storage/object-store.js';
import { recordCliAudit } from './audit-cli-record.js';
import type { Output } from './main.js';

const USAGE = `Usage: gateway-worker db <command>
  plan   --migration NAMESPACE/NAME                  what the DatabaseMigration's next run would do
  plan   --dir DIR --url URL [--history-table SCHEMA.TABLE] [--allow-out-of-order] [--target-version V]
                                                      the same for a folder of migration files
  repair --migration NAMESPACE/NAME | --dir DIR --url URL [--history-table SCHEMA.TABLE]
                                                      record the checksums of applied files that changed
                                                      (after you checked the change is harmless)
  backups [--namespace NS] [--name NAME] [--output json]
                                                      the backups in the object store, newest first
  restore --backup ID --to URL [--clean] [--passphrase-file FILE]
                                                      restore a backup into a database (created if missing)

URL: postgres://user@host:5432/database[?sslmode=verify-full&sslrootcert=ca.crt]; the password
comes from PGPASSWORD, never from the command line. --migration reads the cluster with KUBECONFIG
(or ~/.kube/config, or the pod's account). backups and restore read the object store of the
operator's configuration (OBJECT_STORE_URL and the S3_* keys). An encrypted backup's passphrase
comes from --passphrase-file or ${PASSPHRASE_ENV}.
Exit codes: 0 done, 1 failed (or the plan is blocked), 2 bad input.
`;

const DEFAULT_HISTORY: HistoryTable = { schema: 'public', table: 'gateway_worker_schema_history' };

interface MigrationSource {
  readonly files: SourceFile[];
  readonly params: ConnectionParams;
  readonly history: HistoryTable;
  readonly allowOutOfOrder: boolean;
  readonly targetVersion: string | undefined;
  /** The DatabaseMigration named with --migration. */
  readonly resource?: { readonly namespace: string; readonly name: string };
}

export async function runDb(args: readonly string[], env: NodeJS.ProcessEnv, out: Output): Promise<number> {
  const [command, ...rest] = args;
  if (command === undefined) {
    out.stderr(`gateway-worker db: name a command\n\n${USAGE}`);
    return 2;
  }
  if (command === '-h' || command === '--help') return help(out);
  try {
    switch (command) {
      case 'plan':
      case 'repair': {
        const flags = parseFlags(rest, {
          values: ['migration', 'dir', 'url', 'history-table', 'target-version', 'output'],
          switches: ['allow-out-of-order'],
        });
        if (flags.switches.has('help')) return help(out);
        const source = await migrationSource(flags, env);
        return command === 'plan'
          ? await plan(source, flags.values.output === 'json', out)
          : await repair(source, env, out);
      }
      case 'backups': {
        const flags = parseFlags(rest, { values: ['namespace', 'name', 'output'] });
        if (flags.switches.has('help')) return help(out);
        return await withStore(env, (store) => backups(store, flags, out));
      }
      case 'restore': {
        const flags = parseFlags(rest, { values: ['backup', 'to', 'passphrase-file'], switches: ['clean'] });
        if (flags.switches.has('help')) return help(out);
        return await restore(flags, env, out);
      }
      default:
        out.stderr(`gateway-worker db: unknown command "${command}"\n\n${USAGE}`);
        return 2;
    }
  } catch (err) {
    if (err instanceof UsageError || err instanceof DatabaseUrlError || err instanceof ConfigError) {
      out.stderr(`gateway-worker db ${command}: ${err.message}\n`);
      return 2;
    }
    out.stderr(`gateway-worker db ${command}: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

function help(out: Output): number {
  out.stdout(USAGE);
  return 0;
}

function historyFlag(text: string | undefined): HistoryTable {
  if (text === undefined) return DEFAULT_HISTORY;
  const match = /^(?:([a-z_][a-z0-9_]*)\.)?([a-z_][a-z0-9_]*)$/.exec(text);
  if (!match?.[2])
    throw new UsageError(`--history-table ${text}: must be [schema.]table in lowercase SQL names`);
  return { schema: match[1] ?? 'public', table: match[2] };
}

async function migrationSource(flags: ParsedFlags, env: NodeJS.ProcessEnv): Promise<MigrationSource> {
  const { migration, dir, url } = flags.values;
  if ((migration === undefined) === (dir === undefined))
    throw new UsageError('name either --migration NAMESPACE/NAME or --dir DIR (with --url)');
  if (dir !== undefined) {
    if (url === undefined) throw new UsageError('--dir needs --url: the database the files go to');
    return {
      files: directoryFiles(dir),
      params: databaseUrl(url, env),
      history: historyFlag(flags.values['history-table']),
      allowOutOfOrder: flags.switches.has('allow-out-of-order'),
      targetVersion: flags.values['target-version'],
    };
  }
  const [namespace, name, ...extra] = (migration ?? '').split('/');
  if (!namespace || !name || extra.length > 0)
    throw new UsageError(`--migration ${migration ?? ''}: must be NAMESPACE/NAME`);
  const client = new KubeClient(defaultKubeConfig());
  try {
    const resource = await readResource<DatabaseMigration>(
      client,
      DatabaseMigrationResource,
      namespace,
      name,
    );
    if (!resource) throw new Error(`DatabaseMigration ${namespace}/${name} does not exist`);
    const { params } = await resolveConnection(client, namespace, resource.spec.connectionRef.name);
    return {
      files: await configMapFiles(
        client,
        namespace,
        resource.spec.configMaps.map((c) => c.name),
      ),
      params,
      history: { schema: resource.spec.historySchema, table: resource.spec.historyTable },
      allowOutOfOrder: resource.spec.allowOutOfOrder,
      targetVersion: resource.spec.targetVersion,
      resource: { namespace, name },
    };
  } finally {
    client.close();
  }
}

function describePlan(source: MigrationSource, result: MigrationPlan): string {
  const lines = [
    `database ${source.params.description}, history ${historyName(source.history)}`,
    `applied: ${result.applied.length} (version ${result.currentVersion ?? 'none'}); files up to version ${result.latestVersion ?? 'none'}`,
  ];
  const file = (f: {
    name: string;
    version: string;
    transactional: boolean;
    statements: readonly unknown[];
  }): string =>
    `  ${f.name}  (version ${f.version}, ${f.transactional ? 'in a transaction' : 'outside a transaction'}, ${f.statements.length} statements)`;
  if (result.undo.length > 0) lines.push('would undo:', ...result.undo.map(file));
  if (result.apply.length > 0) lines.push('would apply:', ...result.apply.map(file));
  if (result.missing.length > 0)
    lines.push(`applied versions whose file is gone: ${result.missing.join(', ')}`);
  for (const d of result.drift)
    lines.push(`drift: ${d.file} applied as ${d.applied.slice(0, 12)}, now ${d.current.slice(0, 12)}`);
  if (result.blocked) lines.push(`blocked (${result.blocked.reason}): ${result.blocked.message}`);
  else if (result.apply.length === 0 && result.undo.length === 0) lines.push('nothing to do');
  return `${lines.join('\n')}\n`;
}

async function plan(source: MigrationSource, json: boolean, out: Output): Promise<number> {
  const result = await withClient(source.params, undefined, (client) =>
    planOnly(client, source.files, source),
  );
  if (json) {
    out.stdout(
      `${JSON.stringify(
        {
          database: source.params.description,
          currentVersion: result.currentVersion ?? null,
          latestVersion: result.latestVersion ?? null,
          apply: result.apply.map((f) => ({
            file: f.name,
            version: f.version,
            transactional: f.transactional,
          })),
          undo: result.undo.map((f) => ({ file: f.name, version: f.version })),
          drift: result.drift,
          missing: result.missing,
          blocked: result.blocked ?? null,
        },
        null,
        2,
      )}\n`,
    );
  } else out.stdout(describePlan(source, result));
  return result.blocked ? 1 : 0;
}

async function repair(source: MigrationSource, env: NodeJS.ProcessEnv, out: Output): Promise<number> {
  const repaired: string[] = [];
  const code = await withClient(source.params, undefined, async (client) => {
    const lock = await takeLock(client, lockName(source.history), { waitMs: 60_000 });
    if (!lock) throw new Error('another runner holds the migration lock; try again when it is done');
    try {
      const parsed = parseMigrations(source.files);
      const result = planMigrations(parsed, await readHistory(client, source.history), source);
      if (result.drift.length === 0) {
        out.stdout('no applied file changed: nothing to repair\n');
        return 0;
      }
      for (const drift of result.drift) {
        const file = parsed.versioned.find((f) => f.version === drift.version);
        if (!file) continue;
        await repairChecksum(client, source.history, drift.version, file);
        repaired.push(file.name);
        out.stdout(
          `recorded ${file.name}: checksum ${drift.applied.slice(0, 12)} → ${drift.current.slice(0, 12)} (its SQL is not run again)\n`,
        );
      }
      return 0;
    } finally {
      await lock.release();
    }
  });
  if (repaired.length > 0)
    await recordCliAudit(env, out, {
      action: 'update',
      kind: source.resource ? 'DatabaseMigration' : 'Database',
      namespace: source.resource?.namespace ?? '',
      name: source.resource?.name ?? source.params.database,
      summary: `migration checksums recorded again (repair): ${repaired.join(', ')}`,
      details: { files: repaired, database: source.params.description, history: historyName(source.history) },
    });
  return code;
}

async function withStore(
  env: NodeJS.ProcessEnv,
  work: (store: ObjectStore) => Promise<number>,
): Promise<number> {
  const settings = objectStoreSettings(loadConfig(env), (path) => readFileSync(path, 'utf8'));
  if (!settings)
    throw new UsageError('no object store: set OBJECT_STORE_URL (and the S3_* keys) as for the operator');
  const store = await openObjectStore(settings);
  try {
    return await work(store);
  } finally {
    store.close();
  }
}

async function backups(store: ObjectStore, flags: ParsedFlags, out: Output): Promise<number> {
  const { namespace, name } = flags.values;
  if (name !== undefined && namespace === undefined) throw new UsageError('--name needs --namespace');
  const manifests = await manifestsInStore(store, namespace, name);
  if (flags.values.output === 'json') {
    out.stdout(`${JSON.stringify(manifests, null, 2)}\n`);
    return 0;
  }
  if (manifests.length === 0) {
    out.stdout(`no backups in ${store.location}\n`);
    return 0;
  }
  const rows = manifests.map((m) => [
    m.id,
    `${m.namespace}/${m.name}`,
    m.finishedAt.replace(/\.\d{3}Z$/, 'Z'),
    humanBytes(m.sizeBytes),
    m.verification,
    m.encrypted ? 'yes' : 'no',
  ]);
  const header = ['ID', 'RESOURCE', 'FINISHED', 'SIZE', 'VERIFIED', 'ENCRYPTED'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  out.stdout(`${[line(header), ...rows.map(line)].join('\n')}\n`);
  return 0;
}

async function restore(flags: ParsedFlags, env: NodeJS.ProcessEnv, out: Output): Promise<number> {
  const { backup: id, to } = flags.values;
  if (id === undefined || to === undefined) throw new UsageError('restore needs --backup ID and --to URL');
  if (!isBackupId(id))
    throw new UsageError(
      `--backup ${id}: not a backup id (NAME-YYYYMMDDTHHMMSSZ-XXXX; see gateway-worker db backups)`,
    );
  const target = databaseUrl(to, env);
  return withStore(env, async (store) => {
    const manifest = await findManifest(store, id);
    if (!manifest) {
      out.stderr(`gateway-worker db restore: no backup ${id} in ${store.location}\n`);
      return 1;
    }
    const passphrase = manifest.encrypted ? readPassphrase(flags.values['passphrase-file'], env) : undefined;
    try {
      const { created } = await restoreBackup({
        tools: await pgTools(),
        store,
        dump: { key: manifest.dumpKey, sha256: manifest.sha256, encrypted: manifest.encrypted },
        passphrase,
        target,
        clean: flags.switches.has('clean'),
      });
      // Counted in the restored database: a backup taken without verification has no counts.
      const restored = await withClient(target, undefined, (client) => countRows(client));
      const rows = Object.values(restored).reduce((a, b) => a + b, 0);
      out.stdout(
        `restored ${id} (${manifest.database} on PostgreSQL ${manifest.serverVersion}, taken ${manifest.finishedAt}) ` +
          `into ${created ? 'the new database ' : ''}${target.description}: ${Object.keys(restored).length} tables, ${rows} rows\n`,
      );
      if (Object.keys(manifest.tableRows).length > 0) {
        const mismatches = compareRowCounts(manifest.tableRows, restored);
        if (mismatches.length > 0) {
          out.stderr(
            `gateway-worker db restore: the restored rows differ from the backup's snapshot: ${describeMismatches(mismatches)}\n`,
          );
          return 1;
        }
        out.stdout("every table's row count matches the backup's snapshot\n");
      }
      await recordCliAudit(env, out, {
        action: 'restore',
        kind: 'DatabaseBackup',
        namespace: manifest.namespace,
        name: manifest.name,
        summary: `database backup ${id} restored into ${target.description}`,
        details: { backup: id, target: target.description, tables: Object.keys(restored).length, rows },
      });
      return 0;
    } catch (err) {
      if (err instanceof OperationError) throw new Error(err.message, { cause: err });
      throw err;
    }
  });
}
