/**
 * DatabaseOperationFailed, fed to `hooks.databaseOperations` from the leader's caches of the
 * database kinds: on every change of one (a status written after a run) and every 5 minutes,
 * the complete set of resources whose last finished run failed (domain/dbops/failed-operations.ts),
 * so a later success, or the resource's deletion, resolves the alert. The runs themselves happen
 * on any replica; the database controllers, on the leader, carry their outcome into the status
 * this reads, so nothing needs to cross replicas here. On a new leader the first read is the
 * complete set from warm caches, which also resolves what a previous leader left firing.
 */
import { failedOperations, type DatabaseResourceState } from '../../domain/dbops/failed-operations.js';
import type { DatabaseOperationInput } from '../../domain/notify/sources/hook-events.js';
import type { Clock } from '../../runtime/clock.js';
import type { Informer } from '../../runtime/informer/informer.js';
import type { KubeObject } from '../../runtime/kube/resource.js';
import type { Logger } from '../../runtime/logger.js';
import { HookSource } from './hook-source.js';

export interface DatabaseKindCache {
  readonly kind: string;
  readonly informer: Informer<KubeObject>;
}

export function databaseOperationsSource(options: {
  readonly kinds: readonly DatabaseKindCache[];
  readonly report: (failures: readonly DatabaseOperationInput[]) => void;
  readonly logger: Logger;
  readonly clock?: Clock;
}): HookSource<readonly DatabaseOperationInput[]> {
  const source = new HookSource<readonly DatabaseOperationInput[]>({
    name: 'notification-source-database-operations',
    periodMs: 300_000,
    read: () => failedOperations(options.kinds.flatMap(({ kind, informer }) => states(kind, informer))),
    deliver: options.report,
    logger: options.logger,
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  });
  for (const { informer } of options.kinds)
    informer.addHandler({
      onAdd: () => source.changed(),
      onUpdate: () => source.changed(),
      onDelete: () => source.changed(),
    });
  return source;
}

function states(kind: string, informer: Informer<KubeObject>): DatabaseResourceState[] {
  return informer.store.list().map((obj) => {
    const status = obj.status as { conditions?: DatabaseResourceState['conditions'] } | undefined;
    return {
      kind,
      namespace: obj.metadata.namespace ?? '',
      name: obj.metadata.name ?? '',
      ...(status?.conditions ? { conditions: status.conditions } : {}),
    };
  });
}
