/**
 * Security events (WAF matches) as rows: written by the processor in its transaction (a
 * reprocessed batch inserts nothing twice: the key is the batch and the position in it), read by
 * time and client address — what the threat correlation of a later issue builds on.
 */
import type { SecurityEvent } from '../domain/telemetry/records.js';
import { identifier, type Queryable, type SqlParam } from '../storage/database.js';

export interface StoredSecurityEvent extends Omit<SecurityEvent, 'timeMs'> {
  readonly occurredAt: Date;
}

export interface SecurityEventQuery {
  readonly since: Date;
  readonly until: Date;
  readonly clientIp?: string;
  readonly ruleId?: string;
  /** Newest first; default 100, at most 10,000. */
  readonly limit?: number;
}

interface Row {
  occurred_at: Date;
  gateway_id: string;
  stream: string;
  sequence: string | number;
  entry_index: number;
  rule_id: string;
  rule_description: string;
  threat_type: string;
  severity: string;
  action: string;
  client_ip: string;
  payload: string;
  country: string;
  asn: string;
  host: string;
  uri: string;
  method: string;
  status_code: number;
  request_id: string;
  route: string;
  rule_sets: string;
}

export async function insertSecurityEvents(
  tx: Queryable,
  schema: string,
  events: readonly SecurityEvent[],
): Promise<void> {
  if (events.length === 0) return;
  const rows = events.map((e) => ({
    t: new Date(e.timeMs).toISOString(),
    g: e.gatewayId,
    st: e.stream,
    sq: e.sequence,
    i: e.index,
    r: e.ruleId,
    rd: e.ruleDescription,
    tt: e.threatType,
    sv: e.severity,
    a: e.action,
    ip: e.clientIp,
    p: e.payload,
    c: e.country,
    asn: e.asn,
    h: e.host,
    u: e.uri,
    m: e.method,
    sc: e.statusCode,
    rq: e.requestId,
    ro: e.route,
    rs: e.ruleSets.join(','),
  }));
  await tx.query(
    `INSERT INTO ${identifier(schema)}.security_events
       (occurred_at, gateway_id, stream, sequence, entry_index, rule_id, rule_description, threat_type,
        severity, action, client_ip, payload, country, asn, host, uri, method, status_code, request_id,
        route, rule_sets)
     SELECT x.t, x.g, x.st, x.sq, x.i, x.r, x.rd, x.tt, x.sv, x.a, x.ip, x.p, x.c, x.asn, x.h, x.u, x.m,
            x.sc, x.rq, x.ro, x.rs
       FROM jsonb_to_recordset($1::jsonb) AS x(t timestamptz, g text, st text, sq bigint, i integer,
            r text, rd text, tt text, sv text, a text, ip text, p text, c text, asn text, h text, u text,
            m text, sc integer, rq text, ro text, rs text)
     ON CONFLICT DO NOTHING`,
    [JSON.stringify(rows)],
  );
}

export async function querySecurityEvents(
  db: Queryable,
  schema: string,
  query: SecurityEventQuery,
): Promise<StoredSecurityEvent[]> {
  const params: SqlParam[] = [query.since, query.until];
  let where = 'occurred_at >= $1 AND occurred_at < $2';
  if (query.clientIp !== undefined) {
    params.push(query.clientIp);
    where += ` AND client_ip = $${params.length}`;
  }
  if (query.ruleId !== undefined) {
    params.push(query.ruleId);
    where += ` AND rule_id = $${params.length}`;
  }
  params.push(Math.min(Math.max(query.limit ?? 100, 1), 10_000));
  const result = await db.query<Row>(
    `SELECT * FROM ${identifier(schema)}.security_events WHERE ${where}
      ORDER BY occurred_at DESC, gateway_id, stream, sequence, entry_index LIMIT $${params.length}`,
    params,
  );
  return result.rows.map((r) => ({
    occurredAt: r.occurred_at,
    gatewayId: r.gateway_id,
    stream: r.stream,
    sequence: Number(r.sequence),
    index: r.entry_index,
    ruleId: r.rule_id,
    ruleDescription: r.rule_description,
    threatType: r.threat_type,
    severity: r.severity,
    action: r.action,
    clientIp: r.client_ip,
    payload: r.payload,
    country: r.country,
    asn: r.asn,
    host: r.host,
    uri: r.uri,
    method: r.method,
    statusCode: r.status_code,
    requestId: r.request_id,
    route: r.route,
    ruleSets: r.rule_sets === '' ? [] : r.rule_sets.split(','),
  }));
}
