/**
 * RouteConfig controller. Routes depend on each other (conflicts) and on Services,
 * EndpointSlices, Certificates and WafRuleSets, so any change to those recompiles the whole
 * table under one queue key, which also collapses EndpointSlice churn into one rebuild; each
 * RouteConfig's status is then written under its own key, also when its gateways answer, after
 * its valid spec is stored as a revision (revisions.ts): an invalid edit leaves the last valid
 * version in service (serving.ts), after a restart too.
 */
import type { Registry } from 'prom-client';
import {
  CertificateResource,
  RouteConfigResource,
  WafRuleSetResource,
  type Certificate,
  type RouteConfig,
  type WafRuleSet,
  statusOf,
} from '../../api/v1alpha1/index.js';
import { wafResourceName } from '../../domain/waf/index.js';
import {
  compileRoutes,
  serviceBackends,
  type EndpointSliceJson,
  type RouteConfigResult,
  type ServiceJson,
} from '../../domain/routes/index.js';
import { systemClock, type Clock } from '../../runtime/clock.js';
import {
  Controller,
  type ReconcileContext,
  type ReconcileRequest,
  type ReconcileResult,
} from '../../runtime/controller/controller.js';
import type { Manager } from '../../runtime/controller/manager.js';
import { generationChanged, labelsChanged, anyOf } from '../../runtime/controller/predicates.js';
import type { Regarding } from '../../runtime/events/event.js';
import type { EventRecorder } from '../../runtime/events/recorder.js';
import type { Informer } from '../../runtime/informer/informer.js';
import type { KubeClient } from '../../runtime/kube/client.js';
import { isNotFound } from '../../runtime/kube/errors.js';
import { CoreTypes, objectKey, type ConfigMap, type KubeObject } from '../../runtime/kube/resource.js';
import type { Logger } from '../../runtime/logger.js';
import { applyOwned } from '../../runtime/objects/apply-owned.js';
import { findCondition, isTrue } from '../../runtime/status/conditions.js';
import type { PublisherRef } from '../publisher.js';
import { pushOwner, type PushStatusRouter } from '../push-owners.js';
import { writeStatus } from '../write-status.js';
import {
  ROUTE_CONFIG_LABEL,
  byRevision,
  parseRevisionRef,
  parseStoredRoutes,
  revisionConfigMap,
  revisionsToPrune,
  specHash,
  type RevisionRef,
  type StoredRoutes,
} from './revisions.js';
import { planServing, type LastGood, type RouteConfigPlan } from './serving.js';
import { routeConfigStatus } from './status.js';

/** The queue key that recompiles every RouteConfig; object keys always contain a '/'. */
const COMPILE = 'compile';
/** Revisions by their owners' uids: one lookup per RouteConfig, not a scan per namespace. */
const OWNER_INDEX = 'owner';

export interface RouteConfigControllerOptions {
  readonly client: KubeClient;
  readonly manager: Manager;
  readonly publisher: PublisherRef;
  readonly router: PushStatusRouter;
  readonly recorder: EventRecorder;
  readonly logger: Logger;
  readonly workers: number;
  readonly registry?: Registry;
  readonly clock?: Clock;
  /**
   * After each compile, what each RouteConfig puts on the gateways ('namespace/name' → its
   * served payload, canonical JSON of RoutesPayload), read-only: telemetry matches logged
   * requests to routes with it.
   */
  readonly onServing?: (
    served: ReadonlyMap<string, { readonly version: string; readonly payload: Uint8Array }>,
  ) => void;
}

interface Informers {
  readonly routeConfigs: Informer<RouteConfig>;
  readonly services: Informer<KubeObject & ServiceJson>;
  readonly slices: Informer<KubeObject & EndpointSliceJson>;
  readonly certificates: Informer<Certificate>;
  readonly wafRuleSets: Informer<WafRuleSet>;
  /** Revision ConfigMaps, metadata only: their content is read when one must be served. */
  readonly revisions: Informer<KubeObject>;
}

export function routeConfigController(options: RouteConfigControllerOptions): Controller {
  const { manager } = options;
  const informers: Informers = {
    routeConfigs: manager.informer<RouteConfig>(RouteConfigResource),
    services: manager.informer(CoreTypes.service),
    slices: manager.informer(CoreTypes.endpointSlice),
    certificates: manager.informer<Certificate>(CertificateResource),
    wafRuleSets: manager.informer<WafRuleSet>(WafRuleSetResource),
    revisions: manager.informer(CoreTypes.configMap, {
      labelSelector: ROUTE_CONFIG_LABEL,
      metadataOnly: true,
      indexers: { [OWNER_INDEX]: (cm) => (cm.metadata.ownerReferences ?? []).map((ref) => ref.uid) },
    }),
  };
  const reconciler = new RouteConfigReconciler(options, informers);
  const recompile = () => [COMPILE];
  const controller = new Controller({
    name: 'routeconfig',
    workers: options.workers,
    logger: options.logger,
    registry: options.registry,
    clock: options.clock,
    reconcile: (request, context) => reconciler.reconcile(request, context),
  })
    // Our own status writes change neither generation nor labels: they do not recompile.
    .watchMapped(informers.routeConfigs, recompile, { predicates: [anyOf(generationChanged, labelsChanged)] })
    .watchMapped(informers.services, recompile)
    .watchMapped(informers.slices, recompile)
    .watchMapped(informers.certificates, recompile, {
      predicates: [(a, b) => readyForRoutes(a) !== readyForRoutes(b)],
    })
    .watchMapped(informers.wafRuleSets, recompile, { predicates: [generationChanged] })
    // A revision deleted by hand is stored again while its spec is the one in service.
    .watchOwned(informers.revisions, {
      apiVersion: RouteConfigResource.group + '/' + RouteConfigResource.version,
      kind: 'RouteConfig',
    });
  reconciler.enqueue = (key) => controller.enqueue(key);
  options.router.register('RouteConfig', (key) => controller.enqueue(key));
  return controller;
}

/** A Certificate routes may use: a real or temporary certificate is on the gateways. */
function readyForRoutes(cert: Certificate): boolean {
  const conditions = (cert as Partial<Certificate>).status?.conditions;
  return isTrue(conditions, 'Ready') || isTrue(conditions, 'Temporary');
}

class RouteConfigReconciler {
  enqueue: (key: string) => void = () => undefined;
  private plans = new Map<string, RouteConfigPlan>();
  /** Per key, the valid spec this process last served: the last good version before its revision is stored. */
  private readonly lastValid = new Map<string, { spec: RouteConfig['spec']; generation: number }>();
  /** Revision contents read so far, by ConfigMap name (which holds the spec's hash: they never change). */
  private stored = new Map<string, StoredRoutes | undefined>();
  /** Per key, the revision this process stored last, which the cache may not show yet. */
  private readonly lastStored = new Map<string, RevisionRef>();
  private readonly clock: Clock;

  constructor(
    private readonly options: RouteConfigControllerOptions,
    private readonly informers: Informers,
  ) {
    this.clock = options.clock ?? systemClock;
  }

  async reconcile(
    request: ReconcileRequest,
    { logger }: ReconcileContext,
  ): Promise<ReconcileResult | undefined> {
    if (request.key !== COMPILE) return this.reconcileOne(request.key);
    await this.compile(logger);
    return undefined;
  }

  private async compile(logger: Logger): Promise<void> {
    const { routeConfigs, services, slices, certificates, wafRuleSets } = this.informers;
    const live = routeConfigs.store.list().filter((rc) => !rc.metadata.deletionTimestamp);
    const input = {
      routeConfigs: live.map((rc) => ({
        namespace: rc.metadata.namespace ?? '',
        name: rc.metadata.name ?? '',
        uid: rc.metadata.uid,
        creationTimestamp: rc.metadata.creationTimestamp ?? '',
        generation: rc.metadata.generation ?? 0,
        spec: rc.spec,
      })),
      services: serviceBackends(services.store.list(), slices.store.list()),
      certificates: new Set(certificates.store.list().filter(readyForRoutes).map(objectKey)),
      wafRuleSets: new Map(
        wafRuleSets.store
          .list()
          .map((rs) => [
            objectKey(rs),
            wafResourceName(rs.metadata.namespace ?? '', rs.metadata.name ?? '', rs.spec.priority),
          ]),
      ),
    };
    const current = compileRoutes(input);
    const lastGood = new Map<string, LastGood>();
    const read = new Map<string, StoredRoutes | undefined>();
    for (const rc of live) {
      const key = objectKey(rc);
      const result = current.get(key);
      if (!result) continue;
      if (result.valid) {
        this.lastValid.set(key, { spec: rc.spec, generation: rc.metadata.generation ?? 0 });
        continue;
      }
      const good = await this.lastGoodOf(rc, read);
      if (good) lastGood.set(key, good);
    }
    this.stored = read;
    const plans = planServing(input, current, lastGood);
    const publisher = this.options.publisher();
    for (const [key, plan] of plans) {
      if (plan.served) {
        const { selector, name, version, payload } = plan.served;
        publisher.publish(pushOwner('RouteConfig', key), selector, [
          { type: 'routes', name, version, payload },
        ]);
      }
      const before = this.plans.get(key);
      if (!before || changed(before, plan)) this.enqueue(key);
    }
    for (const key of this.plans.keys()) {
      if (plans.has(key)) continue;
      publisher.withdraw(pushOwner('RouteConfig', key));
      this.lastValid.delete(key);
      this.lastStored.delete(key);
    }
    this.plans = plans;
    logger.debug('compiled routes', {
      routeConfigs: current.size,
      invalid: [...current.values()].filter((r) => !r.valid).length,
    });
    if (this.options.onServing) {
      const served = new Map<string, { version: string; payload: Uint8Array }>();
      for (const [key, plan] of plans) {
        if (plan.served) served.set(key, { version: plan.served.version, payload: plan.served.payload });
      }
      this.options.onServing(served);
    }
  }

  /**
   * The version to keep in service while `rc`'s spec is invalid: the valid spec this process
   * served last, or else the newest stored revision that can be read.
   */
  private async lastGoodOf(
    rc: RouteConfig,
    read: Map<string, StoredRoutes | undefined>,
  ): Promise<LastGood | undefined> {
    const revisions = byRevision(this.revisionsOf(rc));
    const remembered = this.lastValid.get(objectKey(rc));
    if (remembered) {
      const hash = specHash(remembered.spec);
      const ref = revisions.find((r) => r.specHash === hash);
      return {
        spec: remembered.spec,
        generation: ref?.generation ?? remembered.generation,
        revision: ref?.revision,
      };
    }
    for (const ref of revisions) {
      const stored = await this.read(rc.metadata.namespace, ref.name);
      read.set(ref.name, stored);
      if (stored) return { ...stored, revision: ref.revision, generation: ref.generation };
    }
    return undefined;
  }

  private async read(namespace: string | undefined, name: string): Promise<StoredRoutes | undefined> {
    if (this.stored.has(name)) return this.stored.get(name);
    try {
      return parseStoredRoutes(
        await this.options.client.get<ConfigMap>(CoreTypes.configMap, namespace, name),
      );
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  private revisionsOf(rc: RouteConfig): RevisionRef[] {
    const { uid } = rc.metadata;
    if (!uid) return [];
    return this.informers.revisions.store
      .byIndex(OWNER_INDEX, uid)
      .map(parseRevisionRef)
      .filter((r): r is RevisionRef => r !== undefined);
  }

  /** Stores the valid spec in service as a revision, prunes old ones, then writes the status. */
  private async reconcileOne(key: string): Promise<ReconcileResult | undefined> {
    const rc = this.informers.routeConfigs.store.get(key);
    const plan = this.plans.get(key);
    if (!rc || !plan || rc.metadata.deletionTimestamp) return undefined;
    const revisions = this.revisionsOf(rc);
    // A spec edited since the plan was made waits for the compile the edit has queued.
    const current = plan.current && plan.result.generation === rc.metadata.generation;
    const hash = current ? specHash(rc.spec) : undefined;
    const stored = this.lastStored.get(key);
    let inService =
      revisions.find((r) => r.specHash === hash) ?? (stored?.specHash === hash ? stored : undefined);
    if (current && plan.served && !inService) inService = await this.storeRevision(rc, plan, revisions);
    const keep = new Set([
      inService?.name,
      ...revisions.filter((r) => r.revision === plan.lastGood?.revision).map((r) => r.name),
    ]);
    await this.prune(rc, revisions, keep);
    return this.writeStatus(rc, key, plan);
  }

  private async storeRevision(
    rc: RouteConfig,
    plan: RouteConfigPlan,
    revisions: readonly RevisionRef[],
  ): Promise<RevisionRef | undefined> {
    const key = objectKey(rc);
    const next =
      Math.max(0, this.lastStored.get(key)?.revision ?? 0, ...revisions.map((r) => r.revision)) + 1;
    const desired = revisionConfigMap(rc, next, { bytes: plan.result.payload, version: plan.result.hash });
    if (!desired) {
      this.options.logger.warn(
        'RouteConfig too large to keep as a revision; its last valid version lives in memory only',
        { routeConfig: key },
      );
      return undefined;
    }
    await applyOwned(this.options.client, CoreTypes.configMap, desired, undefined);
    const ref = parseRevisionRef(desired);
    if (ref) this.lastStored.set(key, ref);
    return ref;
  }

  private async prune(
    rc: RouteConfig,
    revisions: readonly RevisionRef[],
    keep: ReadonlySet<string | undefined>,
  ): Promise<void> {
    const kept = new Set([...keep].filter((name): name is string => name !== undefined));
    for (const old of revisionsToPrune(revisions, rc.spec.revisionHistoryLimit, kept)) {
      try {
        await this.options.client.delete(CoreTypes.configMap, rc.metadata.namespace, old.name);
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    }
  }

  private async writeStatus(
    rc: RouteConfig,
    key: string,
    plan: RouteConfigPlan,
  ): Promise<ReconcileResult | undefined> {
    const push = this.options.publisher().status(pushOwner('RouteConfig', key));
    const status = routeConfigStatus(rc, plan.result, push, plan.lastGood, new Date(this.clock.now()));
    this.recordTransitions(rc, status.conditions);
    return writeStatus(this.options.client, RouteConfigResource, rc, status);
  }

  /** One Event per new problem, not one per reconcile. */
  private recordTransitions(rc: RouteConfig, next: RouteConfig['status']['conditions']): void {
    for (const type of ['Accepted', 'ResolvedRefs', 'Synced']) {
      const before = findCondition(statusOf(rc)?.conditions, type);
      const after = findCondition(next, type);
      if (!after || after.status === 'True' || after.reason === 'Pending') continue;
      if (before?.reason === after.reason && before.message === after.message) continue;
      this.options.recorder.record(rc as Regarding, 'Warning', after.reason, after.message);
    }
  }
}

/** Whether a RouteConfig's status may read differently: its result, or what stands in for it. */
function changed(before: RouteConfigPlan, after: RouteConfigPlan): boolean {
  const [a, b] = [before.result, after.result];
  return (
    a.hash !== b.hash ||
    a.generation !== b.generation ||
    !sameConditions(a, b) ||
    before.lastGood?.revision !== after.lastGood?.revision ||
    before.lastGood?.generation !== after.lastGood?.generation ||
    before.served?.version !== after.served?.version
  );
}

function sameConditions(a: RouteConfigResult, b: RouteConfigResult): boolean {
  return (
    a.accepted.status === b.accepted.status &&
    a.accepted.message === b.accepted.message &&
    a.resolvedRefs.status === b.resolvedRefs.status &&
    a.resolvedRefs.message === b.resolvedRefs.message
  );
}
