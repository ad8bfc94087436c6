/**
 * The leader's dispatcher: reads what changed in the alert store, routes each alert through the
 * policies into aggregation groups, and flushes due groups into the outbox, one transaction per
 * group (the deliveries, the notification log and the group's next state together), so a restart
 * neither loses nor repeats a notification. Group state lives in the store and in memory; the
 * decisions are the pure functions of src/domain/notify/grouping.ts.
 *
 * Alerts are read by revision. A revision taken by another replica's transaction may commit after
 * a higher one was read; a resynchronisation every minute (and when policies change) routes the
 * current state alerts again, so a state change is never lost for good (a one-off event in that
 * window can be: see docs/notifications.md).
 */
import type { Registry } from 'prom-client';
import { sameAlert, type Alert } from '../domain/notify/event.js';
import { flushGroup, insertAlert, type GroupState, type LogEntry } from '../domain/notify/grouping.js';
import type { AlertsMessage } from '../domain/notify/message.js';
import { groupOf, policyMatches, type PolicyView } from '../domain/notify/policy.js';
import { systemClock, type Clock, type Timer } from '../runtime/clock.js';
import type { Component } from '../runtime/component.js';
import type { Logger } from '../runtime/logger.js';
import type { Database } from '../storage/database.js';
import { describeDatabaseError } from '../storage/errors.js';
import { notifyMetrics, type NotifyMetrics } from './metrics.js';
import { RESOLVED_MEMORY_MS } from './notifier.js';
import { NotifyRepository } from './notify-repository.js';

export interface DispatcherOptions {
  readonly store: { onReady(listener: (db: Database) => void): () => void };
  readonly schema: string;
  /** The policies in force (suspended ones left out). */
  readonly policies: () => readonly PolicyView[];
  /** Whether a channel exists now; a policy's missing channels are skipped until they do. */
  readonly channelExists: (key: string) => boolean;
  readonly operatorNamespace: string;
  readonly logger: Logger;
  readonly registry: Registry;
  readonly clock?: Clock;
  /** Deliveries were added to the outbox. */
  readonly onDeliveries?: () => void;
  /** A policy's groups or notifications changed (its status may show it). */
  readonly onPolicyActivity?: (policy: string) => void;
  /** How often the store is read without being woken (default 2 s). */
  readonly pollMs?: number;
  /** How often current alerts are routed again (default 60 s). */
  readonly resyncMs?: number;
}

const CURSOR = 'dispatcher.revision';
const BATCH = 1000;

export interface PolicyActivity {
  readonly activeGroups: number;
  readonly lastNotifiedAt?: number;
}

export class Dispatcher implements Component {
  readonly name = 'notification-dispatcher';
  private readonly clock: Clock;
  private readonly metrics: NotifyMetrics;
  private db: Database | undefined;
  private repository: NotifyRepository | undefined;
  private loaded = false;
  private groups = new Map<string, GroupState>();
  private logs = new Map<string, Map<string, LogEntry>>();
  private readonly lastNotified = new Map<string, number>();
  private revision = 0;
  private running = false;
  private unsubscribe: (() => void) | undefined;
  private timer: Timer | undefined;
  private ticking: Promise<void> | undefined;
  private again = false;
  private resyncWanted = true;
  private lastResync = 0;
  private lastError: string | undefined;

  constructor(private readonly options: DispatcherOptions) {
    this.clock = options.clock ?? systemClock;
    this.metrics = notifyMetrics(options.registry);
  }

  start(): Promise<void> {
    this.running = true;
    this.unsubscribe = this.options.store.onReady((db) => {
      this.attach(db);
      this.wake();
    });
    return Promise.resolve();
  }

  /** Uses `db` from now on (start() does this when the store is ready; tests call it directly). */
  attach(db: Database): void {
    this.db = db;
    this.repository = new NotifyRepository(db, this.options.schema);
  }

  async stop(): Promise<void> {
    this.running = false;
    this.unsubscribe?.();
    this.timer?.cancel();
    await this.ticking;
  }

  /** New alerts were stored: look now rather than at the next poll. */
  wake(): void {
    if (!this.running || !this.repository) return;
    if (this.ticking) {
      this.again = true;
      return;
    }
    this.timer?.cancel();
    this.ticking = this.tick().finally(() => {
      this.ticking = undefined;
      if (this.again) {
        this.again = false;
        this.wake();
      } else this.schedule();
    });
  }

  /** Policies or channels changed: route the current alerts again at the next turn. */
  policiesChanged(): void {
    this.resyncWanted = true;
    this.wake();
  }

  activity(policy: string): PolicyActivity {
    let activeGroups = 0;
    for (const group of this.groups.values()) if (group.policy === policy) activeGroups += 1;
    const last = this.lastNotified.get(policy);
    return { activeGroups, ...(last === undefined ? {} : { lastNotifiedAt: last }) };
  }

  /** One pass: load (once), read new alerts, resynchronise when due, flush due groups. */
  async tick(): Promise<void> {
    const repository = this.repository;
    const db = this.db;
    if (!repository || !db) return;
    try {
      if (!this.loaded) await this.load(repository);
      await this.ingest(repository, db);
      if (this.resyncWanted || this.clock.now() - this.lastResync >= (this.options.resyncMs ?? 60_000)) {
        await this.resync(repository, db);
      }
      await this.flushDue(repository, db);
      if (this.lastError !== undefined) this.options.logger.info('notification dispatcher recovered');
      this.lastError = undefined;
    } catch (error) {
      const message = `notification dispatch failed: ${describeDatabaseError(error)}`;
      if (message !== this.lastError) this.options.logger.warn(message);
      this.lastError = message;
      // Memory may be ahead of what was committed: start again from the store.
      this.loaded = false;
    }
    this.metrics.groups.set(this.groups.size);
  }

  private schedule(): void {
    if (!this.running) return;
    const poll = this.lastError ? 5 * (this.options.pollMs ?? 2_000) : (this.options.pollMs ?? 2_000);
    let delay = poll;
    for (const group of this.groups.values()) delay = Math.min(delay, group.nextFlushAt - this.clock.now());
    this.timer = this.clock.setTimer(Math.max(0, delay), () => this.wake());
  }

  private async load(repository: NotifyRepository): Promise<void> {
    const [groups, logs, cursor] = await Promise.all([
      repository.groups(),
      repository.logEntries(),
      repository.cursor(CURSOR),
    ]);
    this.groups = new Map(groups.map((g) => [g.key, g]));
    this.logs = new Map();
    for (const { groupKey, channel, entry } of logs) this.logFor(groupKey).set(channel, entry);
    this.revision = cursor === undefined ? await repository.latestRevision() : Number(cursor);
    this.loaded = true;
    this.resyncWanted = true;
    this.options.logger.info('notification dispatcher loaded', {
      groups: this.groups.size,
      revision: this.revision,
    });
  }

  private async ingest(repository: NotifyRepository, db: Database): Promise<void> {
    for (;;) {
      const rows = await repository.alertsAfter(this.revision, BATCH);
      const last = rows.at(-1);
      if (!last) return;
      const now = this.clock.now();
      const changed = new Set<string>();
      const policies = this.options.policies();
      for (const row of rows) this.route(row.alert, policies, now, changed);
      await this.save(db, changed, now, last.revision);
      this.revision = last.revision;
      if (rows.length < BATCH) return;
    }
  }

  private async resync(repository: NotifyRepository, db: Database): Promise<void> {
    const now = this.clock.now();
    const policies = this.options.policies();
    const keys = new Set(policies.map((p) => p.key));
    const changed = new Set<string>();
    for (const group of this.groups.values()) {
      if (!keys.has(group.policy)) {
        this.groups.delete(group.key);
        changed.add(group.key);
      }
    }
    for (const { alert } of await repository.currentAlerts(new Date(now - RESOLVED_MEMORY_MS))) {
      // One-off events are routed once, when read by revision: a second routing would repeat them.
      if (alert.lifecycle === 'state') this.route(alert, policies, now, changed);
    }
    await this.save(db, changed, now, this.revision);
    this.resyncWanted = false;
    this.lastResync = now;
  }

  private route(alert: Alert, policies: readonly PolicyView[], now: number, changed: Set<string>): void {
    for (const policy of policies) {
      if (!policyMatches(policy, alert, this.options.operatorNamespace)) continue;
      const identity = groupOf(policy, alert);
      const before = this.groups.get(identity.key);
      const held = before?.alerts[alert.fingerprint];
      if (held && sameAlert(held, alert)) continue;
      const after = insertAlert(before, { policy: policy.key, ...identity }, alert, policy.timing, now);
      if (!after || after === before) continue;
      this.groups.set(identity.key, after);
      changed.add(identity.key);
      if (!before) this.options.onPolicyActivity?.(policy.key);
    }
  }

  private async save(db: Database, keys: ReadonlySet<string>, now: number, revision: number): Promise<void> {
    if (keys.size === 0 && revision === this.revision) return;
    await db.transaction(async (tx) => {
      const repo = new NotifyRepository(tx, this.options.schema);
      for (const key of keys) {
        const group = this.groups.get(key);
        if (group) await repo.saveGroup(group, new Date(now));
        else {
          await repo.deleteGroup(key);
          this.logs.delete(key);
        }
      }
      if (revision !== this.revision) await repo.setCursor(CURSOR, String(revision), new Date(now));
    });
  }

  private async flushDue(repository: NotifyRepository, db: Database): Promise<void> {
    const now = this.clock.now();
    const due = [...this.groups.values()]
      .filter((g) => g.nextFlushAt <= now)
      .sort((a, b) => a.nextFlushAt - b.nextFlushAt);
    if (due.length === 0) return;
    const policies = new Map(this.options.policies().map((p) => [p.key, p]));
    let delivered = false;
    for (const group of due) {
      const policy = policies.get(group.policy);
      if (!policy) {
        await repository.deleteGroup(group.key);
        this.groups.delete(group.key);
        this.logs.delete(group.key);
        continue;
      }
      const channels = policy.channels.filter((c) => this.options.channelExists(c));
      const logs = this.logFor(group.key);
      const result = flushGroup(
        group,
        channels,
        logs,
        { timing: policy.timing, sendResolved: policy.sendResolved },
        now,
      );
      await db.transaction(async (tx) => {
        const repo = new NotifyRepository(tx, this.options.schema);
        for (const send of result.sends) {
          const message: AlertsMessage = {
            kind: 'alerts',
            receiver: send.channel,
            policy: policy.key,
            groupKey: group.key,
            groupLabels: group.labels,
            firing: send.firing,
            resolved: send.resolved,
          };
          await repo.insertDelivery(
            { channel: send.channel, policy: policy.key, groupKey: group.key, message },
            new Date(now),
          );
        }
        if (result.group) {
          await repo.saveGroup(result.group, new Date(now));
          for (const [channel, entry] of result.logs) await repo.saveLogEntry(group.key, channel, entry);
        } else await repo.deleteGroup(group.key);
      });
      if (result.group) {
        this.groups.set(group.key, result.group);
        for (const [channel, entry] of result.logs) logs.set(channel, entry);
      } else {
        this.groups.delete(group.key);
        this.logs.delete(group.key);
      }
      if (result.sends.length > 0) {
        delivered = true;
        this.lastNotified.set(policy.key, now);
      }
      if (result.sends.length > 0 || !result.group) this.options.onPolicyActivity?.(policy.key);
    }
    if (delivered) this.options.onDeliveries?.();
  }

  private logFor(groupKey: string): Map<string, LogEntry> {
    let logs = this.logs.get(groupKey);
    if (!logs) {
      logs = new Map();
      this.logs.set(groupKey, logs);
    }
    return logs;
  }
}
