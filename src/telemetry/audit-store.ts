/**
 * The audit trail in SQL: appends are serialized by an advisory lock (and the unique previous
 * hash refuses a fork even without it), so replicas and CLIs appending at once extend one chain.
 * Verification reads the chain in pages from its anchor (GENESIS, or the last entry retention
 * removed); retention archives old entries before deleting them and moves the anchor.
 */
import {
  ChainVerifier,
  GENESIS,
  chainEntry,
  type AuditAction,
  type AuditEntry,
  type AuditEvent,
  type ChainProblem,
} from '../domain/telemetry/audit-chain.js';
import { canonicalJson } from '../domain/telemetry/audit-chain.js';
import { identifier, type Database, type Queryable, type SqlParam } from '../storage/database.js';
import type { ObjectStore } from '../storage/object-store.js';
import { archiveRows, verifyArchive } from './archive.js';
import { TELEMETRY_LOCK_CLASS } from './processor.js';

const AUDIT_LOCK = 2;
const ANCHOR_KEY = 'audit.anchor';
const PAGE = 5_000;

interface AuditRow {
  sequence: string | number;
  at: Date;
  action: string;
  actor: string;
  kind: string;
  namespace: string;
  name: string;
  generation: string | number;
  summary: string;
  details: string;
  previous_hash: string;
  hash: string;
}

export interface AuditQuery {
  readonly since?: Date;
  readonly until?: Date;
  readonly action?: AuditAction;
  readonly kind?: string;
  readonly namespace?: string;
  readonly name?: string;
  /** Only entries after this one (paging through an export). */
  readonly afterSequence?: number;
  /** Oldest first when true (exports), newest first otherwise. */
  readonly ascending?: boolean;
  /** Default 100, at most 10,000. */
  readonly limit?: number;
}

export interface VerifyResult {
  readonly checked: number;
  readonly problems: readonly ChainProblem[];
  /** The last entry: remember its hash elsewhere to detect entries removed from the end. */
  readonly head: { readonly sequence: number; readonly hash: string } | undefined;
  readonly anchor: { readonly sequence: number; readonly hash: string } | undefined;
}

export class AuditStore {
  private readonly s: string;

  constructor(
    private readonly db: Database,
    schema: string,
  ) {
    this.s = identifier(schema);
  }

  /** Appends events in order, in one transaction; returns the entries as stored. */
  async append(events: readonly AuditEvent[]): Promise<AuditEntry[]> {
    if (events.length === 0) return [];
    return this.db.transaction((tx) => this.appendIn(tx, events));
  }

  /** Takes the audit lock in `tx` (a caller's transaction, which may hold it already). */
  static lock(tx: Queryable): Promise<unknown> {
    return tx.query('SELECT pg_advisory_xact_lock($1, $2)', [TELEMETRY_LOCK_CLASS, AUDIT_LOCK]);
  }

  /** {@link append} inside the caller's transaction, with what else it writes. */
  async appendIn(tx: Queryable, events: readonly AuditEvent[]): Promise<AuditEntry[]> {
    if (events.length === 0) return [];
    await AuditStore.lock(tx);
    let previous = await this.last(tx);
    const entries: AuditEntry[] = [];
    for (const event of events) {
      const entry = chainEntry(previous, event);
      entries.push(entry);
      previous = entry;
    }
    await tx.query(
      `INSERT INTO ${this.s}.audit_log
         (sequence, at, action, actor, kind, namespace, name, generation, summary, details, previous_hash, hash)
       SELECT x.q, x.t, x.a, x.ac, x.k, x.ns, x.n, x.g, x.su, x.d, x.p, x.h
         FROM jsonb_to_recordset($1::jsonb) AS x(q bigint, t timestamptz, a text, ac text, k text, ns text,
              n text, g bigint, su text, d text, p text, h text)`,
      [
        JSON.stringify(
          entries.map((e) => ({
            q: e.sequence,
            t: new Date(e.timeMs).toISOString(),
            a: e.action,
            ac: e.actor,
            k: e.kind,
            ns: e.namespace,
            n: e.name,
            g: e.generation,
            su: e.summary,
            d: canonicalJson(e.details),
            p: e.previousHash,
            h: e.hash,
          })),
        ),
      ],
    );
    return entries;
  }

  async list(query: AuditQuery = {}): Promise<AuditEntry[]> {
    const params: SqlParam[] = [];
    const where: string[] = [];
    const add = (clause: string, value: SqlParam) => {
      params.push(value);
      where.push(clause.replace('?', `$${params.length}`));
    };
    if (query.since) add('at >= ?', query.since);
    if (query.until) add('at < ?', query.until);
    if (query.action) add('action = ?', query.action);
    if (query.kind) add('kind = ?', query.kind);
    if (query.namespace) add('namespace = ?', query.namespace);
    if (query.name) add('name = ?', query.name);
    if (query.afterSequence !== undefined) add('sequence > ?', query.afterSequence);
    params.push(Math.min(Math.max(query.limit ?? 100, 1), 10_000));
    const result = await this.db.query<AuditRow>(
      `SELECT * FROM ${this.s}.audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY sequence ${query.ascending ? 'ASC' : 'DESC'} LIMIT $${params.length}`,
      params,
    );
    return result.rows.map(toEntry);
  }

  /** Recomputes the whole chain from its anchor; reports every edited, missing or moved entry. */
  async verify(): Promise<VerifyResult> {
    const anchor = await this.anchor(this.db);
    const verifier = new ChainVerifier(anchor);
    let after = anchor?.sequence ?? 0;
    for (;;) {
      const page = await this.db.query<AuditRow>(
        `SELECT * FROM ${this.s}.audit_log WHERE sequence > $1 ORDER BY sequence LIMIT $2`,
        [after, PAGE],
      );
      for (const row of page.rows) verifier.check(toEntry(row));
      const last = page.rows.at(-1);
      if (!last || page.rows.length < PAGE) break;
      after = Number(last.sequence);
    }
    return { checked: verifier.checked, problems: verifier.problems, head: verifier.head, anchor };
  }

  /**
   * Archives entries older than `before` to the object store (when given), then deletes them and
   * records the last one as the chain's new anchor. Returns how many were removed.
   */
  async trim(before: Date, objectStore: ObjectStore | undefined, nowMs: number): Promise<number> {
    return this.db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1, $2)', [TELEMETRY_LOCK_CLASS, AUDIT_LOCK]);
      const range = await tx.query<{ first: string | null; last: string | null; n: string | number }>(
        `SELECT min(sequence) AS first, max(sequence) AS last, count(*) AS n FROM ${this.s}.audit_log WHERE at < $1`,
        [before],
      );
      const row = range.rows[0];
      if (!row || row.last === null || row.first === null) return 0;
      const last = Number(row.last);
      if (objectStore) {
        const written = await archiveRows(
          tx,
          `SELECT row_to_json(t)::text AS line FROM ${this.s}.audit_log t WHERE sequence <= ${last} ORDER BY sequence`,
          objectStore,
          `audit/audit_log-${String(Number(row.first)).padStart(12, '0')}-${String(last).padStart(12, '0')}.ndjson.gz`,
        );
        await verifyArchive(objectStore, written);
      }
      const lastRow = await tx.query<{ hash: string }>(
        `SELECT hash FROM ${this.s}.audit_log WHERE sequence = $1`,
        [last],
      );
      const hash = lastRow.rows[0]?.hash ?? GENESIS;
      await tx.query(
        `INSERT INTO ${this.s}.telemetry_state (key, value, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
        [ANCHOR_KEY, JSON.stringify({ sequence: last, hash }), new Date(nowMs)],
      );
      const deleted = await tx.query(`DELETE FROM ${this.s}.audit_log WHERE sequence <= $1`, [last]);
      return deleted.rowCount;
    });
  }

  private async last(tx: Queryable): Promise<{ sequence: number; hash: string } | undefined> {
    const result = await tx.query<{ sequence: string | number; hash: string }>(
      `SELECT sequence, hash FROM ${this.s}.audit_log ORDER BY sequence DESC LIMIT 1`,
    );
    const row = result.rows[0];
    if (row) return { sequence: Number(row.sequence), hash: row.hash };
    return this.anchor(tx);
  }

  private async anchor(db: Queryable): Promise<{ sequence: number; hash: string } | undefined> {
    const result = await db.query<{ value: string }>(
      `SELECT value FROM ${this.s}.telemetry_state WHERE key = $1`,
      [ANCHOR_KEY],
    );
    const value = result.rows[0]?.value;
    if (value === undefined) return undefined;
    const parsed = JSON.parse(value) as { sequence: number; hash: string };
    return { sequence: parsed.sequence, hash: parsed.hash };
  }
}

function toEntry(row: AuditRow): AuditEntry {
  return {
    sequence: Number(row.sequence),
    timeMs: row.at.getTime(),
    action: row.action as AuditAction,
    actor: row.actor,
    kind: row.kind,
    namespace: row.namespace,
    name: row.name,
    generation: Number(row.generation),
    summary: row.summary,
    details: parseDetails(row.details),
    previousHash: row.previous_hash,
    hash: row.hash,
  };
}

function parseDetails(text: string): Record<string, unknown> {
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : { value };
  } catch {
    // Edited into something that is not JSON: keep the text, so the hash check reports it.
    return { unparsable: text };
  }
}
