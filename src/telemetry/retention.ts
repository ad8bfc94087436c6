/**
 * Retention: partitions whose every row is older than their table's retention are archived to
 * the object store (gzip NDJSON, read back and checked) and then dropped — in a transaction
 * that locks the partition and drops it only if it still holds exactly the rows archived.
 * Without an object store they are dropped unarchived, and the log says so. Processed batches
 * are deleted after a few hours; the audit trail is trimmed by its own retention (audit-store.ts).
 */
import { expiredPartitions, type Partition } from '../domain/telemetry/partitions.js';
import type { Logger } from '../runtime/logger.js';
import { identifier, type Database } from '../storage/database.js';
import type { ObjectStore } from '../storage/object-store.js';
import { archiveRows, verifyArchive } from './archive.js';
import { BatchRepository } from './batch-repository.js';
import { PartitionManager } from './partition-manager.js';
import { PARTITIONED_TABLES, retentionMs, type PartitionedTable, type RetentionSettings } from './tables.js';

export interface RetentionOptions {
  readonly db: Database;
  readonly schema: string;
  readonly nowMs: number;
  readonly retention: RetentionSettings;
  /** Where partitions are archived before they are dropped; undefined: dropped unarchived. */
  readonly objectStore: ObjectStore | undefined;
  readonly logger: Logger;
  readonly signal?: AbortSignal;
}

export interface DroppedPartition {
  readonly table: string;
  readonly partition: string;
  readonly rows: number;
  /** The archive's key, when archived. */
  readonly archive?: string;
}

export interface RetentionResult {
  readonly dropped: readonly DroppedPartition[];
  readonly batchesDeleted: number;
}

export function archiveKey(table: string, partition: Partition): string {
  return `telemetry/${table}/${partition.name}.ndjson.gz`;
}

export async function applyRetention(options: RetentionOptions): Promise<RetentionResult> {
  const { db, schema, nowMs, retention } = options;
  const partitions = new PartitionManager(db, schema);
  const dropped: DroppedPartition[] = [];
  for (const table of PARTITIONED_TABLES) {
    const expired = expiredPartitions(
      await partitions.list(table.name),
      nowMs,
      retentionMs(retention, table.retention),
    );
    for (const partition of expired) {
      options.signal?.throwIfAborted();
      dropped.push(await archiveAndDrop(options, table, partition));
    }
  }
  const batchesDeleted = await new BatchRepository(db, schema).deleteProcessed(
    new Date(nowMs - retention.batchHours * 3_600_000),
  );
  return { dropped, batchesDeleted };
}

async function archiveAndDrop(
  options: RetentionOptions,
  table: PartitionedTable,
  partition: Partition,
): Promise<DroppedPartition> {
  const { db, schema, objectStore, logger } = options;
  const qualified = `${identifier(schema)}.${identifier(partition.name)}`;
  return db.transaction(async (tx) => {
    // Nothing may add rows between the archive and the drop.
    await tx.query(`LOCK TABLE ${qualified} IN ACCESS EXCLUSIVE MODE`);
    const counted = await tx.query<{ n: string | number }>(`SELECT count(*) AS n FROM ${qualified}`);
    const rows = Number(counted.rows[0]?.n ?? 0);
    let archive: string | undefined;
    if (objectStore && rows > 0) {
      const written = await archiveRows(
        tx,
        `SELECT row_to_json(t)::text AS line FROM ${qualified} t ORDER BY ${table.timeColumn}`,
        objectStore,
        archiveKey(table.name, partition),
      );
      if (written.rows !== rows) {
        throw new Error(
          `archive of ${partition.name} holds ${written.rows} rows, the partition ${rows}; not dropped`,
        );
      }
      await verifyArchive(objectStore, written);
      archive = written.key;
    } else if (rows > 0) {
      logger.warn(
        'no object store configured (OBJECT_STORE_URL): an expired partition is dropped without an archive',
        {
          partition: partition.name,
          rows,
        },
      );
    }
    await tx.query(`DROP TABLE ${qualified}`);
    logger.info('expired telemetry partition dropped', {
      table: table.name,
      partition: partition.name,
      rows,
      ...(archive ? { archive: `${objectStore?.location ?? ''}${archive}` } : {}),
    });
    return { table: table.name, partition: partition.name, rows, ...(archive ? { archive } : {}) };
  });
}
