/**
 * ThreatAllowlist controller: watches allowlists and the ConfigMaps labelled for them; reads each
 * into ranges (Allowlists, cached per change); tells DenyLists, which takes the united allowlists
 * out of every deny list it pushes (feeds and any other source) and re-publishes them when the
 * union changed; and reports what each allowlist holds, and what it could not read, in status.
 */
import type { Registry } from 'prom-client';
import {
  ThreatAllowlistResource,
  type ThreatAllowlist,
  type ThreatAllowlistStatus,
} from '../../api/v1alpha1/index.js';
import type { Clock } from '../../runtime/clock.js';
import { systemClock } from '../../runtime/clock.js';
import {
  Controller,
  type ReconcileRequest,
  type ReconcileResult,
} from '../../runtime/controller/controller.js';
import type { Informer } from '../../runtime/informer/informer.js';
import { isNotFound } from '../../runtime/kube/errors.js';
import type { KubeClient } from '../../runtime/kube/client.js';
import { CoreTypes, type ConfigMap } from '../../runtime/kube/resource.js';
import type { Logger } from '../../runtime/logger.js';
import { setCondition } from '../../runtime/status/conditions.js';
import { statusOf } from '../../api/v1alpha1/index.js';
import { Allowlists } from '../../threats/allowlists.js';
import type { DenyLists } from '../../threats/deny-lists.js';
import { writeStatus } from '../write-status.js';

export interface ThreatAllowlistControllerOptions {
  readonly client: KubeClient;
  readonly allowlists: Informer<ThreatAllowlist>;
  readonly allowlistConfigMaps: Informer<ConfigMap>;
  readonly reader: Allowlists;
  readonly denyLists: () => DenyLists;
  /** Called when the united allowlists changed, e.g. to report the feeds' allowlisted ranges again. */
  readonly onChange?: () => void;
  readonly logger: Logger;
  readonly workers: number;
  readonly registry?: Registry;
  readonly clock?: Clock;
}

export function threatAllowlistController(options: ThreatAllowlistControllerOptions): Controller {
  const { allowlists, allowlistConfigMaps: configMaps } = options;
  const clock = options.clock ?? systemClock;
  const reconcile = async ({ key }: ReconcileRequest): Promise<ReconcileResult | undefined> => {
    const allowlist = allowlists.store.get(key);
    if (allowlist && !allowlist.metadata.deletionTimestamp) {
      const unlabelled = await unlabelledRefs(options.client, allowlist, configMaps);
      const content = options.reader.contentOf(allowlist, unlabelled);
      const status = allowlistStatus(allowlist, content, new Date(clock.now()));
      const written = await writeStatus(options.client, ThreatAllowlistResource, allowlist, status);
      if (written) return written;
    }
    // Deny lists re-read the union (cached per change) and re-publish only when it changed.
    const before = options.reader.current();
    options.denyLists().allowlistChanged();
    if (before !== options.reader.current() || !allowlist) options.onChange?.();
    return undefined;
  };
  return new Controller({
    name: 'threatallowlist',
    workers: Math.min(options.workers, 2),
    logger: options.logger,
    registry: options.registry,
    clock: options.clock,
    reconcile,
  })
    .watchPrimary(allowlists)
    .watchMapped(configMaps, (cm) =>
      allowlists.store
        .list()
        .filter(
          (a) =>
            a.metadata.namespace === cm.metadata.namespace &&
            (a.spec.configMapRefs ?? []).some((ref) => ref.name === cm.metadata.name),
        )
        .map((a) => `${a.metadata.namespace ?? ''}/${a.metadata.name ?? ''}`),
    );
}

/** Referenced ConfigMaps that exist but lack the label (so the informer does not hold them). */
async function unlabelledRefs(
  client: KubeClient,
  allowlist: ThreatAllowlist,
  configMaps: Informer<ConfigMap>,
): Promise<Set<string>> {
  const namespace = allowlist.metadata.namespace ?? '';
  const found = new Set<string>();
  for (const ref of allowlist.spec.configMapRefs ?? []) {
    if (configMaps.store.get(`${namespace}/${ref.name}`)) continue;
    try {
      await client.get<ConfigMap>(CoreTypes.configMap, namespace, ref.name);
      found.add(ref.name);
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }
  return found;
}

function allowlistStatus(
  allowlist: ThreatAllowlist,
  content: ReturnType<Allowlists['contentOf']>,
  now: Date,
): ThreatAllowlistStatus {
  const observedGeneration = allowlist.metadata.generation;
  const ready =
    content.problems.length === 0
      ? {
          type: 'Ready',
          status: 'True' as const,
          reason: 'Applied',
          message: `${content.entries} addresses and CIDRs are taken out of every IP deny list.`,
          observedGeneration,
        }
      : {
          type: 'Ready',
          status: 'False' as const,
          reason: 'Incomplete',
          message: `${content.entries} addresses and CIDRs apply; ${content.problems.join('; ')}.`,
          observedGeneration,
        };
  return {
    observedGeneration,
    conditions: setCondition(statusOf(allowlist)?.conditions, ready, now),
    entries: content.entries,
    invalidEntries: content.invalid,
  };
}
