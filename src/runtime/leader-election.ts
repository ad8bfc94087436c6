/**
 * Leader election on a coordination.k8s.io/v1 Lease with client-go's semantics, so our replicas
 * and Go controllers reason about a Lease the same way. Expiry is judged only by how long the
 * record has stood still on OUR clock (client-go's observedTime), never by the timestamps other
 * hosts wrote, so clock skew between nodes cannot make two leaders. stop() releases the Lease
 * (ReleaseOnCancel) so a standby takes over after one retry period instead of a lease duration.
 */
import { randomUUID } from 'node:crypto';
import { Gauge, type Registry } from 'prom-client';
import { systemClock, type Clock, type Timer } from './clock.js';
import { FIELD_MANAGER, type KubeClient, type RequestOptions, type Verb } from './kube/client.js';
import { isConflict, isNotFound } from './kube/errors.js';
import { CoreTypes, resourcePath, type KubeObject } from './kube/resource.js';
import type { Logger } from './logger.js';

/** What a Lease's spec says about the election, optional fields defaulted. */
export interface LeaseRecord {
  /** Empty when nobody holds the lease (released). */
  readonly holderIdentity: string;
  readonly leaseDurationSeconds: number;
  readonly acquireTime: string | undefined;
  readonly renewTime: string | undefined;
  readonly leaseTransitions: number;
}

/** The record last seen, and when it was first seen in that exact form, on our clock. */
export interface Observation {
  readonly record: LeaseRecord;
  readonly time: number;
}

export type LeaseDecision =
  | { readonly action: 'create' }
  | { readonly action: 'renew' }
  | { readonly action: 'acquire'; readonly reason: 'released' | 'expired' }
  | { readonly action: 'wait'; readonly holder: string; readonly expiresAt: number };

/** Keeps the first-seen time while the record is unchanged: a silent holder ages, a renewing one never does. */
export function observeLease(
  previous: Observation | undefined,
  record: LeaseRecord,
  now: number,
): Observation {
  return previous && sameRecord(previous.record, record) ? previous : { record, time: now };
}

/**
 * The whole election rule, pure. `defaultDurationMs` applies when the record declares no duration;
 * otherwise the holder's own declared duration counts, as in client-go (a released lease says 1 s).
 */
export function decideLease(
  observation: Observation | undefined,
  identity: string,
  now: number,
  defaultDurationMs: number,
): LeaseDecision {
  if (!observation) return { action: 'create' };
  const { record, time } = observation;
  if (record.holderIdentity === identity) return { action: 'renew' };
  if (record.holderIdentity === '') return { action: 'acquire', reason: 'released' };
  const durationMs = record.leaseDurationSeconds > 0 ? record.leaseDurationSeconds * 1000 : defaultDurationMs;
  const expiresAt = time + durationMs;
  return now >= expiresAt
    ? { action: 'acquire', reason: 'expired' }
    : { action: 'wait', holder: record.holderIdentity, expiresAt };
}

/** metav1.MicroTime as the API server writes it: `2026-01-01T00:00:00.000000Z`. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/Z$/, '000Z');
}

/** client-go style: unique per process even when several share a pod or host. */
export function defaultIdentity(podName: string | undefined, hostname: string): string {
  return `${podName || hostname}_${randomUUID()}`;
}

export interface LeaderElectorOptions {
  readonly client: KubeClient;
  readonly namespace: string;
  readonly name: string;
  readonly identity: string;
  readonly leaseDurationMs?: number;
  readonly renewDeadlineMs?: number;
  readonly retryPeriodMs?: number;
  readonly clock?: Clock;
  /** 0..1, spreads acquire retries; injected so tests are exact. */
  readonly random?: () => number;
  readonly logger: Logger;
  readonly registry?: Registry;
  readonly onStartedLeading: () => void;
  /** Called at once when leadership ends. On stop() the release waits for a returned promise, so work guarded by the lease can finish first. */
  readonly onStoppedLeading: () => void | Promise<void>;
  /** Every holder we observe, ourselves included; a released (empty) holder is not reported. */
  readonly onNewLeader?: (identity: string) => void;
}

export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

export interface Lease extends KubeObject {
  spec?: LeaseSpec;
}

/** client-go's JitterFactor, kept for its rule that renewDeadline > 1.2 × retryPeriod. */
const JITTER_FACTOR = 1.2;
/** Spreads candidates' polls a little so that several standbys do not move in lockstep. */
const CANDIDATE_JITTER = 0.2;
const statusGauges = new WeakMap<Registry, Gauge<'name'>>();

export class LeaderElector {
  private readonly client: KubeClient;
  private readonly identity: string;
  private readonly path: string;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private expiresAt: number | undefined;
  private readonly requestTimeoutMs: number;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly log: Logger;
  private readonly gauge: Gauge<'name'> | undefined;
  private readonly options: LeaderElectorOptions;

  private leading = false;
  /** When leadership lapses unless a renew that started before it succeeds. */
  private deadlineAt = 0;
  private deadlineTimer: Timer | undefined;
  private observation: Observation | undefined;
  /** The Lease as last read or written: its resourceVersion guards the optimistic renew and the release. */
  private lease: Lease | undefined;
  private reportedLeader = '';
  private lastError = '';
  private attempt: AbortController | undefined;
  private sleeper: (() => void) | undefined;
  private stopping = false;
  private done: Promise<void> | undefined;

  constructor(options: LeaderElectorOptions) {
    this.options = options;
    this.client = options.client;
    this.identity = options.identity;
    this.leaseDurationMs = options.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = options.retryPeriodMs ?? 2_000;
    // client-go's NewFromKubeconfig heuristic: one hung request must not cost the whole renew deadline.
    this.requestTimeoutMs = Math.max(1_000, this.renewDeadlineMs / 2);
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.path = resourcePath(CoreTypes.lease, options.namespace, options.name);
    this.log = options.logger.child({
      lease: `${options.namespace}/${options.name}`,
      identity: options.identity,
    });
    validate(options.identity, this.leaseDurationMs, this.renewDeadlineMs, this.retryPeriodMs);
    this.gauge = options.registry ? statusGauge(options.registry) : undefined;
    this.gauge?.set({ name: options.name }, 0);
  }

  /** Whether we lead now; false as soon as the renew deadline passes, even if its timer is late. */
  isLeader(): boolean {
    return this.leading && this.clock.now() < this.deadlineAt;
  }

  /** Acquires, then renews, until stop(); losing the lease goes back to acquiring. */
  run(): Promise<void> {
    this.done ??= this.loop();
    return this.done;
  }

  /** Ends the loop; if we lead, calls onStoppedLeading, waits for it, then releases the Lease. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.sleeper?.();
    this.attempt?.abort();
    await this.done;
  }

  private async loop(): Promise<void> {
    this.log.info('waiting to acquire the leader lease');
    while (!this.stopping) {
      await this.attemptOnce();
      await this.sleep(this.leading ? this.retryPeriodMs : this.candidateDelayMs());
    }
    await this.finish();
  }

  /**
   * How long a candidate waits before looking again. A standby judges expiry from when it first
   * saw the holder's latest renewal, so it polls at half the retry period (lightly jittered) to
   * see renewals promptly, and wakes exactly at the computed expiry when that comes first: a
   * killed leader is replaced within the lease duration plus about one poll, where client-go's
   * retryPeriod × [1, 2.2) polling can add more than four seconds.
   */
  private candidateDelayMs(): number {
    const poll = (this.retryPeriodMs / 2) * (1 + CANDIDATE_JITTER * this.random());
    if (this.expiresAt === undefined) return poll;
    return Math.min(poll, Math.max(0, this.expiresAt - this.clock.now()) + 1);
  }

  private async attemptOnce(): Promise<void> {
    const started = this.clock.now();
    const abort = new AbortController();
    this.attempt = abort;
    let held = false;
    try {
      held = await this.tryAcquireOrRenew(abort.signal);
      this.lastError = '';
    } catch (error) {
      if (!abort.signal.aborted) this.reportError(error);
    } finally {
      this.attempt = undefined;
    }
    if (this.stopping) return;
    if (held) this.renewed(started);
    else if (this.leading && this.observation && this.observation.record.holderIdentity !== this.identity) {
      this.lose(`the lease is now held by ${this.observation.record.holderIdentity || 'nobody'}`);
    }
  }

  private async tryAcquireOrRenew(signal: AbortSignal): Promise<boolean> {
    // Fast path (client-go's optimistic update): a leader renews the object it last wrote without
    // reading it first; any failure, such as a 409 because someone else wrote it, falls back to a read.
    if (this.leading && this.lease && this.observation) {
      try {
        await this.write('PUT', this.lease, this.next('renew', this.observation.record), signal);
        return true;
      } catch (error) {
        if (signal.aborted) throw error;
        this.log.debug('optimistic renew failed, reading the lease', { error: errorMessage(error) });
      }
    }
    const lease = await this.read(signal);
    this.observation = lease ? observeLease(this.observation, recordOf(lease), this.clock.now()) : undefined;
    if (this.observation) this.reportLeader(this.observation.record.holderIdentity);
    const decision = decideLease(this.observation, this.identity, this.clock.now(), this.leaseDurationMs);
    this.expiresAt = decision.action === 'wait' ? decision.expiresAt : undefined;
    if (decision.action === 'wait') return false;
    try {
      const previous = this.observation?.record;
      if (decision.action === 'create' || !lease || !previous)
        await this.write('POST', undefined, this.next('create'), signal);
      else await this.write('PUT', lease, this.next(decision.action, previous), signal);
      return true;
    } catch (error) {
      // 409: another candidate wrote first (Conflict) or created it first (AlreadyExists); retry later.
      if (isConflict(error)) return false;
      throw error;
    }
  }

  /** A write that started at `started` succeeded: lead until started + renewDeadline unless renewed again. */
  private renewed(started: number): void {
    const deadlineAt = started + this.renewDeadlineMs;
    const now = this.clock.now();
    // Too slow to count: safety is measured from when the write began. The next attempt renews.
    if (deadlineAt <= now) return;
    this.deadlineAt = deadlineAt;
    this.deadlineTimer?.cancel();
    this.deadlineTimer = this.clock.setTimer(deadlineAt - now, () => {
      this.lose(`no successful renew within ${this.renewDeadlineMs} ms`);
    });
    if (this.leading) return;
    this.leading = true;
    this.gauge?.set({ name: this.options.name }, 1);
    this.log.info('acquired the leader lease');
    void this.callback('onStartedLeading', this.options.onStartedLeading);
  }

  private lose(reason: string): void {
    if (!this.leading) return;
    this.leading = false;
    this.deadlineTimer?.cancel();
    this.deadlineTimer = undefined;
    this.gauge?.set({ name: this.options.name }, 0);
    this.log.warn('lost the leader lease', { reason });
    // A renew still in flight can no longer make us leader; stop waiting for it.
    this.attempt?.abort();
    void this.callback('onStoppedLeading', this.options.onStoppedLeading);
  }

  private async finish(): Promise<void> {
    this.deadlineTimer?.cancel();
    if (this.leading) {
      this.leading = false;
      this.gauge?.set({ name: this.options.name }, 0);
      this.log.info('stopping: leaving the leader lease');
      await this.callback('onStoppedLeading', this.options.onStoppedLeading);
    }
    await this.release();
  }

  /** client-go's release: empty holder, 1 s duration, so any standby may take it at its next retry. */
  private async release(): Promise<void> {
    let lease = this.lease;
    for (let tries = 0; tries < 2 && lease && recordOf(lease).holderIdentity === this.identity; tries++) {
      const record = recordOf(lease);
      const now = microTime(this.clock.now());
      const released = {
        ...record,
        holderIdentity: '',
        leaseDurationSeconds: 1,
        acquireTime: now,
        renewTime: now,
      };
      try {
        await this.write('PUT', lease, released, undefined);
        this.log.info('released the leader lease');
        return;
      } catch (error) {
        // A renew aborted by stop() may have landed anyway: re-read once and release that version.
        if (!isConflict(error)) {
          this.log.warn('could not release the leader lease', { error: errorMessage(error) });
          return;
        }
        lease = await this.read(undefined).catch(() => undefined);
      }
    }
  }

  private next(action: 'create' | 'renew' | 'acquire', previous?: LeaseRecord): LeaseRecord {
    const now = microTime(this.clock.now());
    const own = {
      holderIdentity: this.identity,
      leaseDurationSeconds: Math.ceil(this.leaseDurationMs / 1000),
      renewTime: now,
    };
    if (action === 'renew' && previous) return { ...previous, ...own };
    return { ...own, acquireTime: now, leaseTransitions: previous ? previous.leaseTransitions + 1 : 0 };
  }

  private async read(signal: AbortSignal | undefined): Promise<Lease | undefined> {
    try {
      this.lease = await this.client.request<Lease>('GET', this.path, this.requestOptions('get', signal));
    } catch (error) {
      if (!isNotFound(error)) throw error;
      this.lease = undefined;
    }
    return this.lease;
  }

  private async write(
    method: 'POST' | 'PUT',
    base: Lease | undefined,
    record: LeaseRecord,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const { namespace, name } = this.options;
    // The old resourceVersion rides along, so a PUT only lands on the exact version we decided on.
    const metadata = base ? { ...base.metadata, managedFields: undefined } : { name, namespace };
    const body: Lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata,
      spec: specOf(record),
    };
    const path = method === 'POST' ? resourcePath(CoreTypes.lease, namespace) : this.path;
    const verb = method === 'POST' ? 'create' : 'update';
    this.lease = await this.client.request<Lease>(method, path, {
      ...this.requestOptions(verb, signal),
      query: { fieldManager: FIELD_MANAGER },
      body,
    });
    this.observation = { record: recordOf(this.lease), time: this.clock.now() };
    this.reportLeader(this.observation.record.holderIdentity);
  }

  private requestOptions(verb: Verb, signal: AbortSignal | undefined): RequestOptions {
    // A leader's request may not outlive its deadline: past it, the answer cannot keep us leading.
    const left = this.leading ? this.deadlineAt - this.clock.now() : Infinity;
    const timeoutMs = Math.max(1, Math.min(this.requestTimeoutMs, left));
    return {
      verb,
      resource: CoreTypes.lease.plural,
      timeoutMs,
      signal,
    };
  }

  private reportLeader(holder: string): void {
    if (!holder || holder === this.reportedLeader) return;
    this.reportedLeader = holder;
    this.log.info('new leader observed', { leader: holder });
    const onNewLeader = this.options.onNewLeader;
    if (onNewLeader)
      void this.callback('onNewLeader', () => {
        onNewLeader(holder);
      });
  }

  private reportError(error: unknown): void {
    // The same failure every retry period (e.g. 403) is logged once at warn, then at debug.
    const message = errorMessage(error);
    const fields = { error: message, leading: this.leading };
    if (message === this.lastError) this.log.debug('leader lease request failed', fields);
    else this.log.warn('leader lease request failed', fields);
    this.lastError = message;
  }

  /** Runs a user callback without letting it throw into the election loop. */
  private async callback(name: string, fn: () => void | Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (error) {
      this.log.error(`${name} callback failed`, { error: errorMessage(error) });
    }
  }

  /** Waits `ms` on the clock; stop() ends the wait early, and a stop already asked skips it. */
  private sleep(ms: number): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = this.clock.setTimer(ms, () => {
        this.sleeper = undefined;
        resolve();
      });
      this.sleeper = () => {
        this.sleeper = undefined;
        timer.cancel();
        resolve();
      };
    });
  }
}

function validate(
  identity: string,
  leaseDurationMs: number,
  renewDeadlineMs: number,
  retryPeriodMs: number,
): void {
  // client-go's checks: a leader must give up before others may take over, and retry before giving up.
  if (!identity) throw new Error('leader election: identity must not be empty');
  if (!(retryPeriodMs > 0)) throw new Error('leader election: retryPeriodMs must be greater than zero');
  if (!(leaseDurationMs > renewDeadlineMs))
    throw new Error('leader election: leaseDurationMs must be greater than renewDeadlineMs');
  if (!(renewDeadlineMs > JITTER_FACTOR * retryPeriodMs)) {
    throw new Error(`leader election: renewDeadlineMs must be greater than ${JITTER_FACTOR} × retryPeriodMs`);
  }
}

function statusGauge(registry: Registry): Gauge<'name'> {
  let gauge = statusGauges.get(registry);
  if (!gauge) {
    gauge = new Gauge({
      name: 'leader_election_master_status',
      help: 'Whether this process holds the lease (1) or is a standby (0); `name` identifies the lease.',
      labelNames: ['name'],
      registers: [registry],
    });
    statusGauges.set(registry, gauge);
  }
  return gauge;
}

function recordOf(lease: Lease): LeaseRecord {
  const spec = lease.spec ?? {};
  return {
    holderIdentity: spec.holderIdentity ?? '',
    leaseDurationSeconds: spec.leaseDurationSeconds ?? 0,
    acquireTime: spec.acquireTime,
    renewTime: spec.renewTime,
    leaseTransitions: spec.leaseTransitions ?? 0,
  };
}

function specOf(record: LeaseRecord): LeaseSpec {
  return {
    holderIdentity: record.holderIdentity,
    leaseDurationSeconds: record.leaseDurationSeconds,
    acquireTime: record.acquireTime,
    renewTime: record.renewTime,
    leaseTransitions: record.leaseTransitions,
  };
}

function sameRecord(a: LeaseRecord, b: LeaseRecord): boolean {
  return (
    a.holderIdentity === b.holderIdentity &&
    a.leaseDurationSeconds === b.leaseDurationSeconds &&
    a.acquireTime === b.acquireTime &&
    a.renewTime === b.renewTime &&
    a.leaseTransitions === b.leaseTransitions
  );
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
