/**
 * Finalizers, written with a JSON merge patch guarded by resourceVersion: a merge patch
 * replaces the whole list, so without the guard we could drop a finalizer another controller
 * added after our cache was filled. A conflict (409) means "requeue and look again".
 */
import type { KubeClient } from '../kube/client.js';
import type { KubeObject, ResourceType } from '../kube/resource.js';
import type { WriteResult } from './write-result.js';

export type MetadataClient = Pick<KubeClient, 'mergePatch'>;

export function hasFinalizer(obj: KubeObject, finalizer: string): boolean {
  return obj.metadata.finalizers?.includes(finalizer) ?? false;
}

/** The patch that sets `finalizers`; null removes the field, as the server stores no empty list. */
export function finalizersPatch(obj: KubeObject, finalizers: readonly string[]): Record<string, unknown> {
  const { resourceVersion } = obj.metadata;
  return {
    metadata: {
      ...(resourceVersion === undefined ? {} : { resourceVersion }),
      finalizers: finalizers.length > 0 ? finalizers : null,
    },
  };
}

/**
 * Adds the finalizer unless present (then nothing is written). The API server refuses new
 * finalizers on an object that is being deleted, so call this before acting, not during cleanup.
 */
export async function addFinalizer<T extends KubeObject>(
  client: MetadataClient,
  type: ResourceType,
  obj: T,
  finalizer: string,
): Promise<WriteResult<T>> {
  if (hasFinalizer(obj, finalizer)) return { written: false, object: obj };
  return write(client, type, obj, [...(obj.metadata.finalizers ?? []), finalizer]);
}

/** Removes every copy of the finalizer; nothing is written when it is absent. */
export async function removeFinalizer<T extends KubeObject>(
  client: MetadataClient,
  type: ResourceType,
  obj: T,
  finalizer: string,
): Promise<WriteResult<T>> {
  if (!hasFinalizer(obj, finalizer)) return { written: false, object: obj };
  return write(
    client,
    type,
    obj,
    (obj.metadata.finalizers ?? []).filter((f) => f !== finalizer),
  );
}

async function write<T extends KubeObject>(
  client: MetadataClient,
  type: ResourceType,
  obj: T,
  finalizers: readonly string[],
): Promise<WriteResult<T>> {
  const { namespace, name } = obj.metadata;
  if (!name) throw new Error(`cannot change the finalizers of a ${type.kind} without a name`);
  const object = await client.mergePatch<T>(type, namespace, name, finalizersPatch(obj, finalizers));
  return { written: true, object };
}
