/**
 * WafRuleSet controller: watches rule sets and their revision ConfigMaps; compiles the spec and
 * runs its tests; stores each new compiled revision as an immutable ConfigMap; publishes the
 * revision in service to the gateways; falls back to the last good revision when gateways refuse
 * a new one; and reports it all in status, conditions and Events.
 */
import type { Registry } from 'prom-client';
import { WafRuleSetResource, type WafRuleSet, statusOf } from '../../api/v1alpha1/index.js';
import { compileRuleSet, runTests, wafResourceName, type CompiledRuleSet } from '../../domain/waf/index.js';
import { contentVersion } from '../../domain/snapshot/snapshot.js';
import { systemClock, type Clock } from '../../runtime/clock.js';
import {
  Controller,
  type ReconcileContext,
  type ReconcileRequest,
  type ReconcileResult,
} from '../../runtime/controller/controller.js';
import type { Manager } from '../../runtime/controller/manager.js';
import type { EventRecorder } from '../../runtime/events/recorder.js';
import type { Regarding } from '../../runtime/events/event.js';
import type { Informer } from '../../runtime/informer/informer.js';
import { isNotFound } from '../../runtime/kube/errors.js';
import type { KubeClient } from '../../runtime/kube/client.js';
import { CoreTypes, type ConfigMap } from '../../runtime/kube/resource.js';
import type { Logger } from '../../runtime/logger.js';
import { applyOwned } from '../../runtime/objects/apply-owned.js';
import { isOwnedBy } from '../../runtime/objects/owner-references.js';
import { findCondition } from '../../runtime/status/conditions.js';
import type { PublisherRef } from '../publisher.js';
import { pushOwner, type PushStatusRouter } from '../push-owners.js';
import { writeStatus } from '../write-status.js';
import {
  REJECTED_ANNOTATION,
  RULE_SET_LABEL,
  SYNCED_ANNOTATION,
  byRevision,
  lastGood,
  needsSyncedStamp,
  parseRevision,
  revisionConfigMap,
  revisionsToPrune,
  type Revision,
} from './revisions.js';
import { wafRuleSetStatus, type WafProblemView } from './status.js';

export interface WafRuleSetControllerOptions {
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

export function wafRuleSetController(options: WafRuleSetControllerOptions): Controller {
  const { manager } = options;
  const ruleSets = manager.informer<WafRuleSet>(WafRuleSetResource);
  const configMaps = manager.informer<ConfigMap>(CoreTypes.configMap, { labelSelector: RULE_SET_LABEL });
  const reconciler = new WafRuleSetReconciler(options, ruleSets, configMaps);
  const controller = new Controller({
    name: 'wafruleset',
    workers: options.workers,
    logger: options.logger,
    registry: options.registry,
    clock: options.clock,
    reconcile: (request, context) => reconciler.reconcile(request, context),
  })
    .watchPrimary(ruleSets)
    .watchOwned(configMaps, {
      apiVersion: WafRuleSetResource.group + '/' + WafRuleSetResource.version,
      kind: 'WafRuleSet',
    });
  options.router.register('WafRuleSet', (key) => controller.enqueue(key));
  return controller;
}

class WafRuleSetReconciler {
  /** Per rule set, the hash last published: what the pusher's status speaks about. */
  private readonly published = new Map<string, string>();
  private readonly clock: Clock;

  constructor(
    private readonly options: WafRuleSetControllerOptions,
    private readonly ruleSets: Informer<WafRuleSet>,
    private readonly configMaps: Informer<ConfigMap>,
  ) {
    this.clock = options.clock ?? systemClock;
  }

  async reconcile(
    { key, namespace = '', name }: ReconcileRequest,
    { logger }: ReconcileContext,
  ): Promise<ReconcileResult | undefined> {
    const owner = pushOwner('WafRuleSet', key);
    const rs = this.ruleSets.store.get(key);
    if (!rs || rs.metadata.deletionTimestamp) {
      this.options.publisher().withdraw(owner);
      this.published.delete(key);
      return undefined;
    }
    const revisions = this.revisionsOf(rs);

    // Decide: compile, test, find or store the candidate revision.
    const { problems, testsFailed, compiled } = compile(rs);
    let candidate = compiled ? revisions.find((r) => r.hash === compiled.hash) : undefined;
    if (compiled && !candidate) {
      candidate = await this.storeRevision(rs, compiled, revisions);
      logger.info('stored a WAF rule set revision', { revision: candidate.revision, hash: candidate.hash });
      revisions.push(candidate);
    }

    // What the gateways said about the revision published last time.
    const publisher = this.options.publisher();
    const before = publisher.status(owner);
    const publishedHash = this.published.get(key);
    const current = revisions.find((r) => r.hash === publishedHash);
    if (current && current.rejected === undefined && before.failed > 0) {
      const message = before.failures.map((f) => `${f.gateway}: ${f.message}`).join('; ');
      await this.annotate(current, { [REJECTED_ANNOTATION]: message.slice(0, 4096) });
      revisions.splice(revisions.indexOf(current), 1, { ...current, rejected: message });
      if (current.hash === candidate?.hash) candidate = { ...candidate, rejected: message };
      this.event(rs, 'Warning', 'Rejected', `Gateways rejected revision ${current.revision}: ${message}`);
      logger.warn('gateways rejected a WAF rule set revision', { revision: current.revision, message });
    } else if (
      current &&
      before.selected > 0 &&
      before.synced === before.selected &&
      needsSyncedStamp(current, revisions)
    ) {
      const syncedAt = new Date(this.clock.now()).toISOString();
      await this.annotate(current, { [SYNCED_ANNOTATION]: syncedAt });
      revisions.splice(revisions.indexOf(current), 1, { ...current, syncedAt });
    }

    const served = this.chooseServed(rs, candidate, revisions);
    if (served) {
      const payload = Buffer.from(served.payload, 'utf8');
      publisher.publish(owner, rs.spec.gatewaySelector, [
        {
          type: 'waf',
          name: wafResourceName(namespace, name, served.priority),
          version: contentVersion(payload),
          payload,
        },
      ]);
      if (served.hash !== publishedHash && publishedHash !== undefined && served.hash !== candidate?.hash) {
        this.event(rs, 'Warning', 'RolledBack', `Serving revision ${served.revision} again.`);
      }
      this.published.set(key, served.hash);
    } else {
      publisher.withdraw(owner);
      this.published.delete(key);
    }

    const status = wafRuleSetStatus(
      rs,
      { problems, testsFailed, candidate, served, push: publisher.status(owner) },
      new Date(this.clock.now()),
    );
    this.recordTransitions(rs, status.conditions);
    const written = await writeStatus(this.options.client, WafRuleSetResource, rs, status);
    await this.prune(rs, revisions, [served?.hash, candidate?.hash]);
    return written;
  }

  private revisionsOf(rs: WafRuleSet): Revision[] {
    const { namespace, name = '' } = rs.metadata;
    return this.configMaps.store
      .listBySelector({ matchLabels: { [RULE_SET_LABEL]: name } }, namespace)
      .filter((cm) => isOwnedBy(cm, rs))
      .map(parseRevision)
      .filter((r): r is Revision => r !== undefined);
  }

  private async storeRevision(
    rs: WafRuleSet,
    compiled: CompiledRuleSet,
    revisions: Revision[],
  ): Promise<Revision> {
    const next = Math.max(0, ...revisions.map((r) => r.revision)) + 1;
    const desired = revisionConfigMap(rs, compiled, rs.spec, next);
    const { object } = await applyOwned(this.options.client, CoreTypes.configMap, desired, undefined);
    const revision = parseRevision(object);
    if (!revision) throw new Error(`revision ConfigMap ${desired.metadata.name ?? ''} came back unreadable`);
    this.event(
      rs,
      'Normal',
      'Compiled',
      `Stored revision ${revision.revision}: ${compiled.ruleCount} rules.`,
    );
    return revision;
  }

  /**
   * The candidate unless gateways refused it; then the newest revision every gateway once applied
   * (or, with none, the candidate still: each gateway keeps its own last good rules). Without a
   * candidate (the spec does not compile or fails its tests), the revision in service stays.
   */
  private chooseServed(
    rs: WafRuleSet,
    candidate: Revision | undefined,
    revisions: Revision[],
  ): Revision | undefined {
    if (candidate) {
      if (candidate.rejected === undefined) return candidate;
      return lastGood(revisions, candidate.hash) ?? candidate;
    }
    const inService = revisions.find((r) => r.hash === statusOf(rs)?.hash) ?? byRevision(revisions)[0];
    if (inService?.rejected === undefined) return inService;
    return lastGood(revisions, inService.hash) ?? inService;
  }

  private async annotate(revision: Revision, annotations: Record<string, string>): Promise<void> {
    const { namespace, name = '' } = revision.configMap.metadata;
    await this.options.client.mergePatch(CoreTypes.configMap, namespace, name, { metadata: { annotations } });
  }

  private async prune(rs: WafRuleSet, revisions: Revision[], inUse: (string | undefined)[]): Promise<void> {
    const keep = new Set(inUse.filter((h): h is string => h !== undefined));
    for (const old of revisionsToPrune(revisions, rs.spec.revisionHistoryLimit, keep)) {
      const { namespace, name = '' } = old.configMap.metadata;
      try {
        await this.options.client.delete(CoreTypes.configMap, namespace, name);
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    }
  }

  /** Events for what changed, not for every reconcile: the Compiled condition's transitions. */
  private recordTransitions(rs: WafRuleSet, next: WafRuleSet['status']['conditions']): void {
    const before = findCondition(statusOf(rs)?.conditions, 'Compiled');
    const after = findCondition(next, 'Compiled');
    if (!after || after.status === 'True') return;
    if (before?.reason === after.reason && before.message === after.message) return;
    this.event(rs, 'Warning', after.reason, after.message);
  }

  private event(rs: WafRuleSet, type: 'Normal' | 'Warning', reason: string, note: string): void {
    this.options.recorder.record(rs as Regarding, type, reason, note);
  }
}

function compile(rs: WafRuleSet): {
  problems: WafProblemView[];
  testsFailed: boolean;
  compiled: CompiledRuleSet | undefined;
} {
  const { namespace = '', name = '' } = rs.metadata;
  const result = compileRuleSet({ namespace, name, spec: rs.spec });
  if ('problems' in result) return { problems: result.problems, testsFailed: false, compiled: undefined };
  const failures = runTests(result, rs.spec.tests ?? []);
  if (failures.length === 0) return { problems: [], testsFailed: false, compiled: result };
  const problems = failures.map((f) => {
    const index = (rs.spec.tests ?? []).findIndex((t) => t.name === f.name);
    return {
      rule: f.name,
      path: `spec.tests[${index}]`,
      message: `test "${f.name}" expected ${f.expected}, got ${f.actual}${f.rule ? ` (rule ${f.rule})` : ''}`,
    };
  });
  return { problems, testsFailed: true, compiled: undefined };
}
