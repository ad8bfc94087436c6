/**
 * Traffic anomalies (TrafficErrorRateHigh, TrafficLatencyHigh, TrafficDropped), fed to
 * `hooks.trafficHour` on the leader from storage: once a minute it looks for the newest hour
 * rolled up for good (src/telemetry/hourly-traffic.ts) and, when that hour is new or was rolled up
 * again since (late logs), reads its points per host and route and those of the same hour a week
 * earlier, and hands them to the hook. Each hour replaces the last: an anomaly gone from the newer
 * hour resolves.
 *
 * Why a poll on the leader rather than a call from the downsample job: the job runs on whichever
 * replica claims it, and notifications are grouped and sent by the leader; reading what the job
 * wrote needs no message between replicas, and a new leader picks up from storage alone (its
 * first read replaces whatever the last leader left firing). It costs two small queries a minute.
 */
import { WEEK_MS, type TrafficPoint } from '../../domain/notify/sources/traffic-anomalies.js';
import { trafficPoints } from '../../domain/notify/sources/traffic-points.js';
import { systemClock, type Clock } from '../../runtime/clock.js';
import type { Component } from '../../runtime/component.js';
import type { Logger } from '../../runtime/logger.js';
import type { Database } from '../../storage/database.js';
import {
  hourFingerprint,
  hourlyTrafficRows,
  isRolledUp,
  settledHour,
} from '../../telemetry/hourly-traffic.js';
import { HookSource } from './hook-source.js';

interface JudgedHour {
  readonly hourStartMs: number;
  readonly fingerprint: string;
  readonly series: readonly TrafficPoint[];
}

export interface TrafficHourSourceOptions {
  readonly store: { readonly database: Database | undefined };
  readonly schema: string;
  readonly report: (series: readonly TrafficPoint[], hourStartMs: number) => void;
  readonly logger: Logger;
  readonly clock?: Clock;
  readonly periodMs?: number;
}

export class TrafficHourSource implements Component {
  readonly name = 'notification-source-traffic';
  private readonly clock: Clock;
  private readonly loop: HookSource<JudgedHour>;
  private judged: { hourStartMs: number; fingerprint: string } | undefined;

  constructor(private readonly options: TrafficHourSourceOptions) {
    this.clock = options.clock ?? systemClock;
    this.loop = new HookSource<JudgedHour>({
      name: this.name,
      label: 'traffic',
      periodMs: options.periodMs ?? 60_000,
      read: () => this.read(),
      deliver: (hour) => {
        options.report(hour.series, hour.hourStartMs);
        this.judged = { hourStartMs: hour.hourStartMs, fingerprint: hour.fingerprint };
      },
      logger: options.logger,
      clock: this.clock,
    });
  }

  start(): Promise<void> {
    return this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** Looks now (tests). */
  evaluate(): Promise<void> {
    return this.loop.evaluate();
  }

  private async read(): Promise<JudgedHour | undefined> {
    const db = this.options.store.database;
    if (!db) return undefined;
    const { schema } = this.options;
    const hourStartMs = settledHour(this.clock.now());
    if (!(await isRolledUp(db, schema, hourStartMs))) return undefined;
    const fingerprint = await hourFingerprint(db, schema, hourStartMs);
    if (this.judged?.hourStartMs === hourStartMs && this.judged.fingerprint === fingerprint) return undefined;
    const rows = await hourlyTrafficRows(db, schema, [hourStartMs, hourStartMs - WEEK_MS]);
    return { hourStartMs, fingerprint, series: trafficPoints(rows) };
  }
}
