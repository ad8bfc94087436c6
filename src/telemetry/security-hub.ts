/**
 * `onSecurityEvents(listener)`: security events as the processor commits them, on the leader, for
 * whatever correlates them (the threats feature). Listeners run synchronously after the commit
 * and must be quick; one that throws is logged and the others still run.
 */
import type { SecurityEvent } from '../domain/telemetry/records.js';

export type SecurityEventListener = (events: readonly SecurityEvent[]) => void;

export class SecurityEventHub {
  private readonly listeners = new Set<SecurityEventListener>();

  onSecurityEvents(listener: SecurityEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  readonly publish = (events: readonly SecurityEvent[]): void => {
    for (const listener of this.listeners) listener(events);
  };
}
