/** The SQL of telemetry_batches as the processor uses it: claim unprocessed batches, mark, prune. */
import { identifier, type Queryable } from '../storage/database.js';

export interface StoredBatch {
  readonly gatewayId: string;
  readonly stream: string;
  readonly sequence: number;
  readonly receivedAtMs: number;
  readonly entryCount: number;
  readonly droppedAccess: number;
  readonly droppedSecurity: number;
  readonly entries: Uint8Array;
}

interface BatchRow {
  gateway_id: string;
  stream: string;
  sequence: string | number;
  received_at: Date;
  entry_count: number;
  dropped_access: string | number;
  dropped_security: string | number;
  entries: Uint8Array;
}

export class BatchRepository {
  private readonly table: string;

  constructor(
    private readonly db: Queryable,
    schema: string,
  ) {
    this.table = `${identifier(schema)}.telemetry_batches`;
  }

  /**
   * The oldest unprocessed batches, locked for this transaction (another processor skips them):
   * at most `limit` batches, and no more once `maxEntries` records are reached.
   */
  async claim(limit: number, maxEntries: number): Promise<StoredBatch[]> {
    const result = await this.db.query<BatchRow>(
      `SELECT gateway_id, stream, sequence, received_at, entry_count, dropped_access, dropped_security, entries
         FROM ${this.table}
        WHERE processed_at IS NULL
        ORDER BY received_at, gateway_id, stream, sequence
        LIMIT $1
        FOR UPDATE SKIP LOCKED`,
      [limit],
    );
    const batches: StoredBatch[] = [];
    let entries = 0;
    for (const row of result.rows) {
      if (batches.length > 0 && entries + row.entry_count > maxEntries) break;
      entries += row.entry_count;
      batches.push({
        gatewayId: row.gateway_id,
        stream: row.stream,
        sequence: Number(row.sequence),
        receivedAtMs: row.received_at.getTime(),
        entryCount: row.entry_count,
        droppedAccess: Number(row.dropped_access),
        droppedSecurity: Number(row.dropped_security),
        entries: row.entries,
      });
    }
    return batches;
  }

  async markProcessed(batches: readonly StoredBatch[], at: Date): Promise<void> {
    if (batches.length === 0) return;
    const keys = batches.map((b) => ({ g: b.gatewayId, s: b.stream, q: b.sequence }));
    await this.db.query(
      `UPDATE ${this.table} t SET processed_at = $2
         FROM jsonb_to_recordset($1::jsonb) AS k(g text, s text, q bigint)
        WHERE t.gateway_id = k.g AND t.stream = k.s AND t.sequence = k.q AND t.processed_at IS NULL`,
      [JSON.stringify(keys), at],
    );
  }

  /** Deletes batches processed before `before`; returns how many. */
  async deleteProcessed(before: Date): Promise<number> {
    const result = await this.db.query(
      `DELETE FROM ${this.table} WHERE processed_at IS NOT NULL AND processed_at < $1`,
      [before],
    );
    return result.rowCount;
  }

  /** Unprocessed batches and the age of the oldest, for metrics. */
  async backlog(): Promise<{ batches: number; oldestMs: number | null }> {
    const result = await this.db.query<{ n: string | number; oldest: Date | null }>(
      `SELECT count(*) AS n, min(received_at) AS oldest FROM ${this.table} WHERE processed_at IS NULL`,
    );
    const row = result.rows[0];
    return { batches: Number(row?.n ?? 0), oldestMs: row?.oldest?.getTime() ?? null };
  }
}
