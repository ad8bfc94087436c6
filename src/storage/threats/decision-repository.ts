/**
 * Decisions in storage: one row per (scope, value), updated in place by every new decision on
 * that value (a transaction reads the row and writes the merge, so two overflows at once cannot
 * duplicate or shorten a decision). Expired rows stay as the history escalation reads.
 */
import { mergeDecision, type Decision, type DecisionRequest } from '../../domain/threats/decisions.js';
import type { DecisionScope } from '../../domain/threats/scenario.js';
import { identifier, type Database, type Queryable } from '../database.js';

interface Row {
  scope: DecisionScope;
  value: string;
  type: Decision['type'];
  origin: Decision['origin'];
  scenario: string;
  reason: string;
  offences: number;
  created_at: Date | string;
  updated_at: Date | string;
  until: Date | string;
}

export class DecisionRepository {
  private readonly table: string;

  constructor(
    private readonly db: Database,
    schema: string,
  ) {
    this.table = `${identifier(schema)}.threat_decisions`;
  }

  /** Stores the merge of `request` with what is stored for its value; returns the stored decision. */
  async decide(request: DecisionRequest, nowMs: number): Promise<Decision> {
    return this.db.transaction(async (tx) => {
      const { rows } = await tx.query<Row>(
        `SELECT * FROM ${this.table} WHERE scope = $1 AND value = $2 FOR UPDATE`,
        [request.scope, request.value],
      );
      const existing = rows[0] && toDecision(rows[0]);
      const next = mergeDecision(existing, request, nowMs);
      await this.write(tx, next);
      return next;
    });
  }

  /** Decisions in force at `nowMs`, or every stored one with `includeExpired`. */
  async list(nowMs: number, includeExpired = false): Promise<Decision[]> {
    const { rows } = includeExpired
      ? await this.db.query<Row>(`SELECT * FROM ${this.table} ORDER BY until DESC, value`)
      : await this.db.query<Row>(`SELECT * FROM ${this.table} WHERE until > $1 ORDER BY until DESC, value`, [
          new Date(nowMs),
        ]);
    return rows.map(toDecision);
  }

  async get(scope: DecisionScope, value: string): Promise<Decision | undefined> {
    const { rows } = await this.db.query<Row>(`SELECT * FROM ${this.table} WHERE scope = $1 AND value = $2`, [
      scope,
      value,
    ]);
    return rows[0] && toDecision(rows[0]);
  }

  /** Ends a decision now (kept as history); false when none was in force. */
  async expire(scope: DecisionScope, value: string, nowMs: number): Promise<boolean> {
    const at = new Date(nowMs);
    const { rowCount } = await this.db.query(
      `UPDATE ${this.table} SET until = $3, updated_at = $3 WHERE scope = $1 AND value = $2 AND until > $3`,
      [scope, value, at],
    );
    return rowCount > 0;
  }

  /** Decisions in force per scenario id. */
  async activeByScenario(nowMs: number): Promise<Map<string, number>> {
    const { rows } = await this.db.query<{ scenario: string; n: number | string }>(
      `SELECT scenario, count(*) AS n FROM ${this.table} WHERE until > $1 GROUP BY scenario`,
      [new Date(nowMs)],
    );
    return new Map(rows.map((r) => [r.scenario, Number(r.n)]));
  }

  private async write(tx: Queryable, d: Decision): Promise<void> {
    await tx.query(
      `INSERT INTO ${this.table} (scope, value, type, origin, scenario, reason, offences, created_at, updated_at, until)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       ON CONFLICT (scope, value) DO UPDATE SET type = $3, origin = $4, scenario = $5, reason = $6,
         offences = $7, created_at = $8, updated_at = $9, until = $10`,
      [
        d.scope,
        d.value,
        d.type,
        d.origin,
        d.scenario,
        d.reason.slice(0, 2000),
        d.offences,
        new Date(d.createdAtMs),
        new Date(d.updatedAtMs),
        new Date(d.untilMs),
      ],
    );
  }
}

function toDecision(row: Row): Decision {
  return {
    scope: row.scope,
    value: row.value,
    type: row.type,
    origin: row.origin,
    scenario: row.scenario,
    reason: row.reason,
    offences: row.offences,
    createdAtMs: new Date(row.created_at).getTime(),
    updatedAtMs: new Date(row.updated_at).getTime(),
    untilMs: new Date(row.until).getTime(),
  };
}
