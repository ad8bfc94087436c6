/**
 * A controller's status write: skipped when nothing changed; a 404 means the object is gone
 * (nothing to report on); a 409 means our cache was behind our own last write, so the newer
 * object is on its way through the watch and the reconcile simply runs again shortly.
 */
import type { ReconcileResult } from '../runtime/controller/controller.js';
import type { KubeClient } from '../runtime/kube/client.js';
import { isConflict, isNotFound } from '../runtime/kube/errors.js';
import type { KubeObject, ResourceType } from '../runtime/kube/resource.js';
import { updateStatus } from '../runtime/status/status-writer.js';

const STALE_CACHE_RETRY_MS = 100;

export async function writeStatus(
  client: KubeClient,
  type: ResourceType,
  cached: KubeObject,
  status: object,
): Promise<ReconcileResult | undefined> {
  try {
    await updateStatus(client, type, cached, status as Record<string, unknown>);
    return undefined;
  } catch (error) {
    if (isNotFound(error)) return undefined;
    if (isConflict(error)) return { requeueAfterMs: STALE_CACHE_RETRY_MS };
    throw error;
  }
}
