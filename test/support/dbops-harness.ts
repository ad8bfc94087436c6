/**
 * The whole operator in this process (buildOperator, as `gateway-worker operator` runs it) for the
 * database kinds: a fresh namespace of the shared control plane, its own schema on the run's
 * PostgreSQL for jobs, a directory object store, no gateway pods. Several may run at once on one
 * namespace (replicas racing).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildOperator, type OperatorDeps } from '../../src/cli/operator.js';
import { loadConfig, type Config } from '../../src/config/index.js';
import { KubeClient } from '../../src/runtime/kube/client.js';
import { CoreTypes, type KubeObject, type ResourceType } from '../../src/runtime/kube/resource.js';
import { silentLogger } from '../../src/runtime/logger.js';
import type { Operator } from '../../src/runtime/operator.js';
import type { Condition } from '../../src/runtime/status/conditions.js';
import { eventually } from './job-fixtures.js';
import { sharedCluster, uniqueName } from './shared-cluster.js';
import { testDatabaseConfig } from './shared-postgres.js';

export interface DbopsOperator {
  readonly namespace: string;
  readonly client: KubeClient;
  readonly operator: Operator;
  readonly config: Config;
  /** The object store's directory. */
  readonly archive: string;
  stop(): Promise<void>;
}

export async function startDbopsOperator(
  prefix: string,
  options: {
    namespace?: string;
    config?: Partial<Config>;
    deps?: OperatorDeps['dbops'];
    archive?: string;
  } = {},
): Promise<DbopsOperator> {
  const cluster = await sharedCluster();
  const client = new KubeClient(cluster.kubeConfig);
  const namespace = options.namespace ?? uniqueName(prefix);
  if (!options.namespace) await client.create(CoreTypes.namespace, { metadata: { name: namespace } });
  const ownArchive = options.archive === undefined;
  const archive = options.archive ?? mkdtempSync(join(tmpdir(), 'gateway-worker-dbops-archive-'));
  const config: Config = {
    ...loadConfig({}),
    httpPort: 0,
    grpcPort: 0,
    podNamespace: namespace,
    watchNamespaces: [namespace],
    leaderElection: false,
    objectStoreUrl: pathToFileURL(archive).toString(),
    ...(await testDatabaseConfig(prefix.replace(/-/g, '_'))),
    ...options.config,
  };
  const operator = buildOperator(config, silentLogger, {
    kubeConfig: cluster.kubeConfig,
    httpHost: '127.0.0.1',
    ...(options.deps ? { dbops: options.deps } : {}),
  });
  await operator.start();
  return {
    namespace,
    client,
    operator,
    config,
    archive,
    async stop() {
      await operator.stop();
      client.close();
      if (ownArchive) rmSync(archive, { recursive: true, force: true });
    },
  };
}

export interface WithStatus extends KubeObject {
  status?: { conditions?: Condition[] } & Record<string, unknown>;
}

/** Waits until the object's condition `type` satisfies `holds`; returns the object then. */
export async function untilCondition<T extends WithStatus>(
  client: KubeClient,
  type: ResourceType,
  namespace: string,
  name: string,
  condition: string,
  holds: (c: Condition, obj: T) => boolean,
  timeoutMs = 120_000,
): Promise<T> {
  let last: T | undefined;
  try {
    return await eventually(
      async () => {
        last = await client.get<T>(type, namespace, name);
        const found = last.status?.conditions?.find((c) => c.type === condition);
        return found && holds(found, last) ? last : undefined;
      },
      `${type.kind} ${namespace}/${name} condition ${condition}`,
      timeoutMs,
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}; last status: ${JSON.stringify(last?.status ?? null)}`, {
      cause: err,
    });
  }
}

/** Sets the run-now annotation to a new value: one run, now. */
export async function runNow(
  client: KubeClient,
  type: ResourceType,
  namespace: string,
  name: string,
): Promise<string> {
  const value = `${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
  await client.mergePatch(type, namespace, name, {
    metadata: { annotations: { 'gateway.awesomeapi.com.br/run-now': value } },
  });
  return value;
}
