/**
 * The leader's sender: delivers the outbox. Each channel's deliveries leave one at a time and in
 * order (a "resolved" never overtakes its "firing"), within the channel's rate limit; channels are
 * served side by side. After each attempt the pure retry policy decides: sent, again later (never
 * before the receiver's Retry-After), or the dead letter; the outcome, the channel's counts and
 * the metrics are recorded together.
 */
import type { Registry } from 'prom-client';
import { durationMillis } from '../api/v1alpha1/checks/duration.js';
import type { ChannelType, NotificationChannelSpec } from '../api/v1alpha1/index.js';
import {
  decideAfterAttempt,
  type AttemptResult,
  type RetrySettings,
} from '../domain/notify/delivery-policy.js';
import { take, type Bucket } from '../domain/notify/rate-limit.js';
import { systemClock, type Clock, type Timer } from '../runtime/clock.js';
import type { Component } from '../runtime/component.js';
import type { Logger } from '../runtime/logger.js';
import type { Database } from '../storage/database.js';
import { describeDatabaseError } from '../storage/errors.js';
import { redact, type ResolvedChannel, type Transport } from './channels/channel.js';
import { notifyMetrics, type NotifyMetrics } from './metrics.js';
import { NotifyRepository, type AttemptRecord, type PendingDelivery } from './notify-repository.js';

export type ChannelLookup =
  | { readonly state: 'missing' }
  | { readonly state: 'suspended' }
  /** The channel exists but cannot be used now (a Secret is missing): the attempt fails and is retried. */
  | { readonly state: 'unusable'; readonly spec: NotificationChannelSpec; readonly problem: string }
  | { readonly state: 'ready'; readonly channel: ResolvedChannel };

export interface SenderOptions {
  readonly store: { onReady(listener: (db: Database) => void): () => void };
  readonly schema: string;
  readonly lookup: (key: string) => Promise<ChannelLookup>;
  readonly transports: Readonly<Record<ChannelType, Transport>>;
  readonly logger: Logger;
  readonly registry: Registry;
  readonly clock?: Clock;
  readonly random?: () => number;
  /** A delivery of this channel ended an attempt (its status may show it). */
  readonly onOutcome?: (channel: string) => void;
  /** How often the outbox is read without being woken (default 5 s). */
  readonly pollMs?: number;
}

export function retrySettings(spec: NotificationChannelSpec): RetrySettings {
  return {
    maxAttempts: spec.retry.maxAttempts,
    initialBackoffMs: durationMillis(spec.retry.initialBackoff),
    maxBackoffMs: durationMillis(spec.retry.maxBackoff),
  };
}

export class Sender implements Component {
  readonly name = 'notification-sender';
  private readonly clock: Clock;
  private readonly metrics: NotifyMetrics;
  private repository: NotifyRepository | undefined;
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly buckets = new Map<string, Bucket>();
  private running = false;
  private unsubscribe: (() => void) | undefined;
  private timer: Timer | undefined;
  private ticking: Promise<void> | undefined;
  private again = false;
  private lastError: string | undefined;
  private pendingReadAt = Number.NEGATIVE_INFINITY;
  private pendingChannels = new Set<string>();

  constructor(private readonly options: SenderOptions) {
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
    this.repository = new NotifyRepository(db, this.options.schema);
  }

  async stop(): Promise<void> {
    this.running = false;
    this.unsubscribe?.();
    this.timer?.cancel();
    await this.ticking;
    await Promise.all(this.inFlight.values());
  }

  wake(): void {
    if (!this.running || !this.repository) return;
    if (this.ticking) {
      this.again = true;
      return;
    }
    this.timer?.cancel();
    let next = Number.POSITIVE_INFINITY;
    this.ticking = this.pass((at) => (next = Math.min(next, at))).finally(() => {
      this.ticking = undefined;
      if (this.again) {
        this.again = false;
        this.wake();
        return;
      }
      if (!this.running) return;
      const poll = this.options.pollMs ?? 5_000;
      const delay = Math.min(poll * (this.lastError ? 5 : 1), next - this.clock.now());
      this.timer = this.clock.setTimer(Math.max(0, delay), () => this.wake());
    });
  }

  /** One pass that also waits for the attempts it started (tests drive the sender with this). */
  async tick(): Promise<void> {
    await this.pass(() => undefined);
    await Promise.all(this.inFlight.values());
  }

  /** Starts an attempt for every channel whose oldest delivery is due; `later` hears of the next due time. */
  private async pass(later: (at: number) => void): Promise<void> {
    const repository = this.repository;
    if (!repository) return;
    let heads: PendingDelivery[];
    try {
      heads = await repository.heads();
      this.lastError = undefined;
    } catch (error) {
      this.reportError('reading the notification outbox failed', error);
      return;
    }
    await this.refreshPending(repository);
    for (const head of heads) {
      if (this.inFlight.has(head.channel)) continue;
      const now = this.clock.now();
      if (head.nextAttemptAt > now) {
        later(head.nextAttemptAt);
        continue;
      }
      const attempt = this.attempt(repository, head, later);
      this.inFlight.set(head.channel, attempt);
      void attempt.finally(() => {
        this.inFlight.delete(head.channel);
      });
    }
  }

  private async attempt(
    repository: NotifyRepository,
    head: PendingDelivery,
    later: (at: number) => void,
  ): Promise<void> {
    let lookup: ChannelLookup;
    try {
      lookup = await this.options.lookup(head.channel);
    } catch (error) {
      this.reportError(`looking up channel ${head.channel} failed`, error);
      return;
    }
    if (lookup.state === 'suspended') return;
    if (lookup.state === 'missing') {
      await this.record(repository, head, 'webhook', {
        outcome: 'dead',
        retry: head.attempts > 0,
        failed: false,
        error: `NotificationChannel ${head.channel} does not exist`,
      });
      return;
    }
    const spec = lookup.state === 'ready' ? lookup.channel.spec : lookup.spec;
    const limited = take(this.buckets.get(head.channel), spec.rateLimit, this.clock.now());
    this.buckets.set(head.channel, limited.bucket);
    if (!limited.ok) {
      later(this.clock.now() + limited.waitMs);
      return;
    }
    const started = this.clock.now();
    let result: AttemptResult;
    if (lookup.state === 'unusable') result = { outcome: 'retryable', error: lookup.problem };
    else result = await this.send(head, lookup.channel);
    this.metrics.duration.observe({ type: spec.type }, (this.clock.now() - started) / 1000);
    const now = this.clock.now();
    const decision = decideAfterAttempt(
      head.attempts + 1,
      result,
      retrySettings(spec),
      now,
      this.options.random,
    );
    const retry = head.attempts > 0;
    let record: AttemptRecord;
    if (decision.next === 'sent') record = { outcome: 'sent', retry };
    else if (decision.next === 'retry') {
      record = {
        outcome: 'retry',
        retry,
        nextAttemptAt: decision.at,
        error: result.outcome === 'sent' ? '' : result.error,
      };
      later(decision.at);
    } else record = { outcome: 'dead', retry, failed: true, error: decision.reason };
    await this.record(repository, head, spec.type, record);
  }

  private async send(head: PendingDelivery, channel: ResolvedChannel): Promise<AttemptResult> {
    const controller = new AbortController();
    const timeout = this.clock.setTimer(durationMillis(channel.spec.timeout), () => controller.abort());
    try {
      const result = await this.options.transports[channel.spec.type].send(head.message, channel, {
        signal: controller.signal,
        now: () => this.clock.now(),
      });
      return result.outcome === 'sent'
        ? result
        : { ...result, error: redact(result.error, channel.secretValues) };
    } catch (error) {
      return { outcome: 'retryable', error: redact((error as Error).message, channel.secretValues) };
    } finally {
      timeout.cancel();
    }
  }

  private async record(
    repository: NotifyRepository,
    head: PendingDelivery,
    type: ChannelType,
    record: AttemptRecord,
  ): Promise<void> {
    const labels = { channel: head.channel, type };
    if (record.retry) this.metrics.retried.inc(labels);
    if (record.outcome === 'sent') this.metrics.sent.inc(labels);
    if (record.outcome === 'retry' || (record.outcome === 'dead' && record.failed))
      this.metrics.failed.inc(labels);
    if (record.outcome === 'dead') this.metrics.dead.inc(labels);
    const logger = this.options.logger;
    if (record.outcome === 'retry') {
      logger.warn('notification delivery failed; retrying', {
        channel: head.channel,
        attempt: head.attempts + 1,
        error: record.error,
        retryAt: new Date(record.nextAttemptAt).toISOString(),
      });
    } else if (record.outcome === 'dead') {
      logger.error('notification delivery given up (dead letter)', {
        channel: head.channel,
        attempts: head.attempts + 1,
        error: record.error,
      });
    } else logger.debug('notification delivered', { channel: head.channel, attempt: head.attempts + 1 });
    try {
      await repository.recordAttempt(head, record, new Date(this.clock.now()));
    } catch (error) {
      this.reportError(`recording a delivery to ${head.channel} failed`, error);
    }
    this.options.onOutcome?.(head.channel);
    // The channel's next delivery may go now.
    if (record.outcome !== 'retry') this.wake();
  }

  private async refreshPending(repository: NotifyRepository): Promise<void> {
    const now = this.clock.now();
    if (now - this.pendingReadAt < 5_000) return;
    this.pendingReadAt = now;
    const counts = await repository.pendingCounts().catch(() => undefined);
    if (!counts) return;
    for (const channel of this.pendingChannels)
      if (!counts.has(channel)) this.metrics.pending.set({ channel }, 0);
    for (const [channel, count] of counts) this.metrics.pending.set({ channel }, count);
    this.pendingChannels = new Set(counts.keys());
  }

  private reportError(what: string, error: unknown): void {
    const message = `${what}: ${describeDatabaseError(error)}`;
    if (message !== this.lastError) this.options.logger.warn(message);
    this.lastError = message;
  }
}
