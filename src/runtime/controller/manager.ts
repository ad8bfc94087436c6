/**
 * The manager: one shared informer per (kind, selector, shape), the controllers, and leader
 * election. Caches run on every replica so a standby is warm; controllers run only on the
 * leader. Losing the lease stops the controllers at once and ends the process (as
 * controller-runtime does), so a replica never acts on leadership it no longer holds.
 */
import type { Registry } from 'prom-client';
import { systemClock, type Clock } from '../clock.js';
import type { Component } from '../component.js';
import { Informer, type InformerOptions } from '../informer/informer.js';
import type { KubeClient } from '../kube/client.js';
import type { KubeObject, ResourceType } from '../kube/resource.js';
import type { Logger } from '../logger.js';

export interface LeaderElection {
  /** Campaigns until stopped; calls the manager's callbacks as leadership comes and goes. */
  run(): Promise<void>;
  stop(): Promise<void>;
}

export interface ManagerOptions {
  /** Shared by every informer and controller; closed when the manager stops. */
  readonly client: KubeClient;
  readonly logger: Logger;
  readonly registry?: Registry;
  readonly clock?: Clock;
  /** Namespaces to watch; empty watches all. */
  readonly namespaces: readonly string[];
  /** Builds the elector with the manager's callbacks; undefined runs controllers at once. */
  readonly leaderElection?: (callbacks: {
    onStartedLeading: () => void;
    onStoppedLeading: () => void;
  }) => LeaderElection;
  /** Called when leadership is lost; by default the process exits with code 1. */
  readonly onLostLeadership?: () => void;
}

export type SharedInformerOptions<T extends KubeObject> = Omit<
  InformerOptions<T>,
  'client' | 'type' | 'logger' | 'clock' | 'namespaces'
> & { readonly namespaces?: readonly string[] };

export class Manager implements Component {
  readonly name = 'manager';
  private readonly informers = new Map<string, Informer<KubeObject>>();
  /** Controllers and anything else only the leader may run (the pusher). */
  private readonly controllers: Component[] = [];
  private elector: LeaderElection | undefined;
  private electing: Promise<void> | undefined;
  private leading = false;
  private stopping = false;
  private controllersStarted: Promise<void> | undefined;

  constructor(private readonly options: ManagerOptions) {}

  /**
   * The informer for `type` with these options, created on first request and shared after.
   * Call before start().
   */
  informer<T extends KubeObject>(type: ResourceType, options: SharedInformerOptions<T> = {}): Informer<T> {
    const namespaces = options.namespaces ?? this.options.namespaces;
    const key = JSON.stringify([
      type.group,
      type.version,
      type.plural,
      namespaces,
      options.labelSelector ?? '',
      options.fieldSelector ?? '',
      options.metadataOnly ?? false,
    ]);
    let informer = this.informers.get(key) as Informer<T> | undefined;
    if (!informer) {
      informer = new Informer<T>({
        ...options,
        namespaces,
        client: this.options.client,
        type,
        logger: this.options.logger.child({ informer: type.plural }),
        clock: this.options.clock ?? systemClock,
      });
      this.informers.set(key, informer as unknown as Informer<KubeObject>);
    }
    return informer;
  }

  add(runnable: Component): void {
    this.controllers.push(runnable);
  }

  get isLeader(): boolean {
    return this.leading;
  }

  /** Readiness: every cache synced and not shutting down; the reason otherwise. */
  readiness = (): true | string => {
    if (this.stopping) return 'shutting down';
    const waiting = [...this.informers.values()].filter((i) => !i.hasSynced()).map((i) => i.type.plural);
    return waiting.length === 0 ? true : `caches not synced: ${waiting.join(', ')}`;
  };

  async start(): Promise<void> {
    for (const informer of this.informers.values()) informer.start();
    const synced = await Promise.all([...this.informers.values()].map((i) => i.waitForSync()));
    if (!synced.every(Boolean)) return; // stopped before the caches synced
    this.options.logger.info('caches synced', { informers: this.informers.size });
    if (!this.options.leaderElection) {
      this.onStartedLeading();
      await this.controllersStarted;
      return;
    }
    this.elector = this.options.leaderElection({
      onStartedLeading: () => this.onStartedLeading(),
      onStoppedLeading: () => this.onStoppedLeading(),
    });
    this.electing = this.elector.run();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.stopControllers();
    // Released only after the controllers stopped, so the next leader never overlaps with us.
    await this.elector?.stop();
    await this.electing;
    await Promise.all([...this.informers.values()].map((i) => i.stop()));
    this.options.client.close();
  }

  private onStartedLeading(): void {
    if (this.stopping || this.leading) return;
    this.leading = true;
    this.options.logger.info('became leader; starting controllers', { controllers: this.controllers.length });
    this.controllersStarted = Promise.all(this.controllers.map((c) => c.start())).then(() => undefined);
  }

  private onStoppedLeading(): void {
    if (!this.leading) return;
    this.options.logger.error('leadership lost; stopping controllers');
    void this.stopControllers().then(() => {
      if (this.stopping) return;
      if (this.options.onLostLeadership) this.options.onLostLeadership();
      else process.exit(1);
    });
  }

  private async stopControllers(): Promise<void> {
    if (!this.leading) return;
    this.leading = false;
    await this.controllersStarted;
    await Promise.all(this.controllers.map((c) => c.stop()));
  }
}
