/**
 * `onIncident(subscriber)`: incidents as they are opened or extended, for whatever reacts to them
 * (the ThreatPolicy controller's Events, notifications). Subscribers run synchronously after the
 * incident is stored and must be quick; one that throws is logged and the others still run.
 */
import type { Incident } from '../domain/threats/incidents.js';
import type { Logger } from '../runtime/logger.js';

export type IncidentChange = 'opened' | 'extended';
export type IncidentSubscriber = (incident: Incident, change: IncidentChange) => void;

export class IncidentHub {
  private readonly subscribers = new Set<IncidentSubscriber>();

  constructor(private readonly logger: Logger) {}

  onIncident(subscriber: IncidentSubscriber): () => void {
    this.subscribers.add(subscriber);
    return () => this.subscribers.delete(subscriber);
  }

  publish(incident: Incident, change: IncidentChange): void {
    for (const subscriber of this.subscribers) {
      try {
        subscriber(incident, change);
      } catch (err) {
        this.logger.error('an incident subscriber failed', {
          incident: incident.id,
          error: err instanceof Error ? err.message : String(err),
        });
      }
    }
  }
}
