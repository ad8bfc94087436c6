/**
 * The whole operator in this process (buildOperator, as `gateway-worker operator` runs it) in a
 * fresh namespace of the shared control plane, with N simulated gateway pods it discovers and
 * pushes to over mTLS: the setup of every controller's end-to-end test.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { buildOperator } from '../../src/cli/operator.js';
import { loadConfig, type Config } from '../../src/config/index.js';
import { KubeClient } from '../../src/runtime/kube/client.js';
import { CoreTypes } from '../../src/runtime/kube/resource.js';
import { freePort } from '../../src/envtest/ports.js';
import { silentLogger } from '../../src/runtime/logger.js';
import type { Operator } from '../../src/runtime/operator.js';
import { startGatewayPods, type GatewayPods } from './gateway-pods.js';
import { sharedCluster, uniqueName } from './shared-cluster.js';
import { testDatabaseConfig } from './shared-postgres.js';

export interface OperatorHarness {
  readonly namespace: string;
  readonly client: KubeClient;
  /** The running operator (a new one after {@link restartOperator}). */
  readonly operator: Operator;
  readonly gateways: GatewayPods;
  /**
   * Stops the operator, awaits `meanwhile` (a change made while no operator runs), then starts
   * a new one with the same configuration: the gateways and the namespace stay.
   */
  restartOperator(meanwhile?: () => Promise<void>): Promise<void>;
  stop(): Promise<void>;
}

export async function startOperatorHarness(
  prefix: string,
  options: {
    gateways?: number;
    config?: Partial<Config>;
    httpPort?: number;
    /** The operator's identity, e.g. a ServiceAccount's token; the admin's by default. */
    kubeConfig?: KubeConfig;
    /** An existing namespace to watch and put the gateway pods in, instead of a new one. */
    namespace?: string;
  } = {},
): Promise<OperatorHarness> {
  const cluster = await sharedCluster();
  const namespace = options.namespace ?? uniqueName(prefix);
  const client = new KubeClient(cluster.kubeConfig);
  if (!options.namespace) await client.create(CoreTypes.namespace, { metadata: { name: namespace } });
  const agentPort = await freePort();
  const config: Config = {
    ...loadConfig({}),
    httpPort: 0,
    grpcPort: 0,
    podNamespace: namespace,
    watchNamespaces: [namespace],
    leaderElection: false,
    gatewayAgentPort: agentPort,
    // The job store on the run's PostgreSQL, in a schema of its own.
    ...(await testDatabaseConfig('harness')),
    ...options.config,
  };
  const build = (): Operator =>
    buildOperator(config, silentLogger, {
      kubeConfig: options.kubeConfig ?? cluster.kubeConfig,
      httpHost: '127.0.0.1',
    });
  let operator = build();
  await operator.start();
  let gateways: GatewayPods;
  try {
    gateways = await startGatewayPods(
      client,
      namespace,
      options.gateways ?? 3,
      agentPort,
      options.httpPort,
      config.podNamespace,
    );
  } catch (error) {
    await operator.stop();
    client.close();
    throw error;
  }
  return {
    namespace,
    client,
    get operator() {
      return operator;
    },
    gateways,
    async restartOperator(meanwhile) {
      await operator.stop();
      await meanwhile?.();
      operator = build();
      await operator.start();
    },
    async stop() {
      await operator.stop();
      await gateways.stop();
      client.close();
    },
  };
}
