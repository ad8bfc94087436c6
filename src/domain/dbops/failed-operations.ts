/**
 * The database resources that notify DatabaseOperationFailed: backups, migrations, retention and
 * maintenance whose Ready condition says their newest finished run failed. Pure: each resource's
 * status as the cache holds it, in; the hook's complete set, out.
 *
 * Why Ready rather than `lastRun`: lastRun is the newest job, which turns Queued, then Running,
 * whenever the next run starts, so an alert read from it would resolve at the start of every run
 * and fire again at its end. Ready comes from the newest *finished* run (or a job that died before
 * recording one) and stays until a run succeeds, which is the alert's life. A failed attempt the
 * queue will retry is a failed run, and Ready says so: the retry that succeeds resolves it.
 * InvalidSpec is a problem of the spec, not of a run (its condition and Event say so). While
 * gateway-worker's own store, where runs are recorded, cannot be reached, the controllers say
 * Ready=Unknown (StoreNotReady) for every resource: that is no news about the runs, so there is
 * no set then, and the last one stands rather than resolving and firing again around the outage.
 * DatabaseConnection is left out: its check is not an operation, and a server that cannot be
 * reached fails the operations that need it.
 */
import type { DatabaseOperationInput } from '../notify/sources/hook-events.js';

/** The kinds that notify, and the operation each runs (the event's `operation` label). */
export const NOTIFYING_OPERATIONS: Readonly<Record<string, string>> = {
  DatabaseBackup: 'backup',
  DatabaseMigration: 'migration',
  DatabaseRetention: 'retention',
  DatabaseMaintenance: 'maintenance',
};

const NOT_A_RUN = new Set(['InvalidSpec']);
/** The database controllers' Ready reason while the store is unreachable (controllers/database/controller.ts). */
const STORE_NOT_READY = 'StoreNotReady';

export interface DatabaseResourceState {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly conditions?: readonly {
    readonly type: string;
    readonly status: string;
    readonly reason: string;
    readonly message: string;
  }[];
}

/**
 * Every resource of a notifying kind whose last finished run failed, in a stable order; undefined
 * while the store is unreachable (see above).
 */
export function failedOperations(
  resources: readonly DatabaseResourceState[],
): DatabaseOperationInput[] | undefined {
  const failed: DatabaseOperationInput[] = [];
  for (const resource of resources) {
    const operation = NOTIFYING_OPERATIONS[resource.kind];
    const ready = resource.conditions?.find((c) => c.type === 'Ready');
    if (operation !== undefined && ready?.reason === STORE_NOT_READY) return undefined;
    if (operation === undefined || ready?.status !== 'False' || NOT_A_RUN.has(ready.reason)) continue;
    failed.push({
      namespace: resource.namespace,
      name: resource.name,
      resourceKind: resource.kind,
      operation,
      message: `${ready.reason}: ${ready.message}`,
    });
  }
  const key = (f: DatabaseOperationInput) => `${f.resourceKind}/${f.namespace}/${f.name}`;
  return failed.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}
