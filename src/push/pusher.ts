/**
 * The push side of the worker: the resources controllers publish, the gateways discovery finds,
 * and one connection per gateway. Changes are debounced (a short quiet period, a bounded
 * maximum delay) so a burst of edits becomes a few pushes; each rebuild hands every gateway the
 * snapshot its labels select. Sees domain snapshots, never custom resources.
 */
import type { Registry } from 'prom-client';
import { PUSHED_TYPES } from '../domain/snapshot/pushed-types.js';
import {
  snapshotFor,
  type CertificateResource,
  type ConfigResource,
  type GatewaySnapshot,
  type Published,
} from '../domain/snapshot/snapshot.js';
import type { TlsMode } from '../grpc/credentials.js';
import { matchesSelector, type LabelSelector } from '../api/meta/label-selector.js';
import { systemClock, type Clock, type Timer } from '../runtime/clock.js';
import type { Component } from '../runtime/component.js';
import type { Logger } from '../runtime/logger.js';
import { GatewayConnection, type Gateway, type OutcomeEvent } from './gateway-connection.js';
import { pushMetrics, type PushMetrics } from './metrics.js';
import { pushStatus, type PushStatus } from './push-status.js';

export interface PusherOptions {
  readonly tls: TlsMode;
  readonly logger: Logger;
  readonly registry?: Registry;
  readonly clock?: Clock;
  /** Istio's defaults are 100 ms quiet and 10 s max; a gateway wants changes sooner. */
  readonly quietMs?: number;
  readonly maxDelayMs?: number;
  /** An owner's push status changed (an ACK, a NACK, a gateway came or went, a new version). */
  readonly onStatusChange?: (owner: string) => void;
  /** Every answer of a gateway: a version applied or refused (the audit trail records them). */
  readonly onOutcome?: (gateway: Gateway, outcome: OutcomeEvent) => void;
  /** How long a held kind's types wait at most for its controller's first pass; default 60 s. */
  readonly holdLimitMs?: number;
}

interface Owned {
  selector: LabelSelector | undefined;
  config: ConfigResource[];
  certificates: CertificateResource[];
}

export class Pusher implements Component {
  readonly name = 'pusher';
  private readonly owners = new Map<string, Owned>();
  private readonly connections = new Map<string, GatewayConnection>();
  private readonly clock: Clock;
  private readonly metrics: PushMetrics | undefined;
  private quietTimer: Timer | undefined;
  private maxTimer: Timer | undefined;
  private running = false;
  private known: readonly Gateway[] = [];
  /** The status each owner was last told about, so owners hear only of their own changes. */
  private readonly reported = new Map<string, string>();
  /** Rebuilds so far: how many snapshots the debounce let through. */
  rebuilds = 0;
  /** Kinds whose controllers have not yet published what existed when they started. */
  private readonly held = new Map<string, Promise<void>>();
  private holdTimer: Timer | undefined;

  private tls: TlsMode;

  constructor(private readonly options: PusherOptions) {
    this.tls = options.tls;
    this.clock = options.clock ?? systemClock;
    this.metrics = options.registry ? pushMetrics(options.registry) : undefined;
  }

  /**
   * Sends nothing of the types `kind` publishes until `published` resolves: a starting leader
   * would otherwise replace what the gateways serve with the little published so far (no routes
   * at all, for the moment it takes to compile them). Call before start().
   */
  holdUntilPublished(kind: string, published: Promise<void>): void {
    this.held.set(kind, published);
    void published.then(() => {
      if (this.held.get(kind) !== published) return;
      this.held.delete(kind);
      this.changed();
    });
  }

  start(): Promise<void> {
    this.running = true;
    if (this.held.size > 0) {
      this.holdTimer = this.clock.setTimer(this.options.holdLimitMs ?? 60_000, () => {
        if (this.held.size === 0) return;
        this.options.logger.warn('controllers still starting; pushing what they published so far', {
          kinds: [...this.held.keys()],
        });
        this.held.clear();
        this.changed();
      });
    }
    // Gateways found while this replica stood by get their connections now.
    this.setGateways(this.known);
    this.rebuild();
    return Promise.resolve();
  }

  stop(): Promise<void> {
    this.running = false;
    this.holdTimer?.cancel();
    this.quietTimer?.cancel();
    this.maxTimer?.cancel();
    for (const connection of this.connections.values()) connection.close();
    this.connections.clear();
    this.metrics?.connected.set(0);
    return Promise.resolve();
  }

  /** The worker's renewed client certificate, for connections opened from now on. */
  setTls(tls: TlsMode): void {
    this.tls = tls;
  }

  /** Replaces everything `owner` publishes. */
  publish(
    owner: string,
    selector: LabelSelector | undefined,
    config: ConfigResource[],
    certificates: CertificateResource[] = [],
  ): void {
    const next = { selector, config, certificates };
    // Controllers publish on every reconcile; only a real change may cost a rebuild.
    if (sameOwned(this.owners.get(owner), next)) return;
    this.owners.set(owner, next);
    this.changed();
  }

  withdraw(owner: string): void {
    this.reported.delete(owner);
    if (this.owners.delete(owner)) this.changed();
  }

  /** The gateways that exist now; connections open and close to match. */
  setGateways(gateways: readonly Gateway[]): void {
    this.known = gateways;
    const wanted = new Map(gateways.map((g) => [g.name, g]));
    for (const [name, connection] of this.connections) {
      const next = wanted.get(name);
      if (
        next &&
        next.address === connection.gateway.address &&
        sameLabels(next.labels, connection.gateway.labels)
      )
        continue;
      connection.close();
      this.connections.delete(name);
    }
    for (const gateway of gateways) {
      if (this.connections.has(gateway.name) || !this.running) continue;
      this.connections.set(gateway.name, this.connect(gateway));
    }
    this.changed();
  }

  status(owner: string): PushStatus {
    const owned = this.owners.get(owner) ?? { selector: undefined, config: [], certificates: [] };
    const selected = [...this.connections.values()].filter((c) =>
      matchesSelector(owned.selector, c.gateway.labels),
    );
    return pushStatus(owned, selected);
  }

  gateways(): readonly GatewayConnection[] {
    return [...this.connections.values()];
  }

  private connect(gateway: Gateway): GatewayConnection {
    return new GatewayConnection(
      gateway,
      () => this.tls,
      {
        onOutcome: (g, outcome) => {
          (outcome.accepted ? this.metrics?.acks : this.metrics?.nacks)?.inc({ type: outcome.type });
          if (outcome.accepted)
            this.metrics?.latency.observe({ type: outcome.type }, outcome.latencyMs / 1000);
          this.notifyOwnersOf(g, outcome);
          this.options.onOutcome?.(g, outcome);
        },
        onSent: (_g, type, bytes) => {
          this.metrics?.pushes.inc({ type });
          this.metrics?.bytes.inc({ type }, bytes);
        },
        onConnected: (g) => {
          this.metrics?.connected.set([...this.connections.values()].filter((c) => c.connected).length);
          this.notifyOwnersOf(g);
        },
      },
      this.options.logger.child({ gateway: gateway.name }),
      this.clock,
    );
  }

  private changed(): void {
    if (!this.running) return;
    const quiet = this.options.quietMs ?? 10;
    this.quietTimer?.cancel();
    this.quietTimer = this.clock.setTimer(quiet, () => this.rebuild());
    this.maxTimer ??= this.clock.setTimer(this.options.maxDelayMs ?? 1_000, () => this.rebuild());
  }

  private rebuild(): void {
    this.quietTimer?.cancel();
    this.maxTimer?.cancel();
    this.quietTimer = undefined;
    this.maxTimer = undefined;
    this.rebuilds += 1;
    const config: Published<ConfigResource>[] = [];
    const certificates: Published<CertificateResource>[] = [];
    for (const [owner, owned] of this.owners) {
      for (const item of owned.config) config.push({ owner, selector: owned.selector, item });
      for (const item of owned.certificates) certificates.push({ owner, selector: owned.selector, item });
    }
    const held = new Set<string>(
      PUSHED_TYPES.filter((t) => t.publishedBy.some((kind) => this.held.has(kind))).map((t) => t.name),
    );
    // Gateways with the same labels select the same resources: one snapshot (and one hash of
    // every payload, 9 MiB at 5,000 RouteConfigs) serves them all.
    const snapshots = new Map<string, GatewaySnapshot>();
    for (const connection of this.connections.values()) {
      const { labels } = connection.gateway;
      const key = JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
      let snapshot = snapshots.get(key);
      if (!snapshot) {
        snapshot = withoutHeld(snapshotFor(labels, config, certificates), held);
        snapshots.set(key, snapshot);
      }
      connection.setDesired(snapshot);
    }
    for (const owner of this.owners.keys()) this.report(owner);
  }

  /** After an outcome, only the owners of what it concerns can have a new status. */
  private notifyOwnersOf(gateway: Gateway, outcome?: OutcomeEvent): void {
    for (const [owner, owned] of this.owners) {
      if (!matchesSelector(owned.selector, gateway.labels)) continue;
      if (outcome && !concerns(owned, outcome)) continue;
      this.report(owner);
    }
  }

  /**
   * Tells the owner's controller only when its status really changed: one gateway's ACK used to
   * wake every owner on that gateway, hundreds of reconciles per certificate at 100 certificates.
   */
  private report(owner: string): void {
    const { selected, synced, failures } = this.status(owner);
    const now = JSON.stringify([selected, synced, failures]);
    if (this.reported.get(owner) === now) return;
    this.reported.set(owner, now);
    this.options.onStatusChange?.(owner);
  }
}

/** A type left out of a snapshot is not sent at all; its gateways keep what they have. */
function withoutHeld(snapshot: GatewaySnapshot, held: ReadonlySet<string>): GatewaySnapshot {
  if (held.size === 0) return snapshot;
  return {
    config: new Map([...snapshot.config].filter(([type]) => !held.has(type))),
    certificates: PUSHED_TYPES.some((t) => t.transport === 'ApplyCertificate' && held.has(t.name))
      ? new Map()
      : snapshot.certificates,
  };
}

function concerns(owned: Owned, { type, changed }: OutcomeEvent): boolean {
  // Plain loops: this runs for every owner on every ACK (5,000 RouteConfigs × 10 gateways).
  if (type === 'certificate') {
    for (const c of owned.certificates) if (!changed || changed.has(c.name)) return true;
    return false;
  }
  for (const r of owned.config) if (r.type === type && (!changed || changed.has(r.name))) return true;
  return false;
}

function sameLabels(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}

function sameOwned(a: Owned | undefined, b: Owned): boolean {
  return (
    a !== undefined &&
    JSON.stringify(a.selector ?? null) === JSON.stringify(b.selector ?? null) &&
    sameList(a.config, b.config, (r) => `${r.type}\0${r.name}\0${r.version}`) &&
    sameList(a.certificates, b.certificates, (c) => `${c.name}\0${c.version}`)
  );
}

function sameList<T>(a: readonly T[], b: readonly T[], key: (item: T) => string): boolean {
  return (
    a.length === b.length &&
    a.every((item, i) => {
      const other = b[i];
      return other !== undefined && key(item) === key(other);
    })
  );
}
