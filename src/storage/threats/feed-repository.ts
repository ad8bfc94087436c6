/**
 * Every SQL statement of threat feeds: the state of each feed's attempts and the list in service,
 * so that a restarted or new leader serves the last good list at once and keeps the schedule.
 * An attempt and, when it brought a new list, the list are written in one transaction.
 */
import { decodeRangeSet, encodeRangeSet } from '../../domain/threats/range-codec.js';
import type { RangeSet } from '../../domain/threats/ip-ranges.js';
import { identifier, type Database, type Queryable } from '../database.js';

/** The list in service, as stored. */
export interface StoredListInfo {
  readonly version: string;
  /** The source settings it was downloaded with. */
  readonly sourceHash: string;
  readonly etag: string | undefined;
  readonly lastModified: string | undefined;
  readonly entries: number;
  readonly reservedEntries: number;
  readonly ranges: number;
  /** When it was last confirmed current (a good download or a 304). */
  readonly refreshedAt: Date;
  /** When it last changed. */
  readonly changedAt: Date;
}

export interface StoredFeedState {
  readonly feed: string;
  readonly uid: string;
  /** The source settings of the last attempt. */
  readonly sourceHash: string;
  readonly lastAttemptAt: Date | undefined;
  readonly failures: number;
  /** Condition reason of the last attempt: Refreshed, NotModified, or why it failed. */
  readonly lastReason: string | undefined;
  readonly lastMessage: string | undefined;
  readonly list: StoredListInfo | undefined;
}

export type RecordedAttempt =
  | { readonly kind: 'failed'; readonly reason: string; readonly message: string }
  | { readonly kind: 'not-modified' }
  | {
      readonly kind: 'accepted';
      readonly version: string;
      readonly ranges: RangeSet;
      readonly rangeCount: number;
      readonly entries: number;
      readonly reservedEntries: number;
      readonly etag: string | undefined;
      readonly lastModified: string | undefined;
    };

interface StateRow {
  feed: string;
  uid: string;
  source_hash: string;
  last_attempt_at: Date | string | null;
  failures: number;
  last_reason: string | null;
  last_message: string | null;
  list_version: string | null;
  list_source_hash: string | null;
  etag: string | null;
  last_modified: string | null;
  entries: number | null;
  reserved_entries: number | null;
  ranges: number | null;
  last_refresh_at: Date | string | null;
  last_change_at: Date | string | null;
}

const MAX_MESSAGE = 2000;

export class ThreatFeedRepository {
  private readonly feeds: string;
  private readonly lists: string;

  constructor(
    private readonly db: Database,
    schema: string,
  ) {
    this.feeds = `${identifier(schema)}.threat_feeds`;
    this.lists = `${identifier(schema)}.threat_feed_lists`;
  }

  async get(feed: string): Promise<StoredFeedState | undefined> {
    const { rows } = await this.db.query<StateRow>(`SELECT * FROM ${this.feeds} WHERE feed = $1`, [feed]);
    const row = rows[0];
    return row && toState(row);
  }

  /** The list in service, if it is still the one of `version`. */
  async loadList(feed: string, version: string): Promise<RangeSet | undefined> {
    const { rows } = await this.db.query<{ v4: string; v6: string }>(
      `SELECT v4, v6 FROM ${this.lists} WHERE feed = $1 AND version = $2`,
      [feed, version],
    );
    const row = rows[0];
    if (!row) return undefined;
    return decodeRangeSet(Buffer.from(row.v4, 'base64'), Buffer.from(row.v6, 'base64'));
  }

  /** Records an attempt's outcome; an accepted list with a new version replaces the stored one. */
  async record(
    feed: string,
    uid: string,
    sourceHash: string,
    at: Date,
    attempt: RecordedAttempt,
    previous: StoredFeedState | undefined,
  ): Promise<void> {
    await this.db.transaction(async (tx) => {
      // A feed deleted and created again under its name does not inherit the old one's state.
      if (previous && previous.uid !== uid)
        await tx.query(`DELETE FROM ${this.feeds} WHERE feed = $1`, [feed]);
      const kept = previous?.uid === uid ? previous : undefined;
      const failures = attempt.kind === 'failed' ? (kept?.failures ?? 0) + 1 : 0;
      const reason =
        attempt.kind === 'failed'
          ? attempt.reason
          : attempt.kind === 'accepted'
            ? 'Refreshed'
            : 'NotModified';
      const message = attempt.kind === 'failed' ? attempt.message.slice(0, MAX_MESSAGE) : null;
      await tx.query(
        `INSERT INTO ${this.feeds} (feed, uid, source_hash, last_attempt_at, failures, last_reason, last_message, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $4)
         ON CONFLICT (feed) DO UPDATE SET uid = $2, source_hash = $3, last_attempt_at = $4, failures = $5,
           last_reason = $6, last_message = $7, updated_at = $4`,
        [feed, uid, sourceHash, at, failures, reason, message],
      );
      if (attempt.kind === 'not-modified') {
        await tx.query(`UPDATE ${this.feeds} SET last_refresh_at = $2 WHERE feed = $1`, [feed, at]);
      } else if (attempt.kind === 'accepted') {
        await this.storeList(tx, feed, sourceHash, at, attempt, kept?.list);
      }
    });
  }

  async delete(feed: string): Promise<void> {
    await this.db.query(`DELETE FROM ${this.feeds} WHERE feed = $1`, [feed]);
  }

  private async storeList(
    tx: Queryable,
    feed: string,
    sourceHash: string,
    at: Date,
    list: Extract<RecordedAttempt, { kind: 'accepted' }>,
    before: StoredListInfo | undefined,
  ): Promise<void> {
    const changed = before?.version !== list.version;
    await tx.query(
      `UPDATE ${this.feeds} SET list_version = $2, list_source_hash = $3, etag = $4, last_modified = $5,
         entries = $6, reserved_entries = $7, ranges = $8, last_refresh_at = $9,
         last_change_at = CASE WHEN $10 THEN $9 ELSE last_change_at END
       WHERE feed = $1`,
      [
        feed,
        list.version,
        sourceHash,
        list.etag ?? null,
        list.lastModified ?? null,
        list.entries,
        list.reservedEntries,
        list.rangeCount,
        at,
        changed,
      ],
    );
    // The same ranges as before (a 200 with the same content): no rewrite of megabytes.
    if (!changed) return;
    const { v4, v6 } = encodeRangeSet(list.ranges);
    await tx.query(
      `INSERT INTO ${this.lists} (feed, version, v4, v6) VALUES ($1, $2, $3, $4)
       ON CONFLICT (feed) DO UPDATE SET version = $2, v4 = $3, v6 = $4`,
      [feed, list.version, Buffer.from(v4).toString('base64'), Buffer.from(v6).toString('base64')],
    );
  }
}

/**
 * The state `record` leaves, computed without the database: what the controller keeps in memory,
 * and serves from when the database could not take the write.
 */
export function stateAfter(
  previous: StoredFeedState | undefined,
  feed: string,
  uid: string,
  sourceHash: string,
  at: Date,
  attempt: RecordedAttempt,
): StoredFeedState {
  const kept = previous?.uid === uid ? previous : undefined;
  let list = kept?.list;
  if (attempt.kind === 'not-modified' && list) list = { ...list, refreshedAt: at };
  if (attempt.kind === 'accepted') {
    list = {
      version: attempt.version,
      sourceHash,
      etag: attempt.etag,
      lastModified: attempt.lastModified,
      entries: attempt.entries,
      reservedEntries: attempt.reservedEntries,
      ranges: attempt.rangeCount,
      refreshedAt: at,
      changedAt: list?.version === attempt.version ? list.changedAt : at,
    };
  }
  return {
    feed,
    uid,
    sourceHash,
    lastAttemptAt: at,
    failures: attempt.kind === 'failed' ? (kept?.failures ?? 0) + 1 : 0,
    lastReason:
      attempt.kind === 'failed' ? attempt.reason : attempt.kind === 'accepted' ? 'Refreshed' : 'NotModified',
    lastMessage: attempt.kind === 'failed' ? attempt.message.slice(0, MAX_MESSAGE) : undefined,
    list,
  };
}

function toState(row: StateRow): StoredFeedState {
  const list: StoredListInfo | undefined =
    row.list_version === null
      ? undefined
      : {
          version: row.list_version,
          sourceHash: row.list_source_hash ?? '',
          etag: row.etag ?? undefined,
          lastModified: row.last_modified ?? undefined,
          entries: row.entries ?? 0,
          reservedEntries: row.reserved_entries ?? 0,
          ranges: row.ranges ?? 0,
          refreshedAt: toDate(row.last_refresh_at) ?? new Date(0),
          changedAt: toDate(row.last_change_at) ?? toDate(row.last_refresh_at) ?? new Date(0),
        };
  return {
    feed: row.feed,
    uid: row.uid,
    sourceHash: row.source_hash,
    lastAttemptAt: toDate(row.last_attempt_at),
    failures: row.failures,
    lastReason: row.last_reason ?? undefined,
    lastMessage: row.last_message ?? undefined,
    list,
  };
}

/** node-postgres gives Dates; PGlite may give text. */
function toDate(value: Date | string | null): Date | undefined {
  if (value === null) return undefined;
  return value instanceof Date ? value : new Date(value);
}
