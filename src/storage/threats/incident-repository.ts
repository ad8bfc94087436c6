/**
 * Incidents in storage: an overflow of a scenario from a source opens an incident, and later
 * overflows from the same source extend it while it is open (its last event less than
 * OPEN_WINDOW_MS ago); after that a new one opens.
 */
import type { Incident, IncidentUpdate } from '../../domain/threats/incidents.js';
import { mergeIncident, OPEN_WINDOW_MS } from '../../domain/threats/incidents.js';
import { identifier, type Database } from '../database.js';

interface Row {
  id: string | number;
  policy: string;
  scenario: string;
  source: string;
  mode: Incident['mode'];
  first_seen: Date | string;
  last_seen: Date | string;
  events: string | number;
  overflows: number;
  samples: string;
  hosts: string;
  routes: string;
  decisions: string;
}

export interface IncidentQuery {
  readonly sinceMs?: number;
  /** `namespace/name` of a ThreatPolicy. */
  readonly policy?: string;
  readonly limit?: number;
}

export class IncidentRepository {
  private readonly table: string;

  constructor(
    private readonly db: Database,
    schema: string,
  ) {
    this.table = `${identifier(schema)}.threat_incidents`;
  }

  /** Opens or extends the incident of this overflow; returns it as stored, and whether it is new. */
  async record(update: IncidentUpdate): Promise<{ incident: Incident; opened: boolean }> {
    return this.db.transaction(async (tx) => {
      const { rows } = await tx.query<Row>(
        `SELECT * FROM ${this.table} WHERE scenario = $1 AND source = $2 AND last_seen > $3
         ORDER BY last_seen DESC LIMIT 1 FOR UPDATE`,
        [update.scenario, update.source, new Date(update.firstSeenMs - OPEN_WINDOW_MS)],
      );
      const open = rows[0] && toIncident(rows[0]);
      const next = mergeIncident(open, update);
      const params = [
        next.policy,
        next.scenario,
        next.source,
        next.mode,
        new Date(next.firstSeenMs),
        new Date(next.lastSeenMs),
        next.events,
        next.overflows,
        JSON.stringify(next.samples),
        JSON.stringify(next.hosts),
        JSON.stringify(next.routes),
        JSON.stringify(next.decisions),
      ];
      if (open) {
        await tx.query(
          `UPDATE ${this.table} SET policy = $1, scenario = $2, source = $3, mode = $4, first_seen = $5,
             last_seen = $6, events = $7, overflows = $8, samples = $9, hosts = $10, routes = $11, decisions = $12
           WHERE id = $13`,
          [...params, open.id],
        );
        return { incident: next, opened: false };
      }
      const inserted = await tx.query<{ id: string | number }>(
        `INSERT INTO ${this.table} (policy, scenario, source, mode, first_seen, last_seen, events, overflows,
           samples, hosts, routes, decisions)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
        params,
      );
      return { incident: { ...next, id: String(inserted.rows[0]?.id ?? '') }, opened: true };
    });
  }

  async list(query: IncidentQuery = {}): Promise<Incident[]> {
    const where: string[] = [];
    const params: (string | Date | number)[] = [];
    if (query.sinceMs !== undefined) {
      params.push(new Date(query.sinceMs));
      where.push(`last_seen >= $${params.length}`);
    }
    if (query.policy !== undefined) {
      params.push(query.policy);
      where.push(`policy = $${params.length}`);
    }
    params.push(Math.min(Math.max(query.limit ?? 100, 1), 1000));
    const { rows } = await this.db.query<Row>(
      `SELECT * FROM ${this.table} ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY last_seen DESC, id DESC LIMIT $${params.length}`,
      params,
    );
    return rows.map(toIncident);
  }

  async get(id: string): Promise<Incident | undefined> {
    if (!/^[0-9]{1,18}$/.test(id)) return undefined;
    const { rows } = await this.db.query<Row>(`SELECT * FROM ${this.table} WHERE id = $1`, [id]);
    return rows[0] && toIncident(rows[0]);
  }

  /** Incidents per policy whose last event is at or after `sinceMs`. */
  async countByPolicy(sinceMs: number): Promise<Map<string, number>> {
    const { rows } = await this.db.query<{ policy: string; n: string | number }>(
      `SELECT policy, count(*) AS n FROM ${this.table} WHERE last_seen >= $1 GROUP BY policy`,
      [new Date(sinceMs)],
    );
    return new Map(rows.map((r) => [r.policy, Number(r.n)]));
  }
}

function toIncident(row: Row): Incident {
  return {
    id: String(row.id),
    policy: row.policy,
    scenario: row.scenario,
    source: row.source,
    mode: row.mode,
    firstSeenMs: new Date(row.first_seen).getTime(),
    lastSeenMs: new Date(row.last_seen).getTime(),
    events: Number(row.events),
    overflows: row.overflows,
    samples: JSON.parse(row.samples) as Incident['samples'],
    hosts: JSON.parse(row.hosts) as string[],
    routes: JSON.parse(row.routes) as string[],
    decisions: JSON.parse(row.decisions) as Incident['decisions'],
  };
}
