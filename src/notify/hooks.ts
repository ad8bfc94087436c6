/**
 * The typed hooks other features call to notify, so their events carry exactly the labels
 * EVENT_TYPES promises. Each maps to one event type (docs/notifications.md, "Hooks"):
 *
 * | feature             | call                                 | called by, on the leader                | event types                                              |
 * | ------------------- | ------------------------------------ | --------------------------------------- | -------------------------------------------------------- |
 * | security incidents  | incident(incident, change)           | the incident hub (src/cli/operator.ts)  | DecisionTaken (one-off); IncidentOpened comes from storage (sources/incident-source.ts) |
 * | threat feeds        | feeds(all feeds' health)             | src/threats/feed-health-reporter.ts     | FeedDegraded, FeedStale                                  |
 * | traffic analytics   | trafficHour(series, hourStartMs)     | sources/traffic-hour-source.ts          | TrafficErrorRateHigh, TrafficLatencyHigh, TrafficDropped |
 * | database operations | databaseOperations(all failing ones) | sources/database-operations-source.ts   | DatabaseOperationFailed                                  |
 *
 * The feeds reporter calls once the ThreatFeed controller has seen every feed, then on each
 * change; the traffic source for each hour the downsample job rolled up for good, read from
 * storage (the job runs on any replica); the database source on any change of the database
 * kinds' status. They are wired in src/cli/notification-hooks.ts.
 *
 * `feeds`, `trafficHour` and `databaseOperations` take the complete current set: whatever is no
 * longer listed resolves. Dead jobs of any kind (backups, migrations, retention included) are
 * also notified as JobFailed by the job-queue source; nothing needs to call in for those.
 */
import {
  databaseOperationEvents,
  decisionEvent,
  feedEvents,
  type DatabaseOperationInput,
  type DecisionInput,
  type FeedHealth,
} from '../domain/notify/sources/hook-events.js';
import {
  trafficAnomalies,
  type TrafficPoint,
  type TrafficThresholds,
} from '../domain/notify/sources/traffic-anomalies.js';
import { newDecisions } from '../domain/notify/sources/incident-notifications.js';
import type { Incident } from '../domain/threats/incidents.js';
import type { Notifier } from './notifier.js';

export type { DatabaseOperationInput, DecisionInput, FeedHealth, TrafficPoint, TrafficThresholds };

export class NotificationHooks {
  constructor(
    private readonly notifier: Notifier,
    readonly trafficThresholds: TrafficThresholds,
    /** Re-reads the open incidents (IncidentOpened is their complete set, from storage). */
    private readonly incidentsChanged: () => void = () => undefined,
  ) {}

  decisionTaken(decision: DecisionInput): void {
    this.notifier.emit(decisionEvent(decision));
  }

  /**
   * The incident hub's subscriber: an incident opened or extended. Its decisions notify at once;
   * IncidentOpened comes from the open incidents in storage, so it also resolves.
   */
  incident(incident: Incident, change: 'opened' | 'extended'): void {
    for (const decision of newDecisions(incident, change)) this.decisionTaken(decision);
    this.incidentsChanged();
  }

  /** Every feed's health now (healthy feeds may be listed or left out). */
  feeds(health: readonly FeedHealth[]): void {
    this.notifier.replace('threat-feeds', feedEvents(health));
  }

  /**
   * The hour starting at `hourStartMs` has been rolled up: `series` holds its points and those of
   * the same hour a week earlier, per host and route. Thresholds come from NOTIFY_TRAFFIC_* unless given.
   */
  trafficHour(
    series: readonly TrafficPoint[],
    hourStartMs: number,
    thresholds: TrafficThresholds = this.trafficThresholds,
  ): void {
    this.notifier.replace('traffic', trafficAnomalies(series, hourStartMs, thresholds));
  }

  /** Every database resource whose last run failed, now. */
  databaseOperations(failures: readonly DatabaseOperationInput[]): void {
    this.notifier.replace('database-operations', databaseOperationEvents(failures));
  }
}
