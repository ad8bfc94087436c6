/**
 * DatabaseConnection: a check job when the spec or its Secrets change and every checkInterval
 * (sooner after a failure); the status shows the server's health from the newest good check and
 * Ready from the newest check.
 */
import { durationMillis } from '../../api/v1alpha1/checks/duration.js';
import { DatabaseConnectionResource, type DatabaseConnection } from '../../api/v1alpha1/index.js';
import type { ServerHealth } from '../../dbops/connection/health.js';
import { humanBytes } from '../../domain/dbops/index.js';
import type { Manager } from '../../runtime/controller/manager.js';
import { CoreTypes, type KubeObject } from '../../runtime/kube/resource.js';
import { hashOf, type KindHandler } from './controller.js';
import { versionsOf, watchReferenced } from './kinds-common.js';
import { runConditions } from './status.js';

const RETRY_AFTER_FAILURE_MS = 60_000;

function secretNames(obj: DatabaseConnection): string[] {
  return [obj.spec.passwordSecretRef?.name, obj.spec.caSecretRef?.name].filter(
    (n): n is string => n !== undefined,
  );
}

export function connectionKind(manager: Manager): KindHandler<DatabaseConnection> {
  const connections = manager.informer<DatabaseConnection>(DatabaseConnectionResource);
  const secrets = manager.informer<KubeObject>(CoreTypes.secret, { metadataOnly: true });
  return {
    kind: 'DatabaseConnection',
    schedule: () => undefined,
    inputs: (obj) =>
      hashOf([obj.metadata.generation, versionsOf(secrets, obj.metadata.namespace ?? '', secretNames(obj))]),
    dueAt: (obj, { job }) => {
      if (!job?.finishedAt) return undefined;
      const interval = durationMillis(obj.spec.checkInterval);
      const wait = job.state === 'succeeded' ? interval : Math.min(interval, RETRY_AFTER_FAILURE_MS);
      return new Date(job.finishedAt.getTime() + wait);
    },
    watches: (controller) => watchReferenced(controller, connections, secrets, secretNames),
    status: ({ obj, history, now, previous }) => {
      const good = history.runs.find((r) => r.outcome === 'succeeded');
      const health = good?.summary.server as ServerHealth | undefined;
      const conditions = runConditions(
        previous,
        history,
        (run) =>
          run.outcome === 'succeeded'
            ? { status: 'True', reason: 'Connected', message: run.message }
            : { status: 'False', reason: run.reason || 'CheckFailed', message: run.message },
        { scheduled: false, message: 'the first check is on its way' },
        obj.metadata.generation,
        now,
      );
      return Promise.resolve({
        conditions,
        ...(health && good?.finishedAt
          ? {
              server: {
                version: health.version,
                versionNumber: health.versionNumber,
                sizeBytes: health.sizeBytes,
                size: humanBytes(health.sizeBytes),
                connections: health.connections,
                maxConnections: health.maxConnections,
                longestTransactionSeconds: health.longestTransactionSeconds,
                checkedAt: good.finishedAt.toISOString().replace(/\.\d{3}Z$/, 'Z'),
              },
            }
          : {}),
      });
    },
  };
}
