/**
 * Whether a server-side apply of `desired` would change the cached object, judged only on the
 * fields we set, so an unchanged owned object costs no request at all.
 *
 * - Top-level content (`spec`, `type`, ...): every member we set must be present with our value;
 *   extra members are server defaults or another manager's and do not count.
 * - `data` and `binaryData` are compared whole: they hold no defaults, and a key we stopped
 *   setting (a `ca.crt` no longer known) must be removed, which a subset check cannot see.
 * - Labels, annotations, finalizers: ours must be present; others' are ignored.
 * - Owner references: each of ours must be present (matched by uid).
 * - When the cached object still has managedFields (the informer drops them by default), a field
 *   our apply owns that `desired` no longer sets also counts as a change, since apply would remove it.
 *
 * Limits: a label or spec member we stop setting is only noticed with managedFields; a list we set
 * must keep its length on the server (a list other managers append to is re-applied each time).
 * Set Secret `data` (base64), never `stringData`: the server converts it, so it would never compare equal.
 */
import { FIELD_MANAGER } from '../kube/client.js';
import type { KubeObject, ObjectMeta } from '../kube/resource.js';
import { deepEqual, isPlainObject, isSubset, type JsonObject } from './deep-equal.js';

const NOT_CONTENT = new Set(['apiVersion', 'kind', 'metadata', 'status']);
const COMPARED_WHOLE = new Set(['data', 'binaryData']);

export function needsApply(desired: KubeObject, cached: KubeObject | undefined): boolean {
  if (!cached) return true;
  return (
    !contentMatches(desired, cached) ||
    !metadataMatches(desired.metadata, cached.metadata) ||
    dropsOwnedField(desired, cached)
  );
}

function contentMatches(desired: KubeObject, cached: KubeObject): boolean {
  return Object.entries(desired).every(([key, want]) => {
    if (NOT_CONTENT.has(key) || want === undefined) return true;
    return COMPARED_WHOLE.has(key) ? deepEqual(want ?? {}, cached[key] ?? {}) : isSubset(want, cached[key]);
  });
}

function metadataMatches(want: ObjectMeta, have: ObjectMeta): boolean {
  const haveRefs = have.ownerReferences ?? [];
  return (
    isSubset(want.labels, have.labels) &&
    isSubset(want.annotations, have.annotations) &&
    (want.finalizers ?? []).every((f) => have.finalizers?.includes(f)) &&
    (want.ownerReferences ?? []).every((ref) => haveRefs.some((r) => r.uid === ref.uid && isSubset(ref, r)))
  );
}

interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
  subresource?: string;
  fieldsV1?: JsonObject;
}

/** Whether our last apply owns a field (path of `f:` segments) that `desired` no longer sets. */
function dropsOwnedField(desired: KubeObject, cached: KubeObject): boolean {
  const entries = (cached.metadata.managedFields ?? []) as ManagedFieldsEntry[];
  return entries.some(
    (e) =>
      e.manager === FIELD_MANAGER &&
      e.operation === 'Apply' &&
      !e.subresource &&
      isPlainObject(e.fieldsV1) &&
      ownsMissing(e.fieldsV1, desired),
  );
}

function ownsMissing(fields: JsonObject, value: unknown): boolean {
  return Object.entries(fields).some(([key, child]) => {
    // "." is the node itself; k:, v:, i: address list items, whose removal the list comparison
    // already catches, and whose keys may include server defaults we never set.
    if (!key.startsWith('f:')) return false;
    const member = isPlainObject(value) ? value[key.slice(2)] : undefined;
    if (member === undefined || member === null) return true;
    return isPlainObject(child) && ownsMissing(child, member);
  });
}
