/**
 * Retention decisions on plain data: the cutoff time, which partitions of a range-partitioned
 * table lie wholly before it, whether another batch fits the run's time budget, where an archive
 * goes and how a row is written in it. Pure.
 */

export type ArchiveFormat = 'NDJSON' | 'CSV' | 'None';

export function retentionCutoff(now: Date, keepMs: number): Date {
  return new Date(now.getTime() - keepMs);
}

/** A partition's bound as `pg_get_expr(relpartbound, oid)` prints it. */
export type PartitionBound =
  /** Literal texts; `MINVALUE` and `MAXVALUE` for unbounded ends. */
  | { readonly kind: 'range'; readonly from: string; readonly to: string }
  | { readonly kind: 'default' }
  /** List, hash, or a range over several columns: retention leaves such partitions to row deletes. */
  | { readonly kind: 'other' };

/** The text of one SQL literal ('it''s' → it's), or MINVALUE/MAXVALUE. */
function literal(text: string): string | undefined {
  const trimmed = text.trim();
  if (/^(MINVALUE|MAXVALUE)$/i.test(trimmed)) return trimmed.toUpperCase();
  const quoted = /^'((?:[^']|'')*)'(?:::[\w\s."]+)?$/.exec(trimmed);
  if (quoted) return (quoted[1] ?? '').replace(/''/g, "'");
  return /^-?[\d.]+$/.test(trimmed) ? trimmed : undefined;
}

/** `FOR VALUES FROM ('2024-01-01 00:00:00+00') TO ('2024-02-01 00:00:00+00')` → the two literals. */
export function parsePartitionBound(expression: string): PartitionBound {
  const text = expression.trim();
  if (/^DEFAULT$/i.test(text)) return { kind: 'default' };
  const range = /^FOR VALUES FROM \((.*)\) TO \((.*)\)$/is.exec(text);
  if (!range) return { kind: 'other' };
  const [, fromText = '', toText = ''] = range;
  // A comma outside quotes means several columns: not a time range we can judge alone.
  const oneColumn = (t: string): boolean => !/,/.test(t.replace(/'(?:[^']|'')*'/g, "''"));
  if (!oneColumn(fromText) || !oneColumn(toText)) return { kind: 'other' };
  const from = literal(fromText);
  const to = literal(toText);
  if (from === undefined || to === undefined || from === 'MAXVALUE' || to === 'MINVALUE')
    return { kind: 'other' };
  return { kind: 'range', from, to };
}

export interface PartitionInfo {
  readonly name: string;
  readonly bound: PartitionBound;
  /** Whether the partition's upper bound is at or before the cutoff (the database compared them). */
  readonly endsBeforeCutoff: boolean;
}

/**
 * Partitions to drop whole: range partitions whose upper bound is at or before the cutoff, so
 * every row they can hold is older than it. The default partition and the one holding the cutoff
 * keep their rows.
 */
export function partitionsToDrop(partitions: readonly PartitionInfo[]): PartitionInfo[] {
  return partitions.filter(
    (p) => p.bound.kind === 'range' && p.bound.to !== 'MAXVALUE' && p.endsBeforeCutoff,
  );
}

/**
 * Whether one more batch fits: a run stops starting batches once the elapsed time plus the
 * slowest batch so far would pass the budget, so it ends near its maximum, not far beyond it.
 */
export function anotherBatchFits(elapsedMs: number, slowestBatchMs: number, budgetMs: number): boolean {
  return elapsedMs + slowestBatchMs <= budgetMs;
}

/** `2024-05-01T03:00:00.000Z` → `20240501T030000Z`, sortable and key-safe. */
export function compactTime(at: Date): string {
  return at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
}

export interface ArchiveKeyInput {
  readonly namespace: string;
  readonly name: string;
  /** `schema.table` */
  readonly table: string;
  readonly runStartedAt: Date;
  readonly sequence: number;
  readonly format: Exclude<ArchiveFormat, 'None'>;
  /** A partition archived whole, instead of a batch of rows. */
  readonly partition?: string;
}

/** `database-archives/<ns>/<name>/<schema.table>/<yyyy>/<mm>/<dd>/<run>-<seq>.ndjson.gz`. */
export function archiveKey(input: ArchiveKeyInput): string {
  const day = input.runStartedAt.toISOString().slice(0, 10).replace(/-/g, '/');
  const what =
    input.partition === undefined ? String(input.sequence).padStart(6, '0') : `partition-${input.partition}`;
  const extension = input.format === 'CSV' ? 'csv.gz' : 'ndjson.gz';
  return `database-archives/${input.namespace}/${input.name}/${input.table}/${day}/${compactTime(input.runStartedAt)}-${what}.${extension}`;
}

/** One CSV field (RFC 4180): quoted when it holds a quote, comma or line break; NULL is empty. */
export function csvField(value: string | null): string {
  if (value === null) return '';
  return /[",\r\n]/.test(value) || value === '' ? `"${value.replace(/"/g, '""')}"` : value;
}

export function csvLine(values: readonly (string | null)[]): string {
  return values.map(csvField).join(',');
}
