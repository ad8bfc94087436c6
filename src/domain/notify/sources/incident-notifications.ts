/**
 * What security incidents notify. IncidentOpened is a state: it fires while an incident is open —
 * it can still be extended (its source seen within the last hour), or a decision it applied is still in force — and
 * resolves when neither holds. DecisionTaken is one-off, for each decision an overflow applied (a
 * dry run or an allowlisted source decides nothing). Pure: src/notify wires them to storage and
 * to the incident hub.
 */
import { OPEN_WINDOW_MS, type Incident } from '../../threats/incidents.js';
import type { DecisionInput, IncidentInput } from './hook-events.js';

function identity(incident: Incident): { namespace: string; name: string; scenario: string } {
  const [namespace = '', policy = ''] = incident.policy.split('/');
  return {
    namespace,
    name: `${policy}-${incident.id}`,
    scenario: incident.scenario.split('/').at(-1) ?? incident.scenario,
  };
}

/** Open while it can still be extended (OPEN_WINDOW_MS of quiet) or one of its decisions is in force. */
export function isOpen(incident: Incident, nowMs: number, quietMs = OPEN_WINDOW_MS): boolean {
  if (incident.lastSeenMs >= nowMs - quietMs) return true;
  return incident.decisions.some(
    (d) => d.outcome === 'applied' && d.until !== undefined && Date.parse(d.until) > nowMs,
  );
}

export function incidentInput(incident: Incident): IncidentInput {
  const { namespace, name, scenario } = identity(incident);
  const applied = incident.decisions.filter((d) => d.outcome === 'applied');
  return {
    namespace,
    name,
    severity: applied.some((d) => d.type === 'ban') ? 'high' : 'medium',
    title: `${scenario} from ${incident.source}`,
    description:
      `${incident.events} events from ${incident.source} (${incident.mode})` +
      (incident.hosts.length > 0 ? ` on ${incident.hosts.join(', ')}` : '') +
      `; decisions: ${incident.decisions.map((d) => `${d.type} ${d.value} (${d.outcome})`).join(', ') || 'none'}`,
    openedAt: incident.firstSeenMs,
  };
}

/** The decisions an overflow just applied: all of a new incident's, the last of an extended one's. */
export function newDecisions(incident: Incident, change: 'opened' | 'extended'): DecisionInput[] {
  const { namespace, name, scenario } = identity(incident);
  const latest = incident.decisions.at(-1);
  const fresh =
    change === 'opened'
      ? incident.decisions.filter((d) => d.outcome === 'applied')
      : latest?.outcome === 'applied'
        ? [latest]
        : [];
  return fresh.map((d) => ({
    namespace,
    incident: name,
    decision: `${d.type}-${d.value}`,
    action: d.type,
    target: d.value,
    reason: `${scenario}: ${incident.events} events from ${incident.source}${d.until ? `, until ${d.until}` : ''}`,
  }));
}
