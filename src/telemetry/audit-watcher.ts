/**
 * Audits changes to the operator's custom resources, on the leader: informers of its own (the
 * shared ones drop managedFields, which name who wrote a change), a table of the last state it
 * recorded per object (audit_resources), and one transaction per change that updates that state
 * and appends to the chain — so a change is recorded once, even across leader changes. At start
 * it compares what exists with what it recorded, which catches changes made while no leader ran.
 */
import type { Registry } from 'prom-client';
import { KINDS } from '../api/v1alpha1/index.js';
import {
  resourceChange,
  type ManagerEntry,
  type ObservedResource,
  type ResourceState,
} from '../domain/telemetry/resource-audit.js';
import { systemClock, type Clock } from '../runtime/clock.js';
import type { Component } from '../runtime/component.js';
import { Informer } from '../runtime/informer/informer.js';
import type { KubeClient } from '../runtime/kube/client.js';
import type { KubeObject, ResourceType } from '../runtime/kube/resource.js';
import type { Logger } from '../runtime/logger.js';
import { identifier, type Database, type Queryable } from '../storage/database.js';
import { describeDatabaseError } from '../storage/errors.js';
import { AuditStore } from './audit-store.js';

export interface AuditWatcherOptions {
  readonly client: KubeClient;
  readonly store: { readonly database: Database | undefined; ready(): Promise<Database> };
  readonly schema: string;
  readonly namespaces: readonly string[];
  readonly logger: Logger;
  readonly registry?: Registry;
  readonly clock?: Clock;
  /** Kinds to audit (default: every kind of the API). */
  readonly resources?: readonly ResourceType[];
  /** How long a failed write waits before it is tried again (default 5 s). */
  readonly retryMs?: number;
}

interface Change {
  readonly type: ResourceType;
  readonly object: KubeObject | undefined;
  readonly uid: string;
  /** Found by the first pass over a kind never audited before: it existed, it was not created. */
  readonly baseline?: boolean;
}

/** What the audit informers keep: identity, generation, labels, spec and who wrote last. */
function auditTransform(obj: KubeObject): KubeObject {
  const managers = (obj.metadata.managedFields ?? []).map((entry): ManagerEntry => {
    const e = entry as Record<string, unknown>;
    const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
    return {
      manager: text(e.manager),
      operation: text(e.operation),
      time: text(e.time),
      subresource: text(e.subresource),
    };
  });
  return {
    apiVersion: obj.apiVersion,
    kind: obj.kind,
    metadata: {
      name: obj.metadata.name,
      namespace: obj.metadata.namespace,
      uid: obj.metadata.uid,
      generation: obj.metadata.generation,
      resourceVersion: obj.metadata.resourceVersion,
      labels: obj.metadata.labels,
      managedFields: managers,
    },
    spec: obj.spec,
  };
}

export class AuditWatcher implements Component {
  readonly name = 'audit-watcher';
  private readonly clock: Clock;
  private informers: { type: ResourceType; informer: Informer<KubeObject> }[] = [];
  private readonly pending: Change[] = [];
  private working: Promise<void> | undefined;
  private initial: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private stopped = true;
  private synced = false;
  private lastError: string | undefined;

  constructor(private readonly options: AuditWatcherOptions) {
    this.clock = options.clock ?? systemClock;
  }

  async start(): Promise<void> {
    this.stopped = false;
    this.synced = false;
    const types = this.options.resources ?? KINDS.map((k) => k.resource);
    this.informers = types.map((type) => {
      const informer = new Informer<KubeObject>({
        client: this.options.client,
        type,
        namespaces: this.options.namespaces,
        logger: this.options.logger.child({ informer: `audit-${type.plural}` }),
        clock: this.clock,
        transform: auditTransform,
      });
      const push = (object: KubeObject | undefined, from: KubeObject) => {
        if (!this.synced || this.stopped) return;
        this.enqueue({ type, object, uid: from.metadata.uid ?? '' });
      };
      informer.addHandler({
        onAdd: (obj) => push(obj, obj),
        onUpdate: (_old, obj) => push(obj, obj),
        onDelete: (obj) => push(undefined, obj),
      });
      return { type, informer };
    });
    for (const { informer } of this.informers) informer.start();
    this.initial = this.initialPassUntilDone();
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await Promise.all(this.informers.map(({ informer }) => informer.stop()));
    await this.initial;
    await this.working;
  }

  /** Resolves when every change seen so far is recorded (tests). */
  async idle(): Promise<void> {
    while (this.working || this.pending.length > 0 || !this.synced) {
      await (this.working ?? new Promise((resolve) => setTimeout(resolve, 20)));
    }
  }

  /** The initial pass, again after a pause while the database fails it, until done or stopped. */
  private async initialPassUntilDone(): Promise<void> {
    for (;;) {
      try {
        await this.initialPass();
        return;
      } catch (error) {
        if (this.stopped) return;
        this.waitsOn(error);
        await this.pause();
      }
    }
  }

  private async initialPass(): Promise<void> {
    await Promise.all(this.informers.map(({ informer }) => informer.waitForSync()));
    if (this.hasStopped) return;
    // The store stops after this component, so its own rejection would come too late for our stop.
    const stopped = new Promise<undefined>((resolve) => (this.wake = () => resolve(undefined)));
    const db = await Promise.race([this.options.store.ready(), stopped]);
    if (!db) return;
    const s = identifier(this.options.schema);
    for (const { type, informer } of this.informers) {
      if (this.stopped) return;
      const taken = await db.query(`SELECT 1 FROM ${s}.telemetry_state WHERE key = $1`, [
        baselineKey(type.kind),
      ]);
      const baseline = taken.rowCount === 0;
      const live = informer.store.list();
      const liveUids = new Set(live.map((o) => o.metadata.uid ?? ''));
      for (const object of live)
        this.pending.push({ type, object, uid: object.metadata.uid ?? '', baseline });
      // An empty kind takes its baseline now: whatever comes later is created.
      if (baseline && live.length === 0) await markBaseline(db, s, type.kind, this.clock.now());
      const stored = await db.query<{ uid: string }>(`SELECT uid FROM ${s}.audit_resources WHERE kind = $1`, [
        type.kind,
      ]);
      for (const { uid } of stored.rows)
        if (!liveUids.has(uid)) this.pending.push({ type, object: undefined, uid });
    }
    this.synced = true;
    this.kick();
  }

  private enqueue(change: Change): void {
    this.pending.push(change);
    this.kick();
  }

  private kick(): void {
    if (this.working || this.stopped) return;
    this.working = this.work().finally(() => {
      this.working = undefined;
      if (this.pending.length > 0 && !this.stopped) this.kick();
    });
  }

  private async work(): Promise<void> {
    while (this.pending.length > 0 && !this.stopped) {
      const change = this.pending[0];
      if (!change) break;
      const db = this.options.store.database;
      try {
        if (!db) throw new Error('the database is not connected');
        await this.record(db, change);
        this.pending.shift();
        this.lastError = undefined;
      } catch (error) {
        this.waitsOn(error);
        await this.pause();
      }
    }
  }

  /** Says once per distinct error why the audit trail is behind. */
  private waitsOn(error: unknown): void {
    const message = describeDatabaseError(error);
    if (message !== this.lastError) this.options.logger.warn(`audit of a resource change waits: ${message}`);
    this.lastError = message;
  }

  /** A getter, so the compiler does not assume `stopped` stays false across an await. */
  private get hasStopped(): boolean {
    return this.stopped;
  }

  /** Waits before a retry; a stop ends the wait at once. */
  private pause(): Promise<void> {
    return new Promise((resolve) => {
      const timer = this.clock.setTimer(this.options.retryMs ?? 5_000, () => resolve());
      this.wake = () => {
        timer.cancel();
        resolve();
      };
    });
  }

  private async record(db: Database, change: Change): Promise<void> {
    const s = identifier(this.options.schema);
    const audit = new AuditStore(db, this.options.schema);
    await db.transaction(async (tx) => {
      await AuditStore.lock(tx);
      const stored = await storedState(tx, s, change.uid);
      const current = change.object ? observedOf(change.type, change.object) : undefined;
      const event = resourceChange(stored, current, this.clock.now(), change.baseline === true);
      if (change.baseline) await markBaseline(tx, s, change.type.kind, this.clock.now());
      if (current) {
        await tx.query(
          `INSERT INTO ${s}.audit_resources (uid, kind, namespace, name, generation, labels, spec, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
           ON CONFLICT (uid) DO UPDATE SET generation = excluded.generation, labels = excluded.labels,
             spec = excluded.spec, updated_at = excluded.updated_at`,
          [
            current.uid,
            current.kind,
            current.namespace,
            current.name,
            current.generation,
            JSON.stringify(current.labels),
            JSON.stringify(current.spec ?? null),
            new Date(this.clock.now()),
          ],
        );
      } else {
        await tx.query(`DELETE FROM ${s}.audit_resources WHERE uid = $1`, [change.uid]);
      }
      if (event) await audit.appendIn(tx, [event]);
    });
  }
}

function baselineKey(kind: string): string {
  return `audit.baseline.${kind}`;
}

async function markBaseline(db: Queryable, s: string, kind: string, nowMs: number): Promise<void> {
  await db.query(
    `INSERT INTO ${s}.telemetry_state (key, value, updated_at) VALUES ($1, 'taken', $2) ON CONFLICT (key) DO NOTHING`,
    [baselineKey(kind), new Date(nowMs)],
  );
}

async function storedState(tx: Queryable, s: string, uid: string): Promise<ResourceState | undefined> {
  const result = await tx.query<{
    uid: string;
    kind: string;
    namespace: string;
    name: string;
    generation: string | number;
    labels: string;
    spec: string;
  }>(
    `SELECT uid, kind, namespace, name, generation, labels, spec FROM ${s}.audit_resources WHERE uid = $1 FOR UPDATE`,
    [uid],
  );
  const row = result.rows[0];
  if (!row) return undefined;
  return {
    uid: row.uid,
    kind: row.kind,
    namespace: row.namespace,
    name: row.name,
    generation: Number(row.generation),
    labels: JSON.parse(row.labels) as Record<string, string>,
    spec: JSON.parse(row.spec) as unknown,
  };
}

function observedOf(type: ResourceType, obj: KubeObject): ObservedResource {
  return {
    uid: obj.metadata.uid ?? '',
    kind: type.kind,
    namespace: obj.metadata.namespace ?? '',
    name: obj.metadata.name ?? '',
    generation: obj.metadata.generation ?? 0,
    labels: obj.metadata.labels ?? {},
    spec: obj.spec,
    managers: (obj.metadata.managedFields ?? []) as ManagerEntry[],
  };
}
