/**
 * The whole operator in the benchmark process (buildOperator, as `gateway-worker operator` runs
 * it) against the benchmark's control plane, watching one fresh namespace, with N simulated
 * gateway pods it discovers and pushes to over mTLS: the operator harness of the end-to-end tests
 * (test/support/operator-harness.ts), on a given cluster. The agents run in this process (as in
 * the tests) or in child processes (push-agent-processes.ts), so that this process's event loop,
 * CPU and RSS are the operator's alone; either way every update they apply is timestamped
 * (agent-updates.ts), and the operator's own /metrics can be read.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildOperator } from '../src/cli/operator.js';
import { testDatabaseConfig } from '../test/support/shared-postgres.js';
import { loadConfig, type Config } from '../src/config/index.js';
import type { Cluster } from '../src/envtest/cluster.js';
import { freePort } from '../src/envtest/ports.js';
import { KubeClient } from '../src/runtime/kube/client.js';
import { CoreTypes } from '../src/runtime/kube/resource.js';
import { createLogger, silentLogger, type LogLevel } from '../src/runtime/logger.js';
import type { Operator } from '../src/runtime/operator.js';
import { agentTlsFromOperator, createGatewayPods, startGatewayPods } from '../test/support/gateway-pods.js';
import { AgentUpdates, instrumentAgent } from './agent-updates.js';
import { startAgentProcesses } from './push-agent-processes.js';

export type AgentsWhere = 'in-process' | 'child';

export interface Agents {
  readonly where: AgentsWhere;
  readonly count: number;
  /** Child processes the agents run in (0: in this process). */
  readonly processes: number;
  /** Each gateway's folder (waf-rules.yaml, routes.yaml, certs/). */
  readonly dirs: readonly string[];
  /** CPU time (µs) and RSS (bytes) of the children together; undefined when the agents run in this process. */
  usage(): Promise<{ cpuMicros: number; rssBytes: number } | undefined>;
  stop(): Promise<void>;
}

export interface InProcessOperator {
  readonly namespace: string;
  readonly config: Config;
  /** A client of the benchmark's own (not the operator's). */
  readonly client: KubeClient;
  readonly operator: Operator;
  readonly agents: Agents;
  readonly updates: AgentUpdates;
  /** The operator's /metrics, summed by series name over the series whose labels include `labels`. */
  metric(name: string, labels?: Readonly<Record<string, string>>): Promise<number>;
  stop(): Promise<void>;
}

export interface InProcessOptions {
  readonly gateways: number;
  /** Where the simulated gateways run; default in this process, as in the end-to-end tests. */
  readonly agents?: AgentsWhere;
  /** With agents: 'child', how many children share them (round-robin); default 1. */
  readonly agentProcesses?: number;
  /** Port every agent answers ACME HTTP-01 on (Pebble's httpPort); 0 picks free ones. */
  readonly httpPort?: number;
  /** Count the endpoints in gateway-0's routes updates (AgentUpdate.routeEndpoints). */
  readonly countRouteEndpoints?: boolean;
  readonly config?: Partial<Config>;
}

/** BENCH_LOG_LEVEL=warn shows the operator's and agents' warnings on stderr; silent by default. */
function benchLogger() {
  const level = process.env.BENCH_LOG_LEVEL as LogLevel | undefined;
  return level ? createLogger(level, process.stderr) : silentLogger;
}

export async function startInProcessOperator(
  cluster: Cluster,
  prefix: string,
  options: InProcessOptions,
): Promise<InProcessOperator> {
  const namespace = `${prefix}-${Date.now().toString(36)}`;
  const client = new KubeClient(cluster.kubeConfig);
  await client.create(CoreTypes.namespace, { metadata: { name: namespace } });
  const agentPort = await freePort();
  const config: Config = {
    ...loadConfig({}),
    httpPort: await freePort(),
    grpcPort: 0,
    podNamespace: namespace,
    watchNamespaces: [namespace],
    leaderElection: false,
    gatewayAgentPort: agentPort,
    // The job store on a local PostgreSQL (idle in these benchmarks), in a schema of its own.
    ...(await testDatabaseConfig('bench')),
    ...options.config,
  };
  const operator = buildOperator(config, benchLogger(), {
    kubeConfig: cluster.kubeConfig,
    httpHost: '127.0.0.1',
  });
  await operator.start();
  let agents: Agents;
  let updates: AgentUpdates;
  try {
    if (options.agents === 'child') {
      updates = new AgentUpdates(options.gateways);
      agents = await startChildAgents(client, namespace, options, agentPort, updates);
    } else {
      const pods = await startGatewayPods(client, namespace, options.gateways, agentPort, options.httpPort);
      const gateways = pods.simulated.gateways;
      updates = new AgentUpdates(options.gateways, (i, type) => gateways[i]?.appliedVersions()[type]);
      for (const gateway of gateways)
        instrumentAgent(gateway, updates.record, {
          countRouteEndpoints: options.countRouteEndpoints === true && gateway.index === 0,
        });
      agents = {
        where: 'in-process',
        count: options.gateways,
        processes: 0,
        dirs: gateways.map((g) => g.dir),
        usage: () => Promise.resolve(undefined),
        stop: () => pods.stop(),
      };
    }
  } catch (error) {
    await operator.stop();
    throw error;
  }
  return {
    namespace,
    config,
    client,
    operator,
    agents,
    updates,
    metric: (name, labels) => scrape(config.httpPort, name, labels),
    async stop() {
      await operator.stop();
      await agents.stop();
      client.close();
    },
  };
}

async function scrape(
  port: number,
  name: string,
  labels: Readonly<Record<string, string>> = {},
): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const series = match[2] ?? '';
    if (Object.entries(labels).every(([k, v]) => series.includes(`${k}="${v}"`))) sum += Number(match[3]);
  }
  return sum;
}

async function startChildAgents(
  client: KubeClient,
  namespace: string,
  options: InProcessOptions,
  port: number,
  updates: AgentUpdates,
): Promise<Agents> {
  const dirRoot = mkdtempSync(join(tmpdir(), 'bench-gateways-'));
  const children = await startAgentProcesses({
    count: options.gateways,
    tls: await agentTlsFromOperator(client, namespace),
    dirRoot,
    processes: options.agentProcesses ?? 1,
    port,
    httpPort: options.httpPort ?? 0,
    onApplied: updates.record,
    countRouteEndpoints: options.countRouteEndpoints === true,
  });
  const stop = async (): Promise<void> => {
    await children.stop();
    rmSync(dirRoot, { recursive: true, force: true });
  };
  try {
    await createGatewayPods(client, namespace, children.gateways);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    where: 'child',
    count: options.gateways,
    processes: children.processes,
    dirs: children.gateways.map((g) => g.dir),
    usage: async () => ({ cpuMicros: await children.cpuMicros(), rssBytes: await children.rssBytes() }),
    stop,
  };
}

/** The 1-, 5- and 15-minute load averages, e.g. "1.2 / 0.9 / 0.8". */
export function loadAverage(): string {
  return loadavg()
    .map((n) => n.toFixed(1))
    .join(' / ');
}

/**
 * Waits until this process is nearly idle (under a tenth of a core over 200 ms: the operator's
 * queues drained, status written), so the next sample starts from rest; gives up after `timeoutMs`.
 */
export async function untilIdle(timeoutMs = 30_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const [cpu, wall] = [process.cpuUsage(), performance.now()];
    await sleep(200);
    const used = process.cpuUsage(cpu);
    if ((used.user + used.system) / 1000 < 0.1 * (performance.now() - wall)) return;
  }
}
