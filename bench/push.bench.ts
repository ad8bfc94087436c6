/**
 * Push propagation: publish → every agent ACKed, for 1, 10 and 100 real agents (the simulator,
 * mTLS, on 127.0.0.x), with the production debounce; pushes per agent for 1,000 rapid edits;
 * bytes per update; worker CPU and RSS at 100 agents. No API server is involved: this isolates
 * the push path from the controllers.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Registry } from 'prom-client';
import { startSimulatedGateways } from '../src/agent/simulator.js';
import { contentVersion, type ConfigResource } from '../src/domain/snapshot/snapshot.js';
import { Pusher } from '../src/push/pusher.js';
import { silentLogger } from '../src/runtime/logger.js';
import { createMetricsRegistry } from '../src/runtime/metrics.js';
import { agentPki, wafRule } from '../test/support/agent-fixtures.js';
import { fmt, median, percentile, rssMiB } from './stats.js';

const OWNER = 'WafRuleSet/bench/rules';
const UPDATES = 40;
let generation = 0;

function bundle(rules = 20): ConfigResource {
  generation += 1;
  const ids = Array.from({ length: rules }, (_, i) => `r${i}`);
  const payload = new TextEncoder().encode(
    JSON.stringify({
      version: String(generation),
      rules: ids.map((id) => wafRule(id, { value: `/admin-${generation}` })),
    }),
  );
  return { type: 'waf', name: 'bench/rules', version: contentVersion(payload), payload };
}

async function counter(registry: Registry, name: string): Promise<number> {
  const metric = await registry.getSingleMetric(name)?.get();
  return (metric?.values ?? []).reduce((sum, v) => sum + v.value, 0);
}

async function allSynced(pusher: Pusher, count: number, timeoutMs = 30_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (pusher.status(OWNER).synced !== count) {
    if (performance.now() > deadline) throw new Error(`only ${pusher.status(OWNER).summary} synced`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

async function run(count: number): Promise<string> {
  const pki = await agentPki();
  const dirRoot = mkdtempSync(join(tmpdir(), 'bench-push-'));
  const sim = await startSimulatedGateways({ count, tls: pki.agent, dirRoot });
  const registry = createMetricsRegistry();
  const pusher = new Pusher({ tls: pki.worker, logger: silentLogger, registry });
  try {
    await pusher.start();
    pusher.setGateways(sim.gateways.map((g) => ({ name: g.name, address: g.address, labels: {} })));
    pusher.publish(OWNER, undefined, [bundle()]);
    await allSynced(pusher, count);

    const cpuBefore = process.cpuUsage();
    const latencies: number[] = [];
    const bytesBefore = await counter(registry, 'gateway_worker_push_bytes_total');
    const pushesBefore = await counter(registry, 'gateway_worker_pushes_total');
    for (let i = 0; i < UPDATES; i++) {
      const start = performance.now();
      pusher.publish(OWNER, undefined, [bundle()]);
      await allSynced(pusher, count);
      latencies.push(performance.now() - start);
    }
    const cpu = process.cpuUsage(cpuBefore);
    const pushes = (await counter(registry, 'gateway_worker_pushes_total')) - pushesBefore;
    const bytesPerPush =
      ((await counter(registry, 'gateway_worker_push_bytes_total')) - bytesBefore) / pushes;
    const cpuPerUpdateMs = (cpu.user + cpu.system) / 1000 / UPDATES;

    // 1,000 edits as fast as a controller could publish them.
    const burstBefore = await counter(registry, 'gateway_worker_pushes_total');
    for (let i = 0; i < 1000; i++) {
      pusher.publish(OWNER, undefined, [bundle()]);
      if (i % 10 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    await allSynced(pusher, count);
    const burstPushes = ((await counter(registry, 'gateway_worker_pushes_total')) - burstBefore) / count;
    return `| ${count} | ${fmt(median(latencies), 1)} ms | ${fmt(percentile(latencies, 99), 1)} ms | ${fmt(burstPushes, 1)} | ${fmt(bytesPerPush)} B | ${fmt(cpuPerUpdateMs, 1)} ms | ${fmt(rssMiB())} MiB |`;
  } finally {
    await pusher.stop();
    await sim.stop();
    rmSync(dirRoot, { recursive: true, force: true });
  }
}

export async function pushBenchmark(): Promise<string[]> {
  const rows = [];
  for (const count of [1, 10, 100]) rows.push(await run(count));
  return [
    `${UPDATES} sequential updates of a 20-rule WAF bundle per row, each timed from publish to the last ACK, debounce included (10 ms quiet, 1 s max); agents and worker share this process and its two cores.`,
    '',
    '| agents | publish → last ACK, median | p99 | pushes per agent for 1,000 rapid edits | bytes per push | worker+agents CPU per update | RSS (worker + agents) |',
    '|---|---|---|---|---|---|---|',
    ...rows,
  ];
}
