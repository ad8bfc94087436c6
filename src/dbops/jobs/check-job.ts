/** `dbops.check`: a DatabaseConnection's health — reachable, logged in, supported, and how the server is. */
import type { DatabaseConnection } from '../../api/v1alpha1/index.js';
import { humanBytes } from '../../domain/dbops/index.js';
import { withClient } from '../connection/client.js';
import { connectionParams } from '../connection/connection-params.js';
import { serverHealth } from '../connection/health.js';
import { secretReader } from '../resources.js';
import { checkServerVersion } from './connect.js';
import type { OperationDefinition } from './operation-job.js';

export const checkOperation: OperationDefinition<DatabaseConnection> = {
  kind: 'DatabaseConnection',
  description:
    "checks a DatabaseConnection: login, the server's version, size, connections, longest transaction",
  timeoutMs: 2 * 60_000,
  // The controller checks again at the next interval: a retry here would only repeat the verdict.
  retry: { maxAttempts: 1, backoffInitialMs: 1_000, backoffMaxMs: 1_000 },
  async run({ resource, deps, payload, job }) {
    const params = await connectionParams(resource.spec, secretReader(deps.kube, payload.namespace));
    const health = await withClient(params, job.signal, async (client) => {
      await checkServerVersion(client, deps.minimumServerVersion);
      return serverHealth(client);
    });
    return {
      message: `PostgreSQL ${health.version} at ${params.description}: ${humanBytes(health.sizeBytes)}, ${health.connections} of ${health.maxConnections} connections`,
      summary: { server: health },
    };
  },
};
