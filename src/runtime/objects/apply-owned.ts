/**
 * Server-side apply (field manager gateway-worker) of an object the operator owns, skipped when
 * the cached copy already carries every field we set: nothing is written when nothing changed.
 */
import type { KubeClient } from '../kube/client.js';
import type { KubeObject, ResourceType } from '../kube/resource.js';
import { needsApply } from './apply-compare.js';
import type { WriteResult } from './write-result.js';

export type ApplyClient = Pick<KubeClient, 'apply'>;

export interface ApplyOwnedOptions {
  /** Take over fields another manager owns. Default true: the operator is the source of truth. */
  readonly force?: boolean;
}

/**
 * `desired` holds only the fields we own (name, namespace, our labels and annotations, owner
 * references, content), without resourceVersion or status. `cached` is the informer's copy, or
 * undefined when there is none (then the apply creates the object).
 */
export async function applyOwned<T extends KubeObject>(
  client: ApplyClient,
  type: ResourceType,
  desired: T,
  cached: T | undefined,
  options: ApplyOwnedOptions = {},
): Promise<WriteResult<T>> {
  if (cached && !needsApply(desired, cached)) return { written: false, object: cached };
  const object = await client.apply<T>(type, desired, { force: options.force ?? true });
  return { written: true, object };
}
