/**
 * A backup's dump: pg_dump in custom format, compressed by pg_dump, streamed (through encryption
 * when asked) into the object store, all or nothing. pg_dump reads a snapshot exported by a
 * transaction of ours, in which the rows of every table are counted meanwhile: the counts the
 * restored copy must match are exactly the data in the dump.
 */
import { performance } from 'node:perf_hooks';
import { quoteIdentifier } from '../../domain/dbops/index.js';
import type { ObjectInfo, ObjectStore } from '../../storage/object-store.js';
import type { GatewayClient } from '../connection/client.js';
import { libpqEnvironment } from '../connection/libpq.js';
import { encryptingStream } from './encryption-stream.js';
import type { PgTools } from './pg-tools.js';
import { toolOutput } from './tool-process.js';

export interface DumpResult {
  readonly object: ObjectInfo & { readonly sha256: string };
  readonly tableRows: Record<string, number>;
  readonly durationMs: number;
}

interface TableRow {
  schema: string;
  name: string;
}

/** Tables whose data pg_dump writes: ordinary tables (partitions included), no catalog, no extension's own. */
export async function dumpedTables(client: GatewayClient): Promise<TableRow[]> {
  const result = await client.query<TableRow>(
    `SELECT n.nspname AS schema, c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind = 'r' AND c.relpersistence <> 't'
       AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%'
       AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
     ORDER BY 1, 2`,
  );
  return result.rows;
}

/** Rows per table (`schema.table` → rows), in one statement. */
export async function countRows(client: GatewayClient): Promise<Record<string, number>> {
  const tables = await dumpedTables(client);
  if (tables.length === 0) return {};
  const union = tables
    .map(
      (t, i) =>
        `SELECT $${i + 1}::text AS t, count(*)::text AS n FROM ${quoteIdentifier(t.schema)}.${quoteIdentifier(t.name)}`,
    )
    .join(' UNION ALL ');
  const result = await client.query<{ t: string; n: string }>(
    union,
    tables.map((t) => `${t.schema}.${t.name}`),
  );
  return Object.fromEntries(result.rows.map((r) => [r.t, Number(r.n)]));
}

export interface DumpOptions {
  readonly tools: PgTools;
  /** A connection for the snapshot and the counts; the dump itself is pg_dump's own. */
  readonly client: GatewayClient;
  readonly compressionLevel: number;
  readonly passphrase: string | undefined;
  readonly store: ObjectStore;
  readonly key: string;
  readonly signal?: AbortSignal;
  /** Count the rows of the snapshot (for verification); off saves a scan of every table. */
  readonly count: boolean;
}

export async function dumpToStore(options: DumpOptions): Promise<DumpResult> {
  const { client } = options;
  const started = performance.now();
  const libpq = libpqEnvironment(client.params);
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  try {
    const snapshot = (await client.query<{ s: string }>('SELECT pg_export_snapshot() AS s')).rows[0]?.s;
    if (!snapshot) throw new Error('the server exported no snapshot');
    const dump = toolOutput(
      options.tools.pgDump,
      [
        '--format=custom',
        `--compress=${options.compressionLevel}`,
        '--no-password',
        `--snapshot=${snapshot}`,
        '--lock-wait-timeout=120000',
      ],
      libpq.env,
      options.signal,
    );
    const body =
      options.passphrase === undefined
        ? dump.output
        : dump.output.pipe(await encryptingStream(options.passphrase));
    if (options.passphrase !== undefined) dump.output.on('error', (err) => body.destroy(err));
    const [object, tableRows] = await Promise.all([
      options.store.put(options.key, body, { contentType: 'application/octet-stream' }),
      options.count ? countRows(client) : Promise.resolve({}),
      dump.exited,
    ]);
    if (object.sha256 === undefined)
      throw new Error(`the object store returned no checksum for ${options.key}`);
    return {
      object: { ...object, sha256: object.sha256 },
      tableRows,
      durationMs: performance.now() - started,
    };
  } finally {
    await client.query('COMMIT').catch(() => undefined);
    libpq.cleanup();
  }
}
