/**
 * Simulated gateways in a child process for the operator benchmarks (see operator-in-process.ts),
 * so that the operator's event loop and RSS are its own: starts the gateways its parent asks for
 * on the given ports, reports every update they apply over the IPC channel, answers usage
 * queries, and ends when told to stop or when the parent goes away.
 */
import { startSimulatedGateways, type SimulatedGateways } from '../src/agent/simulator.js';
import type { TlsMaterial } from '../src/grpc/credentials.js';
import { instrumentAgent, type AgentUpdate } from './agent-updates.js';

export type ToChild =
  | {
      readonly kind: 'start';
      readonly count: number;
      readonly port: number;
      readonly httpPort: number;
      readonly tls: TlsMaterial;
      readonly dirRoot: string;
      /** Count the endpoints of gateway-0's routes updates (see instrumentAgent). */
      readonly countRouteEndpoints: boolean;
    }
  | { readonly kind: 'usage' }
  | { readonly kind: 'stop' };

export type FromChild =
  | { readonly kind: 'ready'; readonly gateways: readonly { name: string; host: string; dir: string }[] }
  | { readonly kind: 'applied'; readonly update: AgentUpdate }
  | { readonly kind: 'usage'; readonly cpuMicros: number; readonly rssBytes: number }
  | { readonly kind: 'failed'; readonly message: string };

let sim: SimulatedGateways | undefined;

const send = (message: FromChild): void => {
  process.send?.(message);
};

async function start(message: Extract<ToChild, { kind: 'start' }>): Promise<void> {
  const { count, port, httpPort, tls, dirRoot, countRouteEndpoints } = message;
  sim = await startSimulatedGateways({ count, tls, dirRoot, port, httpPort });
  for (const gateway of sim.gateways)
    instrumentAgent(gateway, (update) => send({ kind: 'applied', update }), {
      countRouteEndpoints: countRouteEndpoints && gateway.index === 0,
    });
  send({ kind: 'ready', gateways: sim.gateways.map((g) => ({ name: g.name, host: g.host, dir: g.dir })) });
}

async function stop(): Promise<void> {
  await sim?.stop();
  sim = undefined;
  process.disconnect();
}

process.on('message', (raw) => {
  const message = raw as ToChild;
  const done = (() => {
    switch (message.kind) {
      case 'start':
        return start(message);
      case 'usage': {
        const cpu = process.cpuUsage();
        send({ kind: 'usage', cpuMicros: cpu.user + cpu.system, rssBytes: process.memoryUsage().rss });
        return Promise.resolve();
      }
      case 'stop':
        return stop();
    }
  })();
  done.catch((error: unknown) => {
    send({ kind: 'failed', message: error instanceof Error ? error.message : String(error) });
  });
});

// The parent died or closed the channel without a stop: leave no agents behind.
process.on('disconnect', () => {
  const stopping = sim?.stop() ?? Promise.resolve();
  void stopping.finally(() => process.exit(0));
});
