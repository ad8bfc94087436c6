/** The incidents and decisions endpoints: storage read through the same store as telemetry. */
import type { Database } from '../storage/database.js';
import { DecisionRepository } from '../storage/threats/decision-repository.js';
import { IncidentRepository } from '../storage/threats/incident-repository.js';
import { incidentJson } from '../threats/incident-json.js';
import { ApiProblem } from './route.js';
import type { TelemetrySources } from './telemetry-view.js';

function database(sources: TelemetrySources): Database {
  const db = sources.store.database;
  if (!db)
    throw new ApiProblem(503, 'ServiceUnavailable', `the store is not available: ${sources.store.status}`);
  return db;
}

export async function incidentsView(
  sources: TelemetrySources,
  query: { sinceMs: number; policy?: string; limit: number },
): Promise<{ items: ReturnType<typeof incidentJson>[] }> {
  const incidents = await new IncidentRepository(database(sources), sources.schema).list(query);
  return { items: incidents.map(incidentJson) };
}

export async function incidentView(
  sources: TelemetrySources,
  id: string,
): Promise<ReturnType<typeof incidentJson>> {
  const incident = await new IncidentRepository(database(sources), sources.schema).get(id);
  if (!incident) throw new ApiProblem(404, 'NotFound', `no incident with id ${id}`);
  return incidentJson(incident);
}

export async function decisionsView(sources: TelemetrySources, all: boolean) {
  const now = sources.now();
  const decisions = await new DecisionRepository(database(sources), sources.schema).list(now, all);
  return {
    items: decisions.map((d) => ({
      scope: d.scope,
      value: d.value,
      type: d.type,
      origin: d.origin,
      scenario: d.scenario,
      reason: d.reason,
      offences: d.offences,
      created: new Date(d.createdAtMs).toISOString(),
      until: new Date(d.untilMs).toISOString(),
      active: d.untilMs > now,
    })),
  };
}
