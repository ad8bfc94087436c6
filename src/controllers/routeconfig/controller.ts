/**
 * RouteConfig controller. Routes depend on each other (conflicts) and on Services,
 * EndpointSlices, Certificates and WafRuleSets, so any change to those recompiles the whole
 * table under one queue key, which also collapses EndpointSlice churn into one rebuild; each
 * RouteConfig's status is then written under its own key, also when its gateways answer.
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
import { CoreTypes, objectKey, type KubeObject } from '../../runtime/kube/resource.js';
import type { Logger } from '../../runtime/logger.js';
import { findCondition, isTrue } from '../../runtime/status/conditions.js';
import type { PublisherRef } from '../publisher.js';
import { pushOwner, type PushStatusRouter } from '../push-owners.js';
import { writeStatus } from '../write-status.js';
import { routeConfigStatus } from './status.js';

/** The queue key that recompiles every RouteConfig; object keys always contain a '/'. */
const COMPILE = 'compile';

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
}

interface Informers {
  readonly routeConfigs: Informer<RouteConfig>;
  readonly services: Informer<KubeObject & ServiceJson>;
  readonly slices: Informer<KubeObject & EndpointSliceJson>;
  readonly certificates: Informer<Certificate>;
  readonly wafRuleSets: Informer<WafRuleSet>;
}

export function routeConfigController(options: RouteConfigControllerOptions): Controller {
  const { manager } = options;
  const informers: Informers = {
    routeConfigs: manager.informer<RouteConfig>(RouteConfigResource),
    services: manager.informer(CoreTypes.service),
    slices: manager.informer(CoreTypes.endpointSlice),
    certificates: manager.informer<Certificate>(CertificateResource),
    wafRuleSets: manager.informer<WafRuleSet>(WafRuleSetResource),
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
    .watchMapped(informers.wafRuleSets, recompile, { predicates: [generationChanged] });
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
  private results = new Map<string, RouteConfigResult>();
  /** Keys whose latest spec is invalid while an earlier valid payload stays published. */
  private readonly servingLastGood = new Set<string>();
  private readonly published = new Map<string, string>();
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
    if (request.key !== COMPILE) return this.writeStatus(request.key);
    this.compile(logger);
    return undefined;
  }

  private compile(logger: Logger): void {
    const { routeConfigs, services, slices, certificates, wafRuleSets } = this.informers;
    const live = routeConfigs.store.list().filter((rc) => !rc.metadata.deletionTimestamp);
    const results = compileRoutes({
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
    });
    const publisher = this.options.publisher();
    for (const rc of live) {
      const key = objectKey(rc);
      const result = results.get(key);
      if (!result) continue;
      const owner = pushOwner('RouteConfig', key);
      if (result.valid || !this.published.has(key)) {
        if (result.valid || result.routesShipped > 0) {
          publisher.publish(owner, rc.spec.gatewaySelector, [
            {
              type: 'routes',
              name: result.resourceName,
              version: result.hash,
              payload: result.payload,
            },
          ]);
          this.published.set(key, result.hash);
        }
        this.servingLastGood.delete(key);
      } else {
        this.servingLastGood.add(key);
      }
      const before = this.results.get(key);
      if (
        !before ||
        before.hash !== result.hash ||
        before.generation !== result.generation ||
        !sameConditions(before, result)
      ) {
        this.enqueue(key);
      }
    }
    for (const key of this.results.keys()) {
      if (results.has(key)) continue;
      publisher.withdraw(pushOwner('RouteConfig', key));
      this.published.delete(key);
      this.servingLastGood.delete(key);
    }
    this.results = new Map(results);
    logger.debug('compiled routes', {
      routeConfigs: results.size,
      invalid: [...results.values()].filter((r) => !r.valid).length,
    });
  }

  private async writeStatus(key: string): Promise<ReconcileResult | undefined> {
    const rc = this.informers.routeConfigs.store.get(key);
    const result = this.results.get(key);
    if (!rc || !result) return undefined;
    const push = this.options.publisher().status(pushOwner('RouteConfig', key));
    const status = routeConfigStatus(
      rc,
      result,
      push,
      this.servingLastGood.has(key),
      new Date(this.clock.now()),
    );
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

function sameConditions(a: RouteConfigResult, b: RouteConfigResult): boolean {
  return (
    a.accepted.status === b.accepted.status &&
    a.accepted.message === b.accepted.message &&
    a.resolvedRefs.status === b.resolvedRefs.status &&
    a.resolvedRefs.message === b.resolvedRefs.message
  );
}
