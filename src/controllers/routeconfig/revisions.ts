/**
 * The valid versions of a RouteConfig, kept the way WafRuleSet revisions are: each an immutable
 * ConfigMap named by the hash of its spec and owned by the RouteConfig (deleting it deletes
 * them), holding the spec and the payload it compiled to when stored. When an edit is invalid,
 * also after a restart, the newest is what stays in service. Only valid specs are stored, once
 * each: an endpoint change alters the payload, not the spec, and costs no write. The operator
 * caches these ConfigMaps' metadata only and reads one's content when it must serve it.
 */
import { RouteConfigResource, type RouteConfig, type RouteConfigSpec } from '../../api/v1alpha1/index.js';
import { contentVersion } from '../../domain/snapshot/snapshot.js';
import type { ConfigMap, KubeObject } from '../../runtime/kube/resource.js';
import { ownerReference } from '../../runtime/objects/owner-references.js';

const PREFIX = 'gateway.awesomeapi.com.br';
/** On every revision ConfigMap: the name of the RouteConfig it belongs to. */
export const ROUTE_CONFIG_LABEL = `${PREFIX}/routeconfig`;
const REVISION_ANNOTATION = `${PREFIX}/revision`;
const SPEC_HASH_ANNOTATION = `${PREFIX}/spec-hash`;
const GENERATION_ANNOTATION = `${PREFIX}/generation`;
const PAYLOAD_VERSION_ANNOTATION = `${PREFIX}/payload-version`;
export const SPEC_KEY = 'spec.json';
export const PAYLOAD_KEY = 'payload.json';
/** Below the 1 MiB a ConfigMap may hold, with room for the metadata. */
const MAX_CONTENT_BYTES = 900 * 1024;

/** What the cached metadata says about a revision. */
export interface RevisionRef {
  readonly name: string;
  readonly revision: number;
  readonly specHash: string;
  readonly generation: number;
}

/** A revision's content, read when it must be served. */
export interface StoredRoutes {
  readonly spec: RouteConfigSpec;
  /** The payload as it was when stored; absent when it did not fit beside the spec. */
  readonly payload?: { readonly bytes: Uint8Array; readonly version: string };
}

export function specHash(spec: RouteConfigSpec): string {
  return contentVersion(JSON.stringify(spec));
}

export function revisionName(routeConfigName: string, hash: string): string {
  // Object names stop at 253 characters; the hash suffix keeps the name unique.
  return `${routeConfigName.slice(0, 253 - 18)}-routes-${hash.slice(0, 10)}`;
}

/**
 * The ConfigMap that stores `owner`'s current spec as `revision`, with the payload it compiled
 * to; undefined when the spec alone is too large for a ConfigMap.
 */
export function revisionConfigMap(
  owner: RouteConfig,
  revision: number,
  payload: { readonly bytes: Uint8Array; readonly version: string },
): ConfigMap | undefined {
  const { name = '', namespace, generation = 0 } = owner.metadata;
  const spec = JSON.stringify(owner.spec);
  const payloadText = Buffer.from(payload.bytes).toString('utf8');
  if (Buffer.byteLength(spec) > MAX_CONTENT_BYTES) return undefined;
  const withPayload = Buffer.byteLength(spec) + Buffer.byteLength(payloadText) <= MAX_CONTENT_BYTES;
  const hash = contentVersion(spec);
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: revisionName(name, hash),
      namespace,
      labels: { [ROUTE_CONFIG_LABEL]: name, 'app.kubernetes.io/managed-by': 'gateway-worker' },
      annotations: {
        [REVISION_ANNOTATION]: String(revision),
        [SPEC_HASH_ANNOTATION]: hash,
        [GENERATION_ANNOTATION]: String(generation),
        ...(withPayload ? { [PAYLOAD_VERSION_ANNOTATION]: payload.version } : {}),
      },
      ownerReferences: [
        ownerReference(owner, RouteConfigResource, { controller: true, blockOwnerDeletion: true }),
      ],
    },
    immutable: true,
    data: { [SPEC_KEY]: spec, ...(withPayload ? { [PAYLOAD_KEY]: payloadText } : {}) },
  };
}

/** The revision a ConfigMap's metadata describes, or undefined when it is not one of ours. */
export function parseRevisionRef(obj: KubeObject): RevisionRef | undefined {
  const annotations = obj.metadata.annotations ?? {};
  const revision = Number(annotations[REVISION_ANNOTATION]);
  const specHash = annotations[SPEC_HASH_ANNOTATION];
  const name = obj.metadata.name;
  if (!Number.isSafeInteger(revision) || !specHash || !name) return undefined;
  return { name, revision, specHash, generation: Number(annotations[GENERATION_ANNOTATION] ?? 0) };
}

/** The content of a revision ConfigMap, or undefined when it is damaged. */
export function parseStoredRoutes(configMap: ConfigMap): StoredRoutes | undefined {
  const spec = configMap.data?.[SPEC_KEY];
  if (spec === undefined || contentVersion(spec) !== configMap.metadata.annotations?.[SPEC_HASH_ANNOTATION])
    return undefined;
  const text = configMap.data?.[PAYLOAD_KEY];
  const version = configMap.metadata.annotations[PAYLOAD_VERSION_ANNOTATION];
  const bytes = text === undefined ? undefined : new TextEncoder().encode(text);
  try {
    return {
      spec: JSON.parse(spec) as RouteConfigSpec,
      ...(bytes && version === contentVersion(bytes) ? { payload: { bytes, version } } : {}),
    };
  } catch {
    return undefined;
  }
}

/** Newest first. */
export function byRevision(revisions: readonly RevisionRef[]): RevisionRef[] {
  return [...revisions].sort((a, b) => b.revision - a.revision);
}

/**
 * The revisions to delete: all but those in `keep` (in service) and the `limit` newest others,
 * as a Deployment keeps `revisionHistoryLimit` old ReplicaSets.
 */
export function revisionsToPrune(
  revisions: readonly RevisionRef[],
  limit: number,
  keep: ReadonlySet<string>,
): RevisionRef[] {
  return byRevision(revisions)
    .filter((r) => !keep.has(r.name))
    .slice(limit);
}
