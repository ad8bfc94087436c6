/**
 * Compiled revisions of a WafRuleSet, each an immutable ConfigMap named by its content hash and
 * owned by the rule set: the compiled bundle that is pushed, and the spec it came from so a
 * rollback can restore it. Mutable annotations record what the gateways made of a revision.
 */
import type { WafRuleSet, WafRuleSetSpec } from '../../api/v1alpha1/index.js';
import { WafRuleSetResource } from '../../api/v1alpha1/index.js';
import type { ConfigMap } from '../../runtime/kube/resource.js';
import { ownerReference } from '../../runtime/objects/owner-references.js';

const PREFIX = 'gateway.awesomeapi.com.br';
/** On every revision ConfigMap: the name of the WafRuleSet it belongs to. */
export const RULE_SET_LABEL = `${PREFIX}/wafruleset`;
export const REVISION_ANNOTATION = `${PREFIX}/revision`;
const HASH_ANNOTATION = `${PREFIX}/hash`;
const PRIORITY_ANNOTATION = `${PREFIX}/priority`;
const RULE_COUNT_ANNOTATION = `${PREFIX}/rule-count`;
/** Set when gateways refused the revision; its value is what they said. */
export const REJECTED_ANNOTATION = `${PREFIX}/rejected`;
/**
 * When every selected gateway last took the revision into service (RFC 3339): a known good one
 * to fall back to, the most recent first.
 */
export const SYNCED_ANNOTATION = `${PREFIX}/synced`;
export const BUNDLE_KEY = 'bundle.json';
export const SPEC_KEY = 'spec.json';

export interface Revision {
  readonly configMap: ConfigMap;
  readonly name: string;
  readonly revision: number;
  readonly hash: string;
  readonly priority: number;
  readonly ruleCount: number;
  readonly payload: string;
  readonly rejected: string | undefined;
  readonly syncedAt: string | undefined;
}

export interface CompiledContent {
  readonly hash: string;
  readonly priority: number;
  readonly ruleCount: number;
  readonly payload: Uint8Array;
}

export function revisionName(ruleSetName: string, hash: string): string {
  // Object names stop at 253 characters; the hash suffix keeps the name unique.
  return `${ruleSetName.slice(0, 253 - 16)}-waf-${hash.slice(0, 10)}`;
}

export function revisionConfigMap(
  owner: WafRuleSet,
  compiled: CompiledContent,
  spec: WafRuleSetSpec,
  revision: number,
): ConfigMap {
  const { name = '', namespace } = owner.metadata;
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: revisionName(name, compiled.hash),
      namespace,
      labels: { [RULE_SET_LABEL]: name, 'app.kubernetes.io/managed-by': 'gateway-worker' },
      annotations: {
        [REVISION_ANNOTATION]: String(revision),
        [HASH_ANNOTATION]: compiled.hash,
        [PRIORITY_ANNOTATION]: String(compiled.priority),
        [RULE_COUNT_ANNOTATION]: String(compiled.ruleCount),
      },
      ownerReferences: [
        ownerReference(owner, WafRuleSetResource, { controller: true, blockOwnerDeletion: true }),
      ],
    },
    immutable: true,
    data: {
      [BUNDLE_KEY]: Buffer.from(compiled.payload).toString('utf8'),
      [SPEC_KEY]: JSON.stringify(spec),
    },
  };
}

/** The revision a ConfigMap holds, or undefined when it is not one of ours or is damaged. */
export function parseRevision(configMap: ConfigMap): Revision | undefined {
  const annotations = configMap.metadata.annotations ?? {};
  const revision = Number(annotations[REVISION_ANNOTATION]);
  const hash = annotations[HASH_ANNOTATION];
  const payload = configMap.data?.[BUNDLE_KEY];
  const name = configMap.metadata.name;
  if (!Number.isSafeInteger(revision) || !hash || payload === undefined || !name) return undefined;
  return {
    configMap,
    name,
    revision,
    hash,
    priority: Number(annotations[PRIORITY_ANNOTATION] ?? 100),
    ruleCount: Number(annotations[RULE_COUNT_ANNOTATION] ?? 0),
    payload,
    rejected: annotations[REJECTED_ANNOTATION],
    syncedAt: annotations[SYNCED_ANNOTATION],
  };
}

/** The spec stored with a revision, for `gateway-worker rollback`. */
export function storedSpec(configMap: ConfigMap): WafRuleSetSpec | undefined {
  const text = configMap.data?.[SPEC_KEY];
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as WafRuleSetSpec;
  } catch {
    return undefined;
  }
}

/** Newest first. */
export function byRevision(revisions: readonly Revision[]): Revision[] {
  return [...revisions].sort((a, b) => b.revision - a.revision);
}

/**
 * The revision most recently in service on every gateway, other than `except` and never refused:
 * what the gateways fall back to when they refuse a new revision.
 */
export function lastGood(revisions: readonly Revision[], except: string | undefined): Revision | undefined {
  return revisions
    .filter((r) => r.hash !== except && r.syncedAt !== undefined && r.rejected === undefined)
    .sort((a, b) => ((a.syncedAt ?? '') < (b.syncedAt ?? '') ? 1 : -1))[0];
}

/** Whether `revision`, now fully in service, must be stamped as the most recent good one. */
export function needsSyncedStamp(revision: Revision, revisions: readonly Revision[]): boolean {
  const latest = revisions.reduce(
    (max, r) => (r.syncedAt !== undefined && r.syncedAt > max ? r.syncedAt : max),
    '',
  );
  return revision.syncedAt === undefined || revision.syncedAt < latest;
}

/**
 * The revisions to delete: all but `keep` (those in use) and the `limit` newest others, the way a
 * Deployment keeps `revisionHistoryLimit` old ReplicaSets.
 */
export function revisionsToPrune(
  revisions: readonly Revision[],
  limit: number,
  keep: ReadonlySet<string>,
): Revision[] {
  return byRevision(revisions)
    .filter((r) => !keep.has(r.hash))
    .slice(limit);
}
