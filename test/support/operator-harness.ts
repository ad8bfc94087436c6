/**
 * The whole operator in this process (buildOperator, as `gateway-worker operator` runs it) in a
 * fresh namespace of the shared control plane, with N simulated gateway pods it discovers and
 * pushes to over mTLS: the setup of every controller's end-to-end test.
 */
import { createServer } from 'node:net';
import { buildOperator } from '../../src/cli/operator.js';
import { loadConfig, type Config } from '../../src/config/index.js';
import { KubeClient } from '../../src/runtime/kube/client.js';
import { CoreTypes } from '../../src/runtime/kube/resource.js';
import { silentLogger } from '../../src/runtime/logger.js';
import type { Operator } from '../../src/runtime/operator.js';
import { startGatewayPods, type GatewayPods } from './gateway-pods.js';
import { sharedCluster, uniqueName } from './shared-cluster.js';

export interface OperatorHarness {
  readonly namespace: string;
  readonly client: KubeClient;
  readonly operator: Operator;
  readonly gateways: GatewayPods;
  stop(): Promise<void>;
}

/** A port free on 127.0.0.1, and so almost surely on the 127.0.0.x the gateways use. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

export async function startOperatorHarness(
  prefix: string,
  options: { gateways?: number; config?: Partial<Config>; httpPort?: number } = {},
): Promise<OperatorHarness> {
  const cluster = await sharedCluster();
  const namespace = uniqueName(prefix);
  const client = new KubeClient(cluster.kubeConfig);
  await client.create(CoreTypes.namespace, { metadata: { name: namespace } });
  const agentPort = await freePort();
  const config: Config = {
    ...loadConfig({}),
    httpPort: 0,
    grpcPort: 0,
    podNamespace: namespace,
    watchNamespaces: [namespace],
    leaderElection: false,
    gatewayAgentPort: agentPort,
    ...options.config,
  };
  const operator = buildOperator(config, silentLogger, {
    kubeConfig: cluster.kubeConfig,
    httpHost: '127.0.0.1',
  });
  await operator.start();
  let gateways: GatewayPods;
  try {
    gateways = await startGatewayPods(client, namespace, options.gateways ?? 3, agentPort, options.httpPort);
  } catch (error) {
    await operator.stop();
    throw error;
  }
  return {
    namespace,
    client,
    operator,
    gateways,
    async stop() {
      await operator.stop();
      await gateways.stop();
      client.close();
    },
  };
}
