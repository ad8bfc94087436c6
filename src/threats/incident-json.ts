/** An incident as the CLI and the HTTP API show it: times in RFC 3339, the rest as stored. */
import type { Incident } from '../domain/threats/incidents.js';

export function incidentJson(i: Incident) {
  return {
    id: i.id,
    policy: i.policy,
    scenario: i.scenario,
    source: i.source,
    mode: i.mode,
    firstSeen: new Date(i.firstSeenMs).toISOString(),
    lastSeen: new Date(i.lastSeenMs).toISOString(),
    events: i.events,
    overflows: i.overflows,
    hosts: i.hosts,
    routes: i.routes,
    decisions: i.decisions,
    samples: i.samples,
  };
}
