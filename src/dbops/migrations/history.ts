/**
 * The history table in the gateway's database: one row per file applied or undone, with its
 * checksum, who applied it and how long it took. Nothing is ever written for a file that failed:
 * the table never holds a "dirty" state to clean up by hand.
 */
import { qualified, quoteIdentifier, type HistoryRow, type MigrationFile } from '../../domain/dbops/index.js';
import type { GatewayClient } from '../connection/client.js';

export interface HistoryTable {
  readonly schema: string;
  readonly table: string;
}

export function historyName(h: HistoryTable): string {
  return qualified(h.schema, h.table);
}

export async function ensureHistoryTable(client: GatewayClient, h: HistoryTable): Promise<void> {
  await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(h.schema)}`);
  await client.query(
    `CREATE TABLE IF NOT EXISTS ${historyName(h)} (
       installed_rank bigserial PRIMARY KEY,
       version text NOT NULL,
       description text NOT NULL,
       type text NOT NULL CHECK (type IN ('SQL', 'UNDO')),
       script text NOT NULL,
       checksum text NOT NULL,
       installed_by text NOT NULL DEFAULT current_user,
       installed_at timestamptz NOT NULL DEFAULT now(),
       execution_ms integer NOT NULL,
       applied_by text NOT NULL
     )`,
  );
}

interface Row {
  installed_rank: string;
  version: string;
  description: string;
  type: 'SQL' | 'UNDO';
  script: string;
  checksum: string;
  installed_at: Date;
}

/** Every row, oldest first; empty when the table does not exist yet. */
export async function readHistory(client: GatewayClient, h: HistoryTable): Promise<HistoryRow[]> {
  const exists = await client.query<{ found: boolean }>('SELECT to_regclass($1) IS NOT NULL AS found', [
    historyName(h),
  ]);
  if (exists.rows[0]?.found !== true) return [];
  const result = await client.query<Row>(
    `SELECT installed_rank::text, version, description, type, script, checksum, installed_at
     FROM ${historyName(h)} ORDER BY installed_rank`,
  );
  return result.rows.map((r) => ({
    installedRank: Number(r.installed_rank),
    version: r.version,
    description: r.description,
    type: r.type,
    script: r.script,
    checksum: r.checksum,
    installedAt: r.installed_at,
  }));
}

export async function recordHistory(
  client: GatewayClient,
  h: HistoryTable,
  file: MigrationFile,
  executionMs: number,
  appliedBy: string,
): Promise<void> {
  await client.query(
    `INSERT INTO ${historyName(h)} (version, description, type, script, checksum, execution_ms, applied_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [
      file.version,
      file.description,
      file.type === 'undo' ? 'UNDO' : 'SQL',
      file.name,
      file.checksum,
      Math.round(executionMs),
      appliedBy,
    ],
  );
}

/** `db repair`: the newest applied row of a version takes the file's checksum as it is now. */
export async function repairChecksum(
  client: GatewayClient,
  h: HistoryTable,
  version: string,
  file: MigrationFile,
): Promise<void> {
  await client.query(
    `UPDATE ${historyName(h)} SET checksum = $2, script = $3
     WHERE installed_rank = (SELECT max(installed_rank) FROM ${historyName(h)} WHERE version = $1 AND type = 'SQL')`,
    [version, file.checksum, file.name],
  );
}
