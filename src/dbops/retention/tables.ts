/**
 * What retention needs to know about a table before touching it, from the catalog: that it
 * exists, whether it is partitioned (and by which column), the time column's type, whether an
 * index starts with that column, its columns (for CSV), and its partitions with their bounds.
 */
import { parsePartitionBound, quoteIdentifier, type PartitionInfo } from '../../domain/dbops/index.js';
import type { GatewayClient } from '../connection/client.js';
import { OperationError } from '../operation-error.js';

export interface TableInfo {
  readonly oid: number;
  readonly schema: string;
  readonly table: string;
  /** `"schema"."table"` */
  readonly quoted: string;
  readonly partitioned: boolean;
  /** The partition key's column, for a table partitioned by one column. */
  readonly partitionColumn: string | undefined;
  readonly timeColumnType: string;
  readonly timeColumnIndexed: boolean;
  readonly columns: readonly string[];
}

const TIME_TYPES = ['timestamp with time zone', 'timestamp without time zone', 'date'];

export async function tableInfo(
  client: GatewayClient,
  table: string,
  timeColumn: string,
): Promise<TableInfo> {
  const found = await client.query<{ oid: number; schema: string; name: string; kind: string }>(
    `SELECT c.oid::int AS oid, n.nspname AS schema, c.relname AS name, c.relkind::text AS kind
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = to_regclass($1)`,
    [table],
  );
  const row = found.rows[0];
  if (!row || (row.kind !== 'r' && row.kind !== 'p'))
    throw new OperationError(
      'TableNotFound',
      `table ${table} does not exist in ${client.params.database}`,
      true,
    );
  const columns = await client.query<{ name: string; type: string }>(
    `SELECT attname AS name, format_type(atttypid, atttypmod) AS type FROM pg_attribute
     WHERE attrelid = $1 AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
    [row.oid],
  );
  const time = columns.rows.find((c) => c.name === timeColumn);
  if (!time)
    throw new OperationError(
      'ColumnNotFound',
      `table ${table} has no column ${timeColumn}: fix timeColumn`,
      true,
    );
  if (!TIME_TYPES.includes(time.type))
    throw new OperationError(
      'ColumnNotFound',
      `column ${timeColumn} of ${table} is ${time.type}; timeColumn must be a timestamp, timestamptz or date column`,
      true,
    );
  const indexed = await client.query<{ found: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
       WHERE i.indrelid = $1 AND a.attname = $2) AS found`,
    [row.oid, timeColumn],
  );
  let partitionColumn: string | undefined;
  if (row.kind === 'p') {
    const key = await client.query<{ column: string | null }>(
      `SELECT CASE WHEN p.partnatts = 1 AND p.partstrat = 'r' THEN a.attname END AS column
       FROM pg_partitioned_table p LEFT JOIN pg_attribute a ON a.attrelid = p.partrelid AND a.attnum = p.partattrs[0]
       WHERE p.partrelid = $1`,
      [row.oid],
    );
    partitionColumn = key.rows[0]?.column ?? undefined;
  }
  return {
    oid: row.oid,
    schema: row.schema,
    table: row.name,
    quoted: `${quoteIdentifier(row.schema)}.${quoteIdentifier(row.name)}`,
    partitioned: row.kind === 'p',
    partitionColumn,
    timeColumnType: time.type,
    timeColumnIndexed: indexed.rows[0]?.found === true,
    columns: columns.rows.map((c) => c.name),
  };
}

export interface Partition extends PartitionInfo {
  readonly quoted: string;
  /** A partition that is itself partitioned: left alone. */
  readonly nested: boolean;
}

/** The table's partitions, each judged against the cutoff by the server in the column's own type. */
export async function partitionsOf(
  client: GatewayClient,
  info: TableInfo,
  cutoff: Date,
): Promise<Partition[]> {
  const result = await client.query<{ schema: string; name: string; bound: string; kind: string }>(
    `SELECT n.nspname AS schema, c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound, c.relkind::text AS kind
     FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE i.inhparent = $1 ORDER BY c.relname`,
    [info.oid],
  );
  const partitions: Partition[] = [];
  for (const row of result.rows) {
    const bound = parsePartitionBound(row.bound);
    let endsBeforeCutoff = false;
    if (bound.kind === 'range' && bound.to !== 'MAXVALUE') {
      // The catalog's type name, never user input, so it may be spliced into the cast.
      const compared = await client.query<{ before: boolean }>(
        `SELECT ($1::text)::${info.timeColumnType} <= ($2::timestamptz)::${info.timeColumnType} AS before`,
        [bound.to, cutoff],
      );
      endsBeforeCutoff = compared.rows[0]?.before === true;
    }
    partitions.push({
      name: row.name,
      bound,
      endsBeforeCutoff,
      quoted: `${quoteIdentifier(row.schema)}.${quoteIdentifier(row.name)}`,
      nested: row.kind === 'p',
    });
  }
  return partitions;
}
