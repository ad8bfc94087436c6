/**
 * Retention for the tables of one DatabaseRetention. A plain table loses its old rows in batches:
 * each batch deletes up to batchSize rows (those that no one else holds locked) and gets the
 * deleted rows back, archives and checks them, and only then commits — so a row is either in a
 * verified archive and gone, or still in the table. A range-partitioned table loses whole
 * partitions that end before the cutoff, each archived and checked first. A run starts no new
 * batch once it could pass its time budget; what is left waits for the next run.
 */
import { performance } from 'node:perf_hooks';
import {
  anotherBatchFits,
  archiveKey,
  csvLine,
  partitionsToDrop,
  quoteIdentifier,
  retentionCutoff,
  type ArchiveFormat,
} from '../../domain/dbops/index.js';
import type { Logger } from '../../runtime/logger.js';
import type { ObjectStore } from '../../storage/object-store.js';
import type { GatewayClient } from '../connection/client.js';
import { describeServerError, isStatementError, connectionError } from '../connection/errors.js';
import { OperationError } from '../operation-error.js';
import { streamArchive, writeArchive } from './archive.js';
import { partitionsOf, tableInfo, type Partition, type TableInfo } from './tables.js';

export interface RetentionTable {
  readonly table: string;
  readonly timeColumn: string;
  readonly keepMs: number;
  readonly archive: ArchiveFormat;
  readonly batchSize: number;
}

export interface RetentionOptions {
  readonly namespace: string;
  readonly name: string;
  readonly startedAt: Date;
  readonly now: () => Date;
  readonly maxRunMs: number;
  readonly store: ObjectStore | undefined;
  readonly signal?: AbortSignal;
  readonly logger: Logger;
  /** After each committed batch or dropped partition (metrics). */
  readonly onProgress?: (table: string, archived: number, deleted: number) => void;
}

export interface TableResult {
  readonly table: string;
  readonly cutoff: Date;
  rowsArchived: number;
  rowsDeleted: number;
  partitionsDropped: number;
  archives: number;
  complete: boolean;
  readonly notes: string[];
  error?: OperationError;
}

const CURSOR_FETCH = 10_000;

export async function runRetention(
  client: GatewayClient,
  tables: readonly RetentionTable[],
  options: RetentionOptions,
): Promise<TableResult[]> {
  const results: TableResult[] = [];
  for (const spec of tables) {
    const result: TableResult = {
      table: spec.table,
      cutoff: retentionCutoff(options.now(), spec.keepMs),
      rowsArchived: 0,
      rowsDeleted: 0,
      partitionsDropped: 0,
      archives: 0,
      complete: false,
      notes: [],
    };
    results.push(result);
    try {
      if (spec.archive !== 'None' && !options.store)
        throw new OperationError(
          'ObjectStoreMissing',
          `${spec.table} is archived before delete, but no object store is configured: set OBJECT_STORE_URL (a directory or s3://), or archive: None`,
          true,
        );
      const info = await tableInfo(client, spec.table, spec.timeColumn);
      if (info.partitioned) await dropPartitions(client, info, spec, result, options);
      else await deleteRows(client, info, spec, result, options);
    } catch (err) {
      if (options.signal?.aborted) throw err;
      result.error =
        err instanceof OperationError
          ? err
          : isStatementError(err)
            ? new OperationError('RetentionFailed', `${spec.table}: ${describeServerError(err)}`, false)
            : connectionError(err, client.params);
      // A broken connection ends the run; a table's own problem leaves the other tables to run.
      if (!isStatementError(err) && !(err instanceof OperationError)) throw result.error;
    }
  }
  return results;
}

function rowsQuery(info: TableInfo, spec: RetentionTable): string {
  const column = quoteIdentifier(spec.timeColumn);
  const returning =
    spec.archive === 'NDJSON'
      ? 'RETURNING row_to_json(t)::text AS line'
      : spec.archive === 'CSV'
        ? `RETURNING ${info.columns.map((c) => `t.${quoteIdentifier(c)}::text`).join(', ')}`
        : '';
  // ctid = ANY(ARRAY(...)) makes a TID scan: the batch is found through the time index, deleted by address.
  return `DELETE FROM ${info.quoted} AS t WHERE t.ctid = ANY (ARRAY(
      SELECT ctid FROM ${info.quoted} WHERE ${column} < $1 ORDER BY ${column} LIMIT $2 FOR UPDATE SKIP LOCKED
    )) ${returning}`;
}

async function deleteRows(
  client: GatewayClient,
  info: TableInfo,
  spec: RetentionTable,
  result: TableResult,
  options: RetentionOptions,
): Promise<void> {
  if (!info.timeColumnIndexed)
    result.notes.push(`no index starts with ${spec.timeColumn}: each batch scans the table; add one`);
  const sql = rowsQuery(info, spec);
  const header = csvLine(info.columns);
  let slowest = 0;
  for (let sequence = 1; ; sequence++) {
    const elapsed = options.now().getTime() - options.startedAt.getTime();
    if (!anotherBatchFits(elapsed, slowest, options.maxRunMs)) {
      result.notes.push(
        `stopped after ${Math.round(elapsed / 1000)} s, the run's time budget; the rest waits for the next run`,
      );
      return;
    }
    options.signal?.throwIfAborted();
    const started = performance.now();
    await client.query('BEGIN');
    let deleted: number;
    try {
      const batch =
        spec.archive === 'CSV'
          ? await client.raw.query<string[]>({
              text: sql,
              values: [result.cutoff, spec.batchSize],
              rowMode: 'array',
            })
          : await client.query<{ line: string }>(sql, [result.cutoff, spec.batchSize]);
      deleted = batch.rowCount ?? 0;
      if (deleted > 0 && spec.archive !== 'None' && options.store) {
        const lines =
          spec.archive === 'CSV'
            ? [header, ...(batch.rows as string[][]).map((values) => csvLine(values))]
            : (batch.rows as { line: string }[]).map((row) => row.line);
        const key = archiveKey({
          namespace: options.namespace,
          name: options.name,
          table: `${info.schema}.${info.table}`,
          runStartedAt: options.startedAt,
          sequence,
          format: spec.archive,
        });
        await writeArchive(options.store, key, lines);
        result.archives += 1;
        result.rowsArchived += deleted;
      }
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
    result.rowsDeleted += deleted;
    options.onProgress?.(spec.table, spec.archive === 'None' ? 0 : deleted, deleted);
    slowest = Math.max(slowest, performance.now() - started);
    if (deleted < spec.batchSize) {
      result.complete = true;
      return;
    }
  }
}

async function dropPartitions(
  client: GatewayClient,
  info: TableInfo,
  spec: RetentionTable,
  result: TableResult,
  options: RetentionOptions,
): Promise<void> {
  if (info.partitionColumn !== spec.timeColumn)
    throw new OperationError(
      'RetentionFailed',
      `${spec.table} is partitioned${info.partitionColumn ? ` by ${info.partitionColumn}` : ' by more than one column or not by range'}, not by range of ${spec.timeColumn}: retention drops whole partitions of tables range-partitioned by the time column only`,
      true,
    );
  const all = await partitionsOf(client, info, result.cutoff);
  const droppable = partitionsToDrop(all).filter((p) => !(p as Partition).nested) as Partition[];
  let slowest = 0;
  for (const partition of droppable) {
    const elapsed = options.now().getTime() - options.startedAt.getTime();
    if (!anotherBatchFits(elapsed, slowest, options.maxRunMs)) {
      result.notes.push(
        `stopped after ${Math.round(elapsed / 1000)} s with ${droppable.length - result.partitionsDropped} partitions left for the next run`,
      );
      return;
    }
    options.signal?.throwIfAborted();
    const started = performance.now();
    await client.query('BEGIN');
    try {
      // No row may arrive while the partition is archived: the archive must be all of it.
      await client.query(`LOCK TABLE ${partition.quoted} IN SHARE MODE`);
      let rows: number;
      if (spec.archive !== 'None' && options.store) {
        const archived = await archivePartition(client, info, spec, partition, options.store, options);
        rows = archived;
        result.archives += 1;
        result.rowsArchived += archived;
      } else {
        const counted = await client.query<{ n: string }>(
          `SELECT count(*)::text AS n FROM ${partition.quoted}`,
        );
        rows = Number(counted.rows[0]?.n ?? 0);
      }
      await client.query(`DROP TABLE ${partition.quoted}`);
      await client.query('COMMIT');
      result.partitionsDropped += 1;
      result.rowsDeleted += rows;
      options.onProgress?.(spec.table, spec.archive === 'None' ? 0 : rows, rows);
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
    slowest = Math.max(slowest, performance.now() - started);
  }
  result.complete = true;
  const kept = all.filter(
    (p) => !droppable.includes(p) && (p.bound.kind === 'default' || p.endsBeforeCutoff),
  );
  if (kept.length > 0)
    result.notes.push(
      `partitions ${kept.map((p) => p.name).join(', ')} are left whole: retention drops only range partitions that end before the cutoff`,
    );
}

async function archivePartition(
  client: GatewayClient,
  info: TableInfo,
  spec: RetentionTable,
  partition: Partition,
  store: ObjectStore,
  options: RetentionOptions,
): Promise<number> {
  const select =
    spec.archive === 'CSV'
      ? `SELECT ${info.columns.map((c) => `p.${quoteIdentifier(c)}::text`).join(', ')} FROM ${partition.quoted} AS p`
      : `SELECT row_to_json(p)::text AS line FROM ${partition.quoted} AS p`;
  await client.query(`DECLARE retention_rows NO SCROLL CURSOR FOR ${select}`);
  async function* batches(): AsyncGenerator<readonly string[]> {
    if (spec.archive === 'CSV') yield [csvLine(info.columns)];
    for (;;) {
      options.signal?.throwIfAborted();
      const fetched =
        spec.archive === 'CSV'
          ? (
              await client.raw.query<string[]>({
                text: `FETCH ${CURSOR_FETCH} FROM retention_rows`,
                rowMode: 'array',
              })
            ).rows.map((values) => csvLine(values))
          : (await client.query<{ line: string }>(`FETCH ${CURSOR_FETCH} FROM retention_rows`)).rows.map(
              (r) => r.line,
            );
      if (fetched.length === 0) return;
      yield fetched;
    }
  }
  const key = archiveKey({
    namespace: options.namespace,
    name: options.name,
    table: `${info.schema}.${info.table}`,
    runStartedAt: options.startedAt,
    sequence: 0,
    format: spec.archive === 'CSV' ? 'CSV' : 'NDJSON',
    partition: partition.name,
  });
  const archived = await streamArchive(store, key, batches());
  await client.query('CLOSE retention_rows');
  // The CSV header is a line too.
  return spec.archive === 'CSV' ? archived.lines - 1 : archived.lines;
}
