/**
 * The connection an operation works on: the DatabaseConnection its resource names, logged in,
 * and refused with ServerTooOld when the server is older than gateway-worker manages.
 */
import { serverVersionProblem } from '../../domain/dbops/index.js';
import type { KubeObject } from '../../runtime/kube/resource.js';
import { connect, type GatewayClient } from '../connection/client.js';
import { serverVersionNumber } from '../connection/health.js';
import { OperationError } from '../operation-error.js';
import { resolveConnection } from '../resources.js';
import type { OperationRun } from './operation-job.js';

export async function checkServerVersion(client: GatewayClient, minimum: number): Promise<number> {
  const version = await serverVersionNumber(client);
  const problem = serverVersionProblem(version, minimum);
  if (problem) throw new OperationError('ServerTooOld', `${client.params.description}: ${problem}`, true);
  return version;
}

export async function operationClient<R extends KubeObject>(
  run: OperationRun<R>,
  connectionName: string,
): Promise<GatewayClient> {
  const { params } = await resolveConnection(run.deps.kube, run.payload.namespace, connectionName);
  const client = await connect(params, run.job.signal);
  try {
    await checkServerVersion(client, run.deps.minimumServerVersion);
    return client;
  } catch (err) {
    await client.close();
    throw err;
  }
}

export async function withOperationClient<R extends KubeObject, T>(
  run: OperationRun<R>,
  connectionName: string,
  work: (client: GatewayClient) => Promise<T>,
): Promise<T> {
  const client = await operationClient(run, connectionName);
  try {
    return await work(client);
  } finally {
    await client.close();
  }
}
