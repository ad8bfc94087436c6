/**
 * The server's health as a DatabaseConnection shows it: version, size, connections and the
 * oldest open transaction (of the sessions the user may see; pg_read_all_stats sees them all).
 */
import type { GatewayClient } from './client.js';

export interface ServerHealth {
  readonly versionNumber: number;
  readonly version: string;
  readonly sizeBytes: number;
  readonly connections: number;
  readonly maxConnections: number;
  readonly longestTransactionSeconds: number;
}

interface HealthRow {
  version_number: number;
  version: string;
  size_bytes: string;
  connections: number;
  max_connections: number;
  longest_transaction: number | null;
}

export async function serverHealth(client: GatewayClient): Promise<ServerHealth> {
  const result = await client.query<HealthRow>(
    `SELECT current_setting('server_version_num')::int AS version_number,
            split_part(current_setting('server_version'), ' ', 1) AS version,
            pg_database_size(current_database())::text AS size_bytes,
            (SELECT count(*)::int FROM pg_stat_activity WHERE datname = current_database()) AS connections,
            current_setting('max_connections')::int AS max_connections,
            (SELECT greatest(0, floor(max(extract(epoch FROM clock_timestamp() - xact_start))))::int FROM pg_stat_activity
              WHERE xact_start IS NOT NULL AND pid <> pg_backend_pid()) AS longest_transaction`,
  );
  const row = result.rows[0];
  if (!row) throw new Error('the health query returned no row');
  return {
    versionNumber: row.version_number,
    version: row.version,
    sizeBytes: Number(row.size_bytes),
    connections: row.connections,
    maxConnections: row.max_connections,
    longestTransactionSeconds: row.longest_transaction ?? 0,
  };
}

/** Just the version, for operations that check it before they start. */
export async function serverVersionNumber(client: GatewayClient): Promise<number> {
  const result = await client.query<{ v: number }>(`SELECT current_setting('server_version_num')::int AS v`);
  return result.rows[0]?.v ?? 0;
}
