/**
 * Creates the partitions rows are about to go into, and lists and drops them for retention.
 * CREATE TABLE ... PARTITION OF runs outside the data transaction and is idempotent, so two
 * writers creating the same partition are both fine; created partitions are remembered.
 */
import { identifier, type Queryable } from '../storage/database.js';
import { parsePartition, partitionFor, type Partition } from '../domain/telemetry/partitions.js';
import { tableInfo, type PartitionedTableName } from './tables.js';

/** Already exists: a concurrent creator won the race, which is fine. */
const DUPLICATE_CODES = new Set(['42P07', '23505']);

export class PartitionManager {
  private readonly known = new Set<string>();

  constructor(
    private readonly db: Queryable,
    private readonly schema: string,
  ) {}

  /** Makes sure every partition `times` fall into exists. */
  async ensure(table: PartitionedTableName, times: Iterable<number>): Promise<void> {
    this.remember(await this.ensureIn(this.db, table, times));
  }

  /**
   * Creates the missing partitions through `db` (a transaction) and returns their names, to be
   * {@link remember}ed once that transaction commits: a rolled-back CREATE leaves no partition.
   */
  async ensureIn(db: Queryable, table: PartitionedTableName, times: Iterable<number>): Promise<string[]> {
    const info = tableInfo(table);
    const needed = new Map<string, Partition>();
    for (const t of times) {
      const p = partitionFor(table, t, info.granularity);
      if (!this.known.has(p.name)) needed.set(p.name, p);
    }
    for (const p of needed.values()) await this.create(db, table, p);
    return [...needed.keys()];
  }

  remember(names: Iterable<string>): void {
    for (const name of names) this.known.add(name);
  }

  /** The partitions of `table` that exist, oldest first. */
  async list(table: PartitionedTableName): Promise<Partition[]> {
    const info = tableInfo(table);
    const result = await this.db.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_inherits i
         JOIN pg_class c ON c.oid = i.inhrelid
         JOIN pg_class p ON p.oid = i.inhparent
         JOIN pg_namespace n ON n.oid = p.relnamespace
        WHERE n.nspname = $1 AND p.relname = $2`,
      [this.schema, table],
    );
    return result.rows
      .map((r) => parsePartition(table, r.name, info.granularity))
      .filter((p): p is Partition => p !== undefined)
      .sort((a, b) => a.fromMs - b.fromMs);
  }

  async drop(partition: Partition): Promise<void> {
    await this.db.query(`DROP TABLE IF EXISTS ${identifier(this.schema)}.${identifier(partition.name)}`);
    this.known.delete(partition.name);
  }

  /** Forgets what it created (after a test drops the schema, or a partition is dropped elsewhere). */
  forget(): void {
    this.known.clear();
  }

  private async create(db: Queryable, table: PartitionedTableName, p: Partition): Promise<void> {
    const s = identifier(this.schema);
    try {
      await db.query(
        `CREATE TABLE IF NOT EXISTS ${s}.${identifier(p.name)} PARTITION OF ${s}.${identifier(table)}
           FOR VALUES FROM ('${new Date(p.fromMs).toISOString()}') TO ('${new Date(p.toMs).toISOString()}')`,
      );
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (typeof code === 'string' && DUPLICATE_CODES.has(code)) return;
      throw error;
    }
  }
}
