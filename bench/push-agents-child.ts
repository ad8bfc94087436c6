/**
 * One child process of the push and operator benchmarks (see push-agent-processes.ts): runs the
 * simulated gateways its parent assigns, each on its own 127.0.0.x address, reports the updates
 * they apply if asked, and answers the parent over the IPC channel. Ends when told to stop or
 * when the parent goes away.
 */
import { startSimulatedGateways, defaultHost, type SimulatedGateways } from '../src/agent/simulator.js';
import { instrumentAgent } from './agent-updates.js';
import type { ChildMessage, ParentMessage } from './push-agent-processes.js';

let sim: SimulatedGateways | undefined;

function send(message: ChildMessage): void {
  process.send?.(message);
}

async function start(message: Extract<ParentMessage, { kind: 'start' }>): Promise<void> {
  const { indices, tls, dirRoot, port, httpPort, report } = message;
  const index = (k: number): number => indices[k] ?? k;
  sim = await startSimulatedGateways({
    count: indices.length,
    tls,
    dirRoot,
    port,
    httpPort,
    host: (k) => defaultHost(index(k)),
    name: (k) => `gateway-${index(k)}`,
  });
  if (report)
    for (const gateway of sim.gateways)
      instrumentAgent(gateway, (update) => send({ kind: 'applied', update }), {
        index: index(gateway.index),
        countRouteEndpoints: report.countRouteEndpoints && index(gateway.index) === 0,
      });
  send({
    kind: 'ready',
    gateways: sim.gateways.map((g) => ({ name: g.name, address: g.address, host: g.host, dir: g.dir })),
  });
}

async function stop(): Promise<void> {
  await sim?.stop();
  sim = undefined;
  send({ kind: 'stopped' });
  process.disconnect();
}

process.on('message', (raw) => {
  const message = raw as ParentMessage;
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
