/**
 * Owner references, as controller-runtime's controllerutil builds and checks them. They drive
 * garbage collection (owned objects go when the owner goes) and let a controller map an owned
 * object back to the owner it must reconcile.
 */
import type { KubeObject, OwnerReference, ResourceType } from '../kube/resource.js';
import { apiVersionOf } from '../kube/resource.js';

export interface OwnerReferenceOptions {
  /** At most one owner is the controller; the one whose reconcile manages this object. */
  readonly controller?: boolean;
  /** Foreground deletion of the owner waits for this object; needs delete rights on the owner. */
  readonly blockOwnerDeletion?: boolean;
}

/** A reference to `owner`; throws when it has no name or uid (it was never stored). */
export function ownerReference(
  owner: KubeObject,
  type: ResourceType,
  options: OwnerReferenceOptions = {},
): OwnerReference {
  const { name, uid } = owner.metadata;
  if (!name || !uid) throw new Error(`a ${type.kind} without a name and uid cannot own objects`);
  return {
    apiVersion: apiVersionOf(type),
    kind: type.kind,
    name,
    uid,
    ...(options.controller === undefined ? {} : { controller: options.controller }),
    ...(options.blockOwnerDeletion === undefined ? {} : { blockOwnerDeletion: options.blockOwnerDeletion }),
  };
}

/** Whether any owner reference of `obj` points at `owner` (by uid: names are reused, uids never). */
export function isOwnedBy(obj: KubeObject, owner: KubeObject): boolean {
  const { uid } = owner.metadata;
  return uid !== undefined && (obj.metadata.ownerReferences ?? []).some((ref) => ref.uid === uid);
}

/** The controlling owner reference, if any. */
export function controllerOf(obj: KubeObject): OwnerReference | undefined {
  return obj.metadata.ownerReferences?.find((ref) => ref.controller === true);
}

/**
 * `refs` with `ref` added, or replacing the reference with the same uid. Throws when `ref` is a
 * controller reference and another owner already controls the object, as
 * controllerutil.SetControllerReference does: two controllers fighting over one object never ends.
 */
export function withOwnerReference(
  refs: readonly OwnerReference[] | undefined,
  ref: OwnerReference,
): OwnerReference[] {
  const list = refs ?? [];
  const other = list.find((r) => r.controller === true && r.uid !== ref.uid);
  if (ref.controller === true && other) {
    throw new Error(
      `already controlled by ${other.kind} ${other.name}; cannot make ${ref.kind} ${ref.name} its controller`,
    );
  }
  const index = list.findIndex((r) => r.uid === ref.uid);
  return index < 0 ? [...list, ref] : list.map((r, i) => (i === index ? ref : r));
}
