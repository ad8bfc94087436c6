/**
 * Maintenance findings from the statistics PostgreSQL keeps: tables with many dead tuples or
 * stale statistics, bloated, invalid, unused or duplicate indexes, long-running queries and lock
 * waits — each with the action that fixes it, when one is safe to run unattended (VACUUM
 * (ANALYZE), ANALYZE, REINDEX INDEX CONCURRENTLY). Dropping an index is only ever recommended.
 * Pure: the statistics come in as plain rows.
 */

export interface TableStats {
  readonly schema: string;
  readonly table: string;
  readonly liveTuples: number;
  readonly deadTuples: number;
  readonly modifiedSinceAnalyze: number;
  /** The newest of last_analyze and last_autoanalyze. */
  readonly lastAnalyzed: Date | undefined;
}

export interface IndexStats {
  readonly schema: string;
  readonly table: string;
  readonly index: string;
  readonly sizeBytes: number;
  readonly pages: number;
  readonly scans: number;
  readonly unique: boolean;
  readonly primary: boolean;
  readonly valid: boolean;
  /** Access method: only btree indexes get a bloat estimate. */
  readonly method: string;
  /** What makes two indexes the same: columns, operator classes, expressions, predicate. */
  readonly signature: string;
  /** The table's estimated rows (reltuples), or -1 when never counted. */
  readonly tuples: number;
  /** Sum of the key columns' average widths from pg_stats, or undefined when not analyzed. */
  readonly keyWidth: number | undefined;
  readonly fillfactor: number;
  readonly blockSize: number;
}

export interface ActivityRow {
  readonly pid: number;
  readonly state: string;
  readonly runningMs: number;
  readonly query: string;
  readonly waitingForLock: boolean;
  readonly blockedBy: readonly number[];
}

export interface MaintenanceThresholds {
  /** Dead tuples as a share of all tuples (0–1). */
  readonly deadTupleRatio: number;
  readonly minDeadTuples: number;
  /** Rows changed since the last ANALYZE as a share of live rows (0–1). */
  readonly staleStatisticsRatio: number;
  readonly minModifiedRows: number;
  /** Share of an index's pages that its live entries do not need (0–1). */
  readonly indexBloatRatio: number;
  readonly minIndexBytes: number;
  /** Unused indexes are judged only on statistics gathered at least this long. */
  readonly unusedIndexMinStatsAgeMs: number;
  readonly longQueryMs: number;
}

export type FindingKind =
  | 'DeadTuples'
  | 'StaleStatistics'
  | 'BloatedIndex'
  | 'InvalidIndex'
  | 'UnusedIndex'
  | 'DuplicateIndex'
  | 'LongRunningQuery'
  | 'LockWait';

export interface Finding {
  readonly kind: FindingKind;
  /** `schema.table`, `schema.index`, or `pid 1234`. */
  readonly object: string;
  readonly detail: string;
  /** SQL that fixes it and is safe to run unattended; undefined when a person must decide. */
  readonly action: string | undefined;
  /** What a person could do, when there is no unattended action. */
  readonly recommendation: string | undefined;
}

/** A quoted SQL identifier. */
export function quoteIdentifier(part: string): string {
  return `"${part.replace(/"/g, '""')}"`;
}

/** A quoted `schema.name`. */
export function qualified(schema: string, name: string): string {
  return `${quoteIdentifier(schema)}.${quoteIdentifier(name)}`;
}

const percent = (ratio: number): string => `${Math.round(ratio * 100)} %`;

export function tableFindings(tables: readonly TableStats[], t: MaintenanceThresholds): Finding[] {
  const findings: Finding[] = [];
  for (const table of tables) {
    const object = `${table.schema}.${table.table}`;
    const total = table.liveTuples + table.deadTuples;
    const deadRatio = total === 0 ? 0 : table.deadTuples / total;
    if (table.deadTuples >= t.minDeadTuples && deadRatio >= t.deadTupleRatio) {
      findings.push({
        kind: 'DeadTuples',
        object,
        detail: `${table.deadTuples} dead tuples, ${percent(deadRatio)} of the table`,
        action: `VACUUM (ANALYZE) ${qualified(table.schema, table.table)}`,
        recommendation: undefined,
      });
      // VACUUM (ANALYZE) refreshes the statistics too: one finding is enough.
      continue;
    }
    const staleRatio = table.modifiedSinceAnalyze / Math.max(table.liveTuples, 1);
    const neverAnalyzed = table.lastAnalyzed === undefined && table.liveTuples >= t.minModifiedRows;
    if (
      neverAnalyzed ||
      (table.modifiedSinceAnalyze >= t.minModifiedRows && staleRatio >= t.staleStatisticsRatio)
    ) {
      findings.push({
        kind: 'StaleStatistics',
        object,
        detail: neverAnalyzed
          ? `never analyzed, ${table.liveTuples} rows`
          : `${table.modifiedSinceAnalyze} rows changed since the last ANALYZE, ${percent(staleRatio)} of the table`,
        action: `ANALYZE ${qualified(table.schema, table.table)}`,
        recommendation: undefined,
      });
    }
  }
  return findings;
}

/** btree page layout: page header 24 bytes, btree special space 16, index tuple header 8, line pointer 4. */
const PAGE_OVERHEAD = 24 + 16;
const TUPLE_OVERHEAD = 8 + 4;

/**
 * Share of a btree index's pages its live entries do not need, estimated from the table's row
 * count and the key columns' average width (the well-known catalog estimate, without the
 * pgstattuple extension); undefined for other access methods or without statistics.
 */
export function estimateIndexBloat(index: IndexStats): number | undefined {
  if (index.method !== 'btree' || index.keyWidth === undefined || index.tuples < 0 || index.pages <= 1)
    return undefined;
  const tupleBytes = TUPLE_OVERHEAD + Math.ceil(index.keyWidth / 8) * 8;
  const usable = (index.blockSize - PAGE_OVERHEAD) * (index.fillfactor / 100);
  const leafPages = Math.ceil((index.tuples * tupleBytes) / usable);
  // The metapage, and about one inner page per few hundred leaves.
  const expected = Math.max(1, leafPages) + 1 + Math.ceil(leafPages / 300);
  return Math.max(0, 1 - expected / index.pages);
}

export function indexFindings(
  indexes: readonly IndexStats[],
  t: MaintenanceThresholds,
  statsAgeMs: number | undefined,
): Finding[] {
  const findings: Finding[] = [];
  for (const index of indexes) {
    const object = `${index.schema}.${index.index}`;
    const reindex = `REINDEX INDEX CONCURRENTLY ${qualified(index.schema, index.index)}`;
    if (!index.valid) {
      findings.push({
        kind: 'InvalidIndex',
        object,
        detail:
          'marked invalid (a CREATE INDEX CONCURRENTLY that failed): PostgreSQL maintains it but never uses it',
        action: reindex,
        recommendation: undefined,
      });
      continue;
    }
    const bloat = estimateIndexBloat(index);
    if (bloat !== undefined && bloat >= t.indexBloatRatio && index.sizeBytes >= t.minIndexBytes) {
      findings.push({
        kind: 'BloatedIndex',
        object,
        detail: `about ${percent(bloat)} of its ${Math.round(index.sizeBytes / 1024 / 1024)} MiB are not needed by live entries`,
        action: reindex,
        recommendation: undefined,
      });
    }
    const judged = statsAgeMs !== undefined && statsAgeMs >= t.unusedIndexMinStatsAgeMs;
    if (
      judged &&
      index.scans === 0 &&
      !index.unique &&
      !index.primary &&
      index.sizeBytes >= t.minIndexBytes
    ) {
      findings.push({
        kind: 'UnusedIndex',
        object,
        detail: `no scan since statistics were reset, ${Math.round(index.sizeBytes / 1024 / 1024)} MiB`,
        action: undefined,
        recommendation: `if no rare query needs it, DROP INDEX CONCURRENTLY ${qualified(index.schema, index.index)}`,
      });
    }
  }
  const bySignature = new Map<string, IndexStats[]>();
  for (const index of indexes.filter((i) => i.valid)) {
    const key = `${index.schema}.${index.table}|${index.signature}`;
    bySignature.set(key, [...(bySignature.get(key) ?? []), index]);
  }
  for (const same of bySignature.values()) {
    if (same.length < 2) continue;
    // Keep the one that enforces something (primary, unique), else the first by name.
    const keep = [...same].sort(
      (a, b) =>
        Number(b.primary) - Number(a.primary) ||
        Number(b.unique) - Number(a.unique) ||
        a.index.localeCompare(b.index),
    )[0];
    for (const index of same) {
      if (index === keep || index.primary || index.unique) continue;
      findings.push({
        kind: 'DuplicateIndex',
        object: `${index.schema}.${index.index}`,
        detail: `indexes the same as ${keep?.index ?? ''}`,
        action: undefined,
        recommendation: `DROP INDEX CONCURRENTLY ${qualified(index.schema, index.index)}`,
      });
    }
  }
  return findings;
}

/**
 * A query as a status may show it: literals replaced by `?` (a statement's values may be secret),
 * whitespace collapsed, at most 120 characters.
 */
export function normalizeQuery(query: string): string {
  return query
    .replace(/'(?:[^']|'')*'/g, '?')
    .replace(/\$([A-Za-z_][A-Za-z0-9_]*)?\$[\s\S]*?\$\1\$/g, '?')
    .replace(/(?<![\w$])\d+(?:\.\d+)?\b/g, '?')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 120);
}

export function activityFindings(rows: readonly ActivityRow[], t: MaintenanceThresholds): Finding[] {
  const findings: Finding[] = [];
  for (const row of rows) {
    const query = normalizeQuery(row.query);
    if (row.waitingForLock && row.blockedBy.length > 0) {
      findings.push({
        kind: 'LockWait',
        object: `pid ${row.pid}`,
        detail: `waiting ${Math.round(row.runningMs / 1000)} s for a lock held by pid ${row.blockedBy.join(', ')}: ${query}`,
        action: undefined,
        recommendation: `look at what pid ${row.blockedBy.join(', ')} is doing (pg_stat_activity)`,
      });
    } else if (row.runningMs >= t.longQueryMs) {
      const idle = row.state.startsWith('idle in transaction');
      findings.push({
        kind: 'LongRunningQuery',
        object: `pid ${row.pid}`,
        detail: `${idle ? 'idle in a transaction' : 'running'} for ${Math.round(row.runningMs / 1000)} s: ${query}`,
        action: undefined,
        recommendation: idle
          ? 'an open transaction holds back VACUUM: fix the client that left it open, or SELECT pg_terminate_backend(pid)'
          : 'check the query plan, or SELECT pg_cancel_backend(pid)',
      });
    }
  }
  return findings;
}
