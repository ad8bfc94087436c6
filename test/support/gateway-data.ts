/**
 * Rows for the gateway's tables, made by the server (generate_series), so a million rows take
 * seconds rather than a million round trips. Old rows are dated 31–60 days ago and new ones 0–29,
 * so a 30-day retention splits them exactly, whatever second the test runs.
 */
import type pg from 'pg';

export interface Filled {
  readonly old: number;
  readonly recent: number;
}

type Query = (sql: string, values?: unknown[]) => Promise<pg.QueryResultRow[]>;

/** `total` request_logs rows, `oldShare` of them older than 30 days. */
export async function fillRequestLogs(query: Query, total: number, oldShare = 0.5): Promise<Filled> {
  const old = Math.round(total * oldShare);
  const rows = (from: number, count: number, daysAgo: [number, number]): string =>
    `INSERT INTO request_logs (request_id, timestamp, client_ip, method, uri, user_agent, status_code,
       response_time_ms, bytes_sent, bytes_received, backend_name, cache_hit, metadata)
     SELECT 'req-' || g,
            now() - interval '1 day' * ${daysAgo[0]} - (interval '1 day' * ${daysAgo[1] - daysAgo[0]}) * ((g - ${from})::float / ${Math.max(count, 1)}),
            ('10.' || (g / 65536 % 256) || '.' || (g / 256 % 256) || '.' || (g % 256))::inet,
            (ARRAY['GET', 'POST', 'PUT', 'DELETE'])[1 + g % 4],
            '/api/items/' || g || '?q="quoted, with comma"',
            'test-agent/1.0',
            (ARRAY[200, 200, 200, 404, 500])[1 + g % 5],
            g % 900, 1000 + g % 5000, 200, 'shop-api', g % 3 = 0,
            jsonb_build_object('n', g, 'note', E'line\\nbreak')
     FROM generate_series(${from}, ${from + count - 1}) AS g`;
  if (old > 0) await query(rows(1, old, [31, 60]));
  if (total - old > 0) await query(rows(old + 1, total - old, [0, 29]));
  return { old, recent: total - old };
}

/** Expired and live cache entries (`expires_at` in the past or the future). */
export async function fillCacheEntries(query: Query, expired: number, live: number): Promise<void> {
  await query(
    `INSERT INTO cache_entries (key_hash, key_value, value_data, expires_at)
     SELECT md5(g::text), 'key-' || g, decode(md5(g::text), 'hex'),
            CASE WHEN g <= ${expired} THEN now() - interval '1 hour' ELSE now() + interval '1 hour' END
     FROM generate_series(1, ${expired + live}) AS g`,
  );
}
