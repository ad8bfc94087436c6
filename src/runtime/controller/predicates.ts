/** Filters on update events, as controller-runtime's predicates: a false one drops the event. */
import type { KubeObject } from '../kube/resource.js';

export type UpdatePredicate<T extends KubeObject = KubeObject> = (oldObj: T, newObj: T) => boolean;

/** Spec changes only: status writes and metadata-only edits do not bump metadata.generation. */
export const generationChanged: UpdatePredicate = (oldObj, newObj) =>
  oldObj.metadata.generation !== newObj.metadata.generation;

export const labelsChanged: UpdatePredicate = (oldObj, newObj) =>
  !shallowEqual(oldObj.metadata.labels, newObj.metadata.labels);

export const annotationsChanged: UpdatePredicate = (oldObj, newObj) =>
  !shallowEqual(oldObj.metadata.annotations, newObj.metadata.annotations);

/** Deletion started or finalizers changed: a controller holding a finalizer must hear about it. */
export const deletionOrFinalizersChanged: UpdatePredicate = (oldObj, newObj) =>
  oldObj.metadata.deletionTimestamp !== newObj.metadata.deletionTimestamp ||
  (oldObj.metadata.finalizers ?? []).join() !== (newObj.metadata.finalizers ?? []).join();

export function anyOf<T extends KubeObject>(...predicates: UpdatePredicate<T>[]): UpdatePredicate<T> {
  return (oldObj, newObj) => predicates.some((p) => p(oldObj, newObj));
}

/** The usual filter for a primary kind: spec, labels, annotations or deletion changed. */
export const specOrMetadataChanged: UpdatePredicate = anyOf(
  generationChanged,
  labelsChanged,
  annotationsChanged,
  deletionOrFinalizersChanged,
);

function shallowEqual(a: Record<string, string> = {}, b: Record<string, string> = {}): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}
