/**
 * Writes an object's status only when it differs from the cached one, so a steady state costs
 * zero writes.
 *
 * How the whole status is replaced: a JSON merge patch on the status subresource, computed
 * against the cached status, with every key that must go set to null (see createMergePatch),
 * and `metadata.resourceVersion` set to the cached version. The version turns the patch into
 * a compare-and-swap: the server answers 409 Conflict unless the stored object is the one the
 * patch was computed from, so no key written meanwhile by someone else can survive unseen. On
 * a conflict the caller requeues, as with controller-runtime's Status().Update, and the next
 * reconcile works from a fresh cache. We chose this over a PUT to /status because the patch
 * carries only what changed (not the whole spec back to the server) and is just as safe.
 */
import type { KubeClient } from '../kube/client.js';
import type { KubeObject, ResourceType } from '../kube/resource.js';
import { isPlainObject, type JsonObject } from '../objects/deep-equal.js';
import { createMergePatch } from '../objects/merge-patch.js';
import type { WriteResult } from '../objects/write-result.js';

export type StatusClient = Pick<KubeClient, 'mergePatch'>;

/** A status, or a function of the cached status that computes it. */
export type DesiredStatus = JsonObject | ((current: JsonObject | undefined) => JsonObject);

/**
 * The status to store: `desired` in JSON form (undefined members and Dates normalised the way
 * the server will see them) with `observedGeneration` set to the cached object's generation.
 */
export function statusToWrite(cached: KubeObject, desired: DesiredStatus): JsonObject {
  const current = isPlainObject(cached.status) ? cached.status : undefined;
  const computed = typeof desired === 'function' ? desired(current) : desired;
  const generation = cached.metadata.generation;
  const next = generation === undefined ? computed : { ...computed, observedGeneration: generation };
  return JSON.parse(JSON.stringify(next)) as JsonObject;
}

/** The request body, or undefined when the stored status already equals `status`. */
export function statusPatch(cached: KubeObject, status: JsonObject): JsonObject | undefined {
  const patch = createMergePatch(cached.status, status);
  if (!patch) return undefined;
  const { resourceVersion } = cached.metadata;
  return resourceVersion === undefined ? { status: patch } : { metadata: { resourceVersion }, status: patch };
}

/**
 * Makes `cached.status` equal `desired` (plus observedGeneration), writing only when it is not.
 * Conditions carry their own observedGeneration: set it per condition with setCondition.
 * Rejects with the ApiError (409 when the cache was stale, 404 when the object is gone).
 */
export async function updateStatus<T extends KubeObject>(
  client: StatusClient,
  type: ResourceType,
  cached: T,
  desired: DesiredStatus,
): Promise<WriteResult<T>> {
  const body = statusPatch(cached, statusToWrite(cached, desired));
  if (!body) return { written: false, object: cached };
  const { namespace, name } = cached.metadata;
  if (!name) throw new Error(`cannot write the status of a ${type.kind} without a name`);
  const object = await client.mergePatch<T>(type, namespace, name, body, 'status');
  return { written: true, object };
}
