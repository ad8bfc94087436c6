/**
 * Push propagation: publish → every agent ACKed, for 1, 10 and 100 real agents (the simulator,
 * mTLS, on 127.0.0.x), with the production debounce; pushes per agent for 1,000 rapid edits;
 * bytes per push; CPU and RSS. Two set-ups: the agents in this process beside the worker's
 * Pusher, and the agents in child processes, where the CPU and RSS measured here are the
 * worker's alone. No API server is involved: this isolates the push path from the controllers.
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
import { agentPki, wafRule, type AgentPki } from '../test/support/agent-fixtures.js';
import { startAgentProcesses } from './push-agent-processes.js';
import { PushEvents, pusherLastAck, timeToLastAck } from './push-latency.js';
import { fmt, median, percentile, rssMiB } from './stats.js';

const OWNER = 'WafRuleSet/bench/rules';
const RESOURCE = { type: 'waf', name: 'bench/rules' } as const;
const UPDATES = 100;
const WARM_UP = 5;
const COUNTS = [1, 10, 100];
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
  return { type: RESOURCE.type, name: RESOURCE.name, version: contentVersion(payload), payload };
}

async function counter(registry: Registry, name: string): Promise<number> {
  const metric = await registry.getSingleMetric(name)?.get();
  return (metric?.values ?? []).reduce((sum, v) => sum + v.value, 0);
}

/** Agents somewhere: in this process or in children. */
interface Agents {
  readonly gateways: readonly { readonly name: string; readonly address: string }[];
  /** CPU the agents used (µs) when they run in other processes. */
  cpuMicros?(): Promise<number>;
}

interface Row {
  readonly count: number;
  readonly latencies: readonly number[];
  readonly burstPushesPerAgent: number;
  readonly bytesPerPush: number;
  readonly cpuPerUpdateMs: number;
  readonly agentsCpuPerUpdateMs: number | undefined;
  readonly rssMiB: number;
}

async function measure(count: number, agents: Agents, pki: AgentPki): Promise<Row> {
  const registry = createMetricsRegistry();
  const events = new PushEvents();
  const pusher = new Pusher({
    tls: pki.worker,
    logger: silentLogger,
    registry,
    onStatusChange: events.onStatusChange,
  });
  const lastAck = pusherLastAck(pusher, events, RESOURCE, count);
  const update = (): Promise<number> => {
    const next = bundle();
    return timeToLastAck({
      write: () => {
        pusher.publish(OWNER, undefined, [next]);
        return Promise.resolve();
      },
      expectedVersion: () => next.version,
      lastAck,
    });
  };
  try {
    await pusher.start();
    pusher.setGateways(agents.gateways.map((g) => ({ name: g.name, address: g.address, labels: {} })));
    // Connections, the first full state and JIT warm-up are not what is measured.
    for (let i = 0; i < WARM_UP; i++) await update();

    const cpuBefore = process.cpuUsage();
    const agentsCpuBefore = await agents.cpuMicros?.();
    const bytesBefore = await counter(registry, 'gateway_worker_push_bytes_total');
    const pushesBefore = await counter(registry, 'gateway_worker_pushes_total');
    const latencies: number[] = [];
    for (let i = 0; i < UPDATES; i++) latencies.push(await update());
    const cpu = process.cpuUsage(cpuBefore);
    const agentsCpuAfter = await agents.cpuMicros?.();
    const rss = rssMiB();
    const pushes = (await counter(registry, 'gateway_worker_pushes_total')) - pushesBefore;
    const bytes = (await counter(registry, 'gateway_worker_push_bytes_total')) - bytesBefore;

    // 1,000 edits as fast as a controller could publish them.
    const burstBefore = await counter(registry, 'gateway_worker_pushes_total');
    let last = bundle();
    for (let i = 0; i < 1000; i++) {
      last = bundle();
      pusher.publish(OWNER, undefined, [last]);
      if (i % 10 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    await lastAck(last.version);
    const burstPushes = (await counter(registry, 'gateway_worker_pushes_total')) - burstBefore;
    return {
      count,
      latencies,
      burstPushesPerAgent: burstPushes / count,
      bytesPerPush: bytes / pushes,
      cpuPerUpdateMs: (cpu.user + cpu.system) / 1000 / UPDATES,
      agentsCpuPerUpdateMs:
        agentsCpuBefore === undefined || agentsCpuAfter === undefined
          ? undefined
          : (agentsCpuAfter - agentsCpuBefore) / 1000 / UPDATES,
      rssMiB: rss,
    };
  } finally {
    await pusher.stop();
  }
}

async function inProcess(count: number, pki: AgentPki, dirRoot: string): Promise<Row> {
  const sim = await startSimulatedGateways({ count, tls: pki.agent, dirRoot });
  try {
    return await measure(count, { gateways: sim.gateways }, pki);
  } finally {
    await sim.stop();
  }
}

async function inChildren(
  count: number,
  pki: AgentPki,
  dirRoot: string,
  processes: number | undefined,
): Promise<Row & { processes: number }> {
  const children = await startAgentProcesses({
    count,
    tls: pki.agent,
    dirRoot,
    ...(processes === undefined ? {} : { processes }),
  });
  try {
    return { ...(await measure(count, children, pki)), processes: children.processes };
  } finally {
    await children.stop();
  }
}

const ms = (n: number): string => `${fmt(n, 1)} ms`;

export async function pushBenchmark(): Promise<string[]> {
  const pki = await agentPki();
  const dirRoot = mkdtempSync(join(tmpdir(), 'bench-push-'));
  // PUSH_AGENT_PROCESSES overrides the number of agent processes (default: one per core).
  const processesEnv = process.env.PUSH_AGENT_PROCESSES;
  const processes = processesEnv === undefined ? undefined : Number(processesEnv);
  if (processes !== undefined && !(Number.isInteger(processes) && processes >= 1))
    throw new Error(`PUSH_AGENT_PROCESSES=${processesEnv ?? ''}: must be a whole number of at least 1`);
  try {
    // Children first: RSS only grows within a process, so the worker's own figure comes before
    // this process has hosted 100 agents itself.
    const apart: (Row & { processes: number })[] = [];
    for (const count of COUNTS)
      apart.push(await inChildren(count, pki, join(dirRoot, `child-${count}`), processes));
    const together: Row[] = [];
    for (const count of COUNTS) together.push(await inProcess(count, pki, join(dirRoot, `in-${count}`)));
    return [
      `${UPDATES} sequential updates of a 20-rule WAF bundle per row (after ${WARM_UP} not counted), each timed from publish to the last ACK, debounce included (10 ms quiet, 1 s max).`,
      '',
      '**Agents in child processes** (the Pusher alone in the benchmark process):',
      '',
      '| agents | agent processes | publish → last ACK, median | p99 | pushes per agent for 1,000 rapid edits | bytes per push | worker CPU per update | agents CPU per update (all) | worker RSS |',
      '|---|---|---|---|---|---|---|---|---|',
      ...apart.map(
        (r) =>
          `| ${r.count} | ${r.processes} | ${ms(median(r.latencies))} | ${ms(percentile(r.latencies, 99))} | ${fmt(r.burstPushesPerAgent, 1)} | ${fmt(r.bytesPerPush)} B | ${ms(r.cpuPerUpdateMs)} | ${r.agentsCpuPerUpdateMs === undefined ? '—' : ms(r.agentsCpuPerUpdateMs)} | ${fmt(r.rssMiB)} MiB |`,
      ),
      '',
      '**Agents in the benchmark process** (worker and agents share one event loop):',
      '',
      '| agents | publish → last ACK, median | p99 | pushes per agent for 1,000 rapid edits | bytes per push | CPU per update (worker + agents) | RSS (worker + agents) |',
      '|---|---|---|---|---|---|---|',
      ...together.map(
        (r) =>
          `| ${r.count} | ${ms(median(r.latencies))} | ${ms(percentile(r.latencies, 99))} | ${fmt(r.burstPushesPerAgent, 1)} | ${fmt(r.bytesPerPush)} B | ${ms(r.cpuPerUpdateMs)} | ${fmt(r.rssMiB)} MiB |`,
      ),
    ];
  } finally {
    rmSync(dirRoot, { recursive: true, force: true });
  }
}
