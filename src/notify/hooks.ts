/**
 * The typed hooks other features call to notify, so their events carry exactly the labels
 * EVENT_TYPES promises. Each maps to one event type (docs/notifications.md, "Hooks"):
 *
 * | feature              | call                                   | event types                              |
 * | -------------------- | -------------------------------------- | ---------------------------------------- |
 * | security incidents   | incidentOpened / incidentClosed        | IncidentOpened (resolved when closed)    |
 * |                      | decisionTaken                          | DecisionTaken (one-off)                  |
 * | threat feeds         | feeds(all feeds' health)               | FeedDegraded, FeedStale                  |
 * | traffic analytics    | trafficHour(series, hourStartMs)       | TrafficErrorRateHigh, TrafficLatencyHigh, TrafficDropped |
 * | database operations  | databaseOperations(all failing ones)   | DatabaseOperationFailed                  |
 *
 * `feeds`, `trafficHour` and `databaseOperations` take the complete current set: whatever is no
 * longer listed resolves. Dead jobs of any kind (backups, migrations, retention included) are
 * already notified as JobFailed by the job-queue source; nothing needs to call in for those.
 */
import {
  databaseOperationEvents,
  decisionEvent,
  feedEvents,
  incidentEvent,
  type DatabaseOperationInput,
  type DecisionInput,
  type FeedHealth,
  type IncidentInput,
} from '../domain/notify/sources/hook-events.js';
import {
  trafficAnomalies,
  type TrafficPoint,
  type TrafficThresholds,
} from '../domain/notify/sources/traffic-anomalies.js';
import type { Notifier } from './notifier.js';

export type {
  DatabaseOperationInput,
  DecisionInput,
  FeedHealth,
  IncidentInput,
  TrafficPoint,
  TrafficThresholds,
};

export class NotificationHooks {
  constructor(
    private readonly notifier: Notifier,
    readonly trafficThresholds: TrafficThresholds,
  ) {}

  incidentOpened(incident: IncidentInput): void {
    this.notifier.emit(incidentEvent(incident, true));
  }

  incidentClosed(incident: IncidentInput): void {
    this.notifier.emit(incidentEvent(incident, false));
  }

  decisionTaken(decision: DecisionInput): void {
    this.notifier.emit(decisionEvent(decision));
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
