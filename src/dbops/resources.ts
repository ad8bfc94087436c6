/**
 * Reading what a job needs from the API, at the moment it runs: its resource, the
 * DatabaseConnection it names, and the Secret entries behind that. Jobs run on any replica, so
 * they read from the API server rather than from the leader's caches; the job payload carries
 * only the resource's name.
 */
import { DatabaseConnectionResource, statusOf, type DatabaseConnection } from '../api/v1alpha1/index.js';
import { findCondition } from '../runtime/status/conditions.js';
import { isNotFound } from '../runtime/kube/errors.js';
import type { KubeClient } from '../runtime/kube/client.js';
import { CoreTypes, type KubeObject, type ResourceType } from '../runtime/kube/resource.js';
import {
  connectionParams,
  type ConnectionParams,
  type SecretReader,
} from './connection/connection-params.js';
import { OperationError } from './operation-error.js';

export type ResourceReader = Pick<KubeClient, 'get'>;

export async function readResource<T extends KubeObject>(
  kube: ResourceReader,
  type: ResourceType,
  namespace: string,
  name: string,
): Promise<T | undefined> {
  try {
    return await kube.get<T>(type, namespace, name);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

interface SecretObject extends KubeObject {
  data?: Record<string, string>;
}

export function secretReader(kube: ResourceReader, namespace: string): SecretReader {
  return async (name, key) => {
    const secret = await readResource<SecretObject>(kube, CoreTypes.secret, namespace, name);
    const value = secret?.data?.[key];
    return value === undefined ? undefined : Buffer.from(value, 'base64').toString('utf8');
  };
}

export interface ResolvedConnection {
  readonly connection: DatabaseConnection;
  readonly params: ConnectionParams;
}

/** The DatabaseConnection named by `name` and its credentials; OperationError when it is missing. */
export async function resolveConnection(
  kube: ResourceReader,
  namespace: string,
  name: string,
): Promise<ResolvedConnection> {
  const connection = await readResource<DatabaseConnection>(
    kube,
    DatabaseConnectionResource,
    namespace,
    name,
  );
  if (!connection)
    throw new OperationError(
      'ConnectionNotFound',
      `DatabaseConnection ${namespace}/${name} does not exist: create it, or fix spec.connectionRef`,
      false,
    );
  return { connection, params: await connectionParams(connection.spec, secretReader(kube, namespace)) };
}

/** The connection's own verdict, for a dependent resource's status while it waits. */
export function connectionReady(connection: DatabaseConnection | undefined): {
  ready: boolean;
  message: string;
} {
  if (!connection) return { ready: false, message: 'the DatabaseConnection does not exist' };
  const ready = findCondition(statusOf(connection)?.conditions, 'Ready');
  return { ready: ready?.status === 'True', message: ready?.message ?? 'not checked yet' };
}
