/**
 * IncidentOpened from storage: every incident open now (domain/notify/sources/incident-notifications.ts)
 * is listed on each evaluation, so an incident resolves when it goes quiet and its decisions
 * expire — after a restart too. The incident hub's news makes it evaluate at once.
 */
import { incidentEvent } from '../../domain/notify/sources/hook-events.js';
import { incidentInput, isOpen } from '../../domain/notify/sources/incident-notifications.js';
import { systemClock, type Clock } from '../../runtime/clock.js';
import type { Logger } from '../../runtime/logger.js';
import type { Database } from '../../storage/database.js';
import { IncidentRepository } from '../../storage/threats/incident-repository.js';
import type { Notifier } from '../notifier.js';
import { PeriodicSource } from './periodic-source.js';

/** Decisions last at most a year: an incident older than that cannot still be open. */
const LOOK_BACK_MS = 366 * 86_400_000;

export function incidentSource(options: {
  readonly store: { readonly database: Database | undefined };
  readonly schema: string;
  readonly notifier: Notifier;
  readonly logger: Logger;
  readonly clock?: Clock;
}): PeriodicSource {
  const clock = options.clock ?? systemClock;
  return new PeriodicSource({
    name: 'incident-notifications',
    source: 'incidents',
    notifier: options.notifier,
    periodMs: 60_000,
    logger: options.logger,
    clock,
    evaluate: async () => {
      const db = options.store.database;
      if (!db) return [];
      const now = clock.now();
      const recent = await new IncidentRepository(db, options.schema).list({
        sinceMs: now - LOOK_BACK_MS,
        limit: 1000,
      });
      return recent
        .filter((incident) => isOpen(incident, now))
        .map((incident) => incidentEvent(incidentInput(incident), true));
    },
  });
}
