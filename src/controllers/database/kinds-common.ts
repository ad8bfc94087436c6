/** Small pieces the database kinds' handlers share: schedules, their checks, and Secret/ConfigMap watches. */
import { cronProblem, timeZoneProblem } from '../../api/v1alpha1/checks/cron.js';
import type { Controller } from '../../runtime/controller/controller.js';
import type { Informer } from '../../runtime/informer/informer.js';
import type { KubeObject } from '../../runtime/kube/resource.js';
import type { ScheduleTiming } from '../../storage/jobs/schedule-plan.js';

export function timing(schedule: string | undefined, timeZone: string): ScheduleTiming | undefined {
  return schedule === undefined ? undefined : { cron: schedule, timeZone };
}

/** What only a parser sees in a schedule (CEL checked its shape). */
export function scheduleProblem(
  field: string,
  schedule: string | undefined,
  timeZone: string,
): string | undefined {
  if (schedule === undefined) return undefined;
  const problem = timeZoneProblem(timeZone) ?? cronProblem(schedule, timeZone);
  return problem ? `${field} "${schedule}" (${timeZone}): ${problem}` : undefined;
}

/**
 * Maps changes of a namespaced kind that objects name (Secrets, ConfigMaps) to the objects that
 * name them: `names(obj)` lists the names an object refers to in its own namespace.
 */
export function watchReferenced<T extends KubeObject, R extends KubeObject>(
  controller: Controller,
  primary: Informer<T>,
  referenced: Informer<R>,
  names: (obj: T) => readonly string[],
): void {
  controller.watchMapped(referenced, (ref) => {
    const namespace = ref.metadata.namespace ?? '';
    const name = ref.metadata.name ?? '';
    return primary.store
      .list()
      .filter((obj) => obj.metadata.namespace === namespace && names(obj).includes(name))
      .map((obj) => `${namespace}/${obj.metadata.name ?? ''}`);
  });
}

/** `resourceVersion` of each named object, or "absent": what a run must be redone for when it changes. */
export function versionsOf<R extends KubeObject>(
  informer: Informer<R>,
  namespace: string,
  names: readonly string[],
): string[] {
  return names.map(
    (name) => `${name}@${informer.store.get(`${namespace}/${name}`)?.metadata.resourceVersion ?? 'absent'}`,
  );
}

export { shortDuration as shortDurationOf } from './status.js';
