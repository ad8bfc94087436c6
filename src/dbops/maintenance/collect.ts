/**
 * The statistics maintenance decides on, read from PostgreSQL's views: table activity, every
 * index with what the bloat estimate needs, how old the statistics are, and the sessions running
 * or waiting now. Read-only; no extension needed.
 */
import type { ActivityRow, IndexStats, TableStats } from '../../domain/dbops/index.js';
import type { GatewayClient } from '../connection/client.js';

export interface Statistics {
  readonly tables: TableStats[];
  readonly indexes: IndexStats[];
  /** How long statistics have been gathered (since the last reset, or the server's start). */
  readonly statsAgeMs: number | undefined;
  readonly activity: ActivityRow[];
}

const USER_SCHEMAS =
  "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%'";

export async function collectStatistics(client: GatewayClient): Promise<Statistics> {
  const tables = await client.query<{
    schema: string;
    table: string;
    live: string;
    dead: string;
    modified: string;
    analyzed: Date | null;
  }>(
    `SELECT schemaname AS schema, relname AS table, n_live_tup::text AS live, n_dead_tup::text AS dead,
            n_mod_since_analyze::text AS modified, greatest(last_analyze, last_autoanalyze) AS analyzed
     FROM pg_stat_user_tables ORDER BY 1, 2`,
  );
  const indexes = await client.query<{
    schema: string;
    table: string;
    index: string;
    size: string;
    scans: string;
    unique: boolean;
    primary: boolean;
    valid: boolean;
    method: string;
    signature: string;
    tuples: number;
    key_width: number | null;
    fillfactor: number;
    block_size: number;
  }>(
    `SELECT n.nspname AS schema, t.relname AS table, c.relname AS index, pg_relation_size(c.oid)::text AS size,
            coalesce(s.idx_scan, 0)::text AS scans, i.indisunique AS unique, i.indisprimary AS primary,
            i.indisvalid AS valid, am.amname AS method,
            i.indkey::text || '|' || i.indclass::text || '|' || coalesce(pg_get_expr(i.indexprs, i.indrelid), '') ||
              '|' || coalesce(pg_get_expr(i.indpred, i.indrelid), '') AS signature,
            t.reltuples::float8 AS tuples,
            (SELECT CASE WHEN 0 = ANY (i.indkey::int2[]) OR count(st.avg_width) < i.indnatts THEN NULL
                         ELSE sum(st.avg_width)::int END
               FROM pg_attribute a
               LEFT JOIN pg_stats st ON st.schemaname = n.nspname AND st.tablename = t.relname AND st.attname = a.attname
               WHERE a.attrelid = t.oid AND a.attnum = ANY (i.indkey::int2[])) AS key_width,
            coalesce((SELECT option_value::int FROM pg_options_to_table(c.reloptions) WHERE option_name = 'fillfactor'), 90) AS fillfactor,
            current_setting('block_size')::int AS block_size
     FROM pg_index i
     JOIN pg_class c ON c.oid = i.indexrelid
     JOIN pg_class t ON t.oid = i.indrelid
     JOIN pg_namespace n ON n.oid = t.relnamespace
     JOIN pg_am am ON am.oid = c.relam
     LEFT JOIN pg_stat_user_indexes s ON s.indexrelid = c.oid
     WHERE ${USER_SCHEMAS} ORDER BY 1, 3`,
  );
  const age = await client.query<{ seconds: number | null }>(
    `SELECT extract(epoch FROM now() - coalesce(stats_reset, pg_postmaster_start_time()))::float8 AS seconds
     FROM pg_stat_database WHERE datname = current_database()`,
  );
  const activity = await client.query<{
    pid: number;
    state: string;
    running_ms: number;
    query: string;
    waiting: boolean;
    blocked_by: number[];
  }>(
    `SELECT pid, state, (extract(epoch FROM now() - coalesce(xact_start, query_start)) * 1000)::float8 AS running_ms,
            left(query, 1000) AS query, coalesce(wait_event_type = 'Lock', false) AS waiting,
            pg_blocking_pids(pid) AS blocked_by
     FROM pg_stat_activity
     WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'
       AND state IS NOT NULL AND state <> 'idle'`,
  );
  const seconds = age.rows[0]?.seconds;
  return {
    tables: tables.rows.map((r) => ({
      schema: r.schema,
      table: r.table,
      liveTuples: Number(r.live),
      deadTuples: Number(r.dead),
      modifiedSinceAnalyze: Number(r.modified),
      lastAnalyzed: r.analyzed ?? undefined,
    })),
    indexes: indexes.rows.map((r) => ({
      schema: r.schema,
      table: r.table,
      index: r.index,
      sizeBytes: Number(r.size),
      pages: Math.ceil(Number(r.size) / r.block_size),
      scans: Number(r.scans),
      unique: r.unique,
      primary: r.primary,
      valid: r.valid,
      method: r.method,
      signature: r.signature,
      tuples: r.tuples,
      keyWidth: r.key_width ?? undefined,
      fillfactor: r.fillfactor,
      blockSize: r.block_size,
    })),
    statsAgeMs: seconds === null || seconds === undefined ? undefined : seconds * 1000,
    activity: activity.rows.map((r) => ({
      pid: r.pid,
      state: r.state,
      runningMs: r.running_ms,
      query: r.query,
      waitingForLock: r.waiting,
      blockedBy: r.blocked_by,
    })),
  };
}
