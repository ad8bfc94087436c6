/**
 * Every SQL statement of the notifier (tables of migration 400): the alert store, aggregation
 * groups and their notification log, the outbox of deliveries with its dead letters, delivery
 * counts per channel, and named cursors. Times come from the caller's clock.
 */
import { identifier, type Queryable } from '../storage/database.js';
import type { Alert } from '../domain/notify/event.js';
import type { GroupState, LogEntry } from '../domain/notify/grouping.js';
import type { NotificationMessage } from '../domain/notify/message.js';

export interface StoredAlert {
  readonly revision: number;
  readonly source: string;
  readonly alert: Alert;
}

export interface PendingDelivery {
  readonly id: string;
  readonly channel: string;
  readonly policy: string;
  readonly groupKey: string;
  readonly message: NotificationMessage;
  readonly attempts: number;
  readonly nextAttemptAt: number;
  readonly createdAt: number;
}

export interface ChannelStats {
  readonly sent: number;
  readonly failed: number;
  readonly retried: number;
  readonly dead: number;
  readonly pending: number;
  readonly lastSentAt?: number;
  readonly lastFailureAt?: number;
  readonly lastError?: string;
}

export interface DeadJob {
  readonly id: string;
  readonly kind: string;
  readonly target: string;
  readonly lastError: string;
  readonly attempts: number;
  readonly finishedAt: number;
}

export type AttemptRecord =
  | { readonly outcome: 'sent'; readonly retry: boolean }
  | {
      readonly outcome: 'retry';
      readonly retry: boolean;
      readonly nextAttemptAt: number;
      readonly error: string;
    }
  | { readonly outcome: 'dead'; readonly retry: boolean; readonly error: string; readonly failed: boolean };

type Time = Date | string;
const ms = (value: Time): number => (value instanceof Date ? value.getTime() : Date.parse(value));
const MAX_ERROR = 1024;

export class NotifyRepository {
  private readonly s: string;

  constructor(
    private readonly db: Queryable,
    schema: string,
  ) {
    this.s = identifier(schema);
  }

  on(db: Queryable): NotifyRepository {
    return new NotifyRepository(db, this.s.slice(1, -1));
  }

  // --- alerts ---------------------------------------------------------------------------------

  /** Stores alerts (the last of each fingerprint wins), each with a new revision. */
  async upsertAlerts(
    items: readonly { readonly source: string; readonly alert: Alert }[],
    now: Date,
  ): Promise<void> {
    const latest = new Map<string, { source: string; alert: Alert }>();
    for (const item of items) latest.set(item.alert.fingerprint, item);
    if (latest.size === 0) return;
    const rows = [...latest.values()].map(({ source, alert }) => ({
      fingerprint: alert.fingerprint,
      source,
      type: alert.type,
      status: alert.status,
      alert,
    }));
    await this.db.query(
      `INSERT INTO ${this.s}.notify_alerts (fingerprint, source, type, status, alert, revision, updated_at)
       SELECT e->>'fingerprint', e->>'source', e->>'type', e->>'status', e->'alert',
              nextval('${this.s.slice(1, -1)}.notify_revision'), $2
       FROM jsonb_array_elements($1::jsonb) AS e
       ON CONFLICT (fingerprint) DO UPDATE SET
         source = EXCLUDED.source, type = EXCLUDED.type, status = EXCLUDED.status,
         alert = EXCLUDED.alert, revision = EXCLUDED.revision, updated_at = EXCLUDED.updated_at`,
      [JSON.stringify(rows), now],
    );
  }

  /** Alerts whose revision is above `after`, in revision order. */
  async alertsAfter(after: number, limit: number): Promise<StoredAlert[]> {
    const result = await this.db.query<{ revision: string; source: string; alert: Alert }>(
      `SELECT revision::text AS revision, source, alert FROM ${this.s}.notify_alerts
       WHERE revision > $1 ORDER BY revision LIMIT $2`,
      [after, limit],
    );
    return result.rows.map((r) => ({ revision: Number(r.revision), source: r.source, alert: r.alert }));
  }

  /** Firing alerts and those resolved since `resolvedSince`: what a notifier starting up knows. */
  async currentAlerts(resolvedSince: Date): Promise<StoredAlert[]> {
    const result = await this.db.query<{ revision: string; source: string; alert: Alert }>(
      `SELECT revision::text AS revision, source, alert FROM ${this.s}.notify_alerts
       WHERE status = 'firing' OR updated_at >= $1 ORDER BY revision`,
      [resolvedSince],
    );
    return result.rows.map((r) => ({ revision: Number(r.revision), source: r.source, alert: r.alert }));
  }

  async latestRevision(): Promise<number> {
    const result = await this.db.query<{ revision: string | null }>(
      `SELECT max(revision)::text AS revision FROM ${this.s}.notify_alerts`,
    );
    return Number(result.rows[0]?.revision ?? 0);
  }

  /** Resolved and one-off alerts last changed before `before` are forgotten. */
  async pruneAlerts(before: Date): Promise<number> {
    const result = await this.db.query(
      `DELETE FROM ${this.s}.notify_alerts
       WHERE updated_at < $1 AND (status = 'resolved' OR alert->>'lifecycle' = 'oneshot')`,
      [before],
    );
    return result.rowCount;
  }

  // --- groups and the notification log ---------------------------------------------------------

  async groups(): Promise<GroupState[]> {
    const result = await this.db.query<{ state: GroupState }>(`SELECT state FROM ${this.s}.notify_groups`);
    return result.rows.map((r) => r.state);
  }

  async saveGroup(group: GroupState, now: Date): Promise<void> {
    await this.db.query(
      `INSERT INTO ${this.s}.notify_groups (group_key, policy, state, next_flush_at, updated_at)
       VALUES ($1, $2, $3::jsonb, $4, $5)
       ON CONFLICT (group_key) DO UPDATE SET state = EXCLUDED.state, next_flush_at = EXCLUDED.next_flush_at,
         updated_at = EXCLUDED.updated_at`,
      [group.key, group.policy, JSON.stringify(group), new Date(group.nextFlushAt), now],
    );
  }

  async deleteGroup(key: string): Promise<void> {
    await this.db.query(`DELETE FROM ${this.s}.notify_groups WHERE group_key = $1`, [key]);
    await this.db.query(`DELETE FROM ${this.s}.notify_log WHERE group_key = $1`, [key]);
  }

  async logEntries(): Promise<{ groupKey: string; channel: string; entry: LogEntry }[]> {
    const result = await this.db.query<{ group_key: string; channel: string; entry: LogEntry }>(
      `SELECT group_key, channel, entry FROM ${this.s}.notify_log`,
    );
    return result.rows.map((r) => ({ groupKey: r.group_key, channel: r.channel, entry: r.entry }));
  }

  async saveLogEntry(groupKey: string, channel: string, entry: LogEntry): Promise<void> {
    await this.db.query(
      `INSERT INTO ${this.s}.notify_log (group_key, channel, entry) VALUES ($1, $2, $3::jsonb)
       ON CONFLICT (group_key, channel) DO UPDATE SET entry = EXCLUDED.entry`,
      [groupKey, channel, JSON.stringify(entry)],
    );
  }

  // --- deliveries -------------------------------------------------------------------------------

  async insertDelivery(
    delivery: { channel: string; policy: string; groupKey: string; message: NotificationMessage },
    now: Date,
  ): Promise<string> {
    const result = await this.db.query<{ id: string }>(
      `INSERT INTO ${this.s}.notify_deliveries (channel, policy, group_key, message, state, next_attempt_at, created_at)
       VALUES ($1, $2, $3, $4::jsonb, 'pending', $5, $5) RETURNING id::text AS id`,
      [delivery.channel, delivery.policy, delivery.groupKey, JSON.stringify(delivery.message), now],
    );
    const id = result.rows[0]?.id;
    if (id === undefined) throw new Error('the delivery was not stored');
    return id;
  }

  /** The oldest pending delivery of each channel: deliveries of a channel leave in order. */
  async heads(): Promise<PendingDelivery[]> {
    const result = await this.db.query<DeliveryRow>(
      `SELECT DISTINCT ON (channel) id::text AS id, channel, policy, group_key, message, attempts, next_attempt_at, created_at
       FROM ${this.s}.notify_deliveries WHERE state = 'pending' ORDER BY channel, id`,
    );
    return result.rows.map(toDelivery);
  }

  async pendingCounts(): Promise<Map<string, number>> {
    const result = await this.db.query<{ channel: string; count: string }>(
      `SELECT channel, count(*)::text AS count FROM ${this.s}.notify_deliveries WHERE state = 'pending' GROUP BY channel`,
    );
    return new Map(result.rows.map((r) => [r.channel, Number(r.count)]));
  }

  async recordAttempt(delivery: PendingDelivery, record: AttemptRecord, now: Date): Promise<void> {
    if (record.outcome === 'retry') {
      await this.db.query(
        `UPDATE ${this.s}.notify_deliveries SET attempts = attempts + 1, next_attempt_at = $2, last_error = $3
         WHERE id = $1::bigint`,
        [delivery.id, new Date(record.nextAttemptAt), record.error.slice(0, MAX_ERROR)],
      );
    } else {
      await this.db.query(
        `UPDATE ${this.s}.notify_deliveries SET attempts = attempts + 1, state = $2, last_error = $3, finished_at = $4
         WHERE id = $1::bigint`,
        [
          delivery.id,
          record.outcome,
          record.outcome === 'dead' ? record.error.slice(0, MAX_ERROR) : null,
          now,
        ],
      );
    }
    const sent = record.outcome === 'sent' ? 1 : 0;
    const failed = record.outcome === 'retry' || (record.outcome === 'dead' && record.failed) ? 1 : 0;
    const dead = record.outcome === 'dead' ? 1 : 0;
    const error = record.outcome === 'sent' ? null : record.error.slice(0, MAX_ERROR);
    await this.db.query(
      `INSERT INTO ${this.s}.notify_channel_stats AS c (channel, sent, failed, retried, dead, last_sent_at, last_failure_at, last_error)
       VALUES ($1::text, $2::bigint, $3::bigint, $4::bigint, $5::bigint,
               CASE WHEN $2::bigint > 0 THEN $6::timestamptz END, CASE WHEN $3::bigint > 0 THEN $6::timestamptz END, $7::text)
       ON CONFLICT (channel) DO UPDATE SET
         sent = c.sent + EXCLUDED.sent, failed = c.failed + EXCLUDED.failed, retried = c.retried + EXCLUDED.retried,
         dead = c.dead + EXCLUDED.dead,
         last_sent_at = COALESCE(EXCLUDED.last_sent_at, c.last_sent_at),
         last_failure_at = COALESCE(EXCLUDED.last_failure_at, c.last_failure_at),
         last_error = COALESCE(EXCLUDED.last_error, c.last_error)`,
      [delivery.channel, sent, failed, record.retry ? 1 : 0, dead, now, error],
    );
  }

  async stats(channel: string): Promise<ChannelStats> {
    const result = await this.db.query<{
      sent: string;
      failed: string;
      retried: string;
      dead: string;
      last_sent_at: Time | null;
      last_failure_at: Time | null;
      last_error: string | null;
      pending: string;
    }>(
      `SELECT coalesce(c.sent, 0)::text AS sent, coalesce(c.failed, 0)::text AS failed,
              coalesce(c.retried, 0)::text AS retried, coalesce(c.dead, 0)::text AS dead,
              c.last_sent_at, c.last_failure_at, c.last_error,
              (SELECT count(*) FROM ${this.s}.notify_deliveries d WHERE d.channel = $1 AND d.state = 'pending')::text AS pending
       FROM (SELECT $1::text AS channel) AS k LEFT JOIN ${this.s}.notify_channel_stats c ON c.channel = k.channel`,
      [channel],
    );
    const row = result.rows[0];
    if (!row) return { sent: 0, failed: 0, retried: 0, dead: 0, pending: 0 };
    return {
      sent: Number(row.sent),
      failed: Number(row.failed),
      retried: Number(row.retried),
      dead: Number(row.dead),
      pending: Number(row.pending),
      ...(row.last_sent_at ? { lastSentAt: ms(row.last_sent_at) } : {}),
      ...(row.last_failure_at ? { lastFailureAt: ms(row.last_failure_at) } : {}),
      ...(row.last_error ? { lastError: row.last_error } : {}),
    };
  }

  /** Dead letters, newest first. */
  async deadLetters(
    channel: string | undefined,
    limit: number,
  ): Promise<(PendingDelivery & { lastError: string })[]> {
    const result = await this.db.query<DeliveryRow & { last_error: string | null }>(
      `SELECT id::text AS id, channel, policy, group_key, message, attempts, next_attempt_at, created_at, last_error
       FROM ${this.s}.notify_deliveries WHERE state = 'dead' AND ($1::text IS NULL OR channel = $1::text)
       ORDER BY id DESC LIMIT $2`,
      [channel ?? null, limit],
    );
    return result.rows.map((r) => ({ ...toDelivery(r), lastError: r.last_error ?? '' }));
  }

  /** Sent deliveries finished before `sentBefore` and dead letters before `deadBefore` are deleted. */
  async pruneDeliveries(sentBefore: Date, deadBefore: Date): Promise<number> {
    const result = await this.db.query(
      `DELETE FROM ${this.s}.notify_deliveries
       WHERE (state = 'sent' AND finished_at < $1) OR (state = 'dead' AND finished_at < $2)`,
      [sentBefore, deadBefore],
    );
    return result.rowCount;
  }

  // --- cursors and the job queue ----------------------------------------------------------------

  async cursor(name: string): Promise<string | undefined> {
    const result = await this.db.query<{ value: string }>(
      `SELECT value FROM ${this.s}.notify_cursors WHERE name = $1`,
      [name],
    );
    return result.rows[0]?.value;
  }

  async setCursor(name: string, value: string, now: Date): Promise<void> {
    await this.db.query(
      `INSERT INTO ${this.s}.notify_cursors (name, value, updated_at) VALUES ($1, $2, $3)
       ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value, updated_at = EXCLUDED.updated_at`,
      [name, value, now],
    );
  }

  /** Jobs that went dead after (finishedAt, id), oldest first (the job queue's own table). */
  async deadJobsAfter(
    after: { readonly finishedAt: Date; readonly id: string },
    limit: number,
  ): Promise<DeadJob[]> {
    const result = await this.db.query<{
      id: string;
      kind: string;
      target: string;
      last_error: string | null;
      attempts: number;
      finished_at: Time;
    }>(
      // Milliseconds, as the cursor holds them: a microsecond left over would return the last job again.
      `SELECT id::text AS id, kind, target, last_error, attempts, date_trunc('milliseconds', finished_at) AS finished_at
       FROM ${this.s}.jobs
       WHERE state = 'dead' AND finished_at IS NOT NULL
         AND (date_trunc('milliseconds', finished_at), id::text) > ($1::timestamptz, $2::text)
       ORDER BY 6, 1 LIMIT $3`,
      [after.finishedAt, after.id, limit],
    );
    return result.rows.map((r) => ({
      id: r.id,
      kind: r.kind,
      target: r.target,
      lastError: r.last_error ?? '',
      attempts: r.attempts,
      finishedAt: ms(r.finished_at),
    }));
  }
}

interface DeliveryRow {
  id: string;
  channel: string;
  policy: string;
  group_key: string;
  message: NotificationMessage;
  attempts: number;
  next_attempt_at: Time;
  created_at: Time;
}

function toDelivery(row: DeliveryRow): PendingDelivery {
  return {
    id: row.id,
    channel: row.channel,
    policy: row.policy,
    groupKey: row.group_key,
    message: row.message,
    attempts: row.attempts,
    nextAttemptAt: ms(row.next_attempt_at),
    createdAt: ms(row.created_at),
  };
}
