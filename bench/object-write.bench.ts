/**
 * Object write → last ACK (issue 5): the whole operator in this process against the local
 * control plane, with 1, 10 and 100 simulated gateways (real agents over mTLS). Each sample is a
 * merge patch of a 20-rule WafRuleSet that changes one rule's message; it is timed from the API
 * write returning to the moment the last agent has applied the new WAF version (just before its
 * ACK), and split into stages: the write itself, the watch event (seen by a second watch in this
 * process), the reconcile with its revision ConfigMap, publish, debounce and send until the first
 * agent has the update, the fan-out to the last agent, and that agent's apply. Between samples
 * the rule set's status is allowed to settle (N/N synced) and this process to go idle, so each
 * sample starts from rest. Every agent count runs twice: agents in child processes (one per core,
 * as in the push benchmark), where this process's CPU and RSS are the operator's own, and agents
 * in this process beside the operator, as the end-to-end tests run them. All of them share the
 * machine's cores with the API server and etcd.
 */
import { availableParallelism } from 'node:os';
import {
  WafRuleSetResource,
  statusOf,
  type WafRuleSet,
  type WafRuleSetSpec,
} from '../src/api/v1alpha1/index.js';
import type { Cluster } from '../src/envtest/cluster.js';
import { ResourceType } from '../src/generated/gateway/worker/v1/resources.js';
import { RULE_SET_LABEL } from '../src/controllers/wafruleset/revisions.js';
import { Informer } from '../src/runtime/informer/informer.js';
import { CoreTypes, type ConfigMap } from '../src/runtime/kube/resource.js';
import { silentLogger } from '../src/runtime/logger.js';
import { now } from './agent-updates.js';
import {
  loadAverage,
  startInProcessOperator,
  untilIdle,
  type AgentsWhere,
  type InProcessOperator,
} from './operator-in-process.js';
import { PushEvents } from './push-latency.js';
import { fmt, median, percentile, rssMiB } from './stats.js';

const WAF = ResourceType.RESOURCE_TYPE_WAF_RULES;
/** OBJECT_WRITE_AGENTS picks the agent counts, e.g. "1,10" (default 1, 10 and 100). */
const COUNTS = (process.env.OBJECT_WRITE_AGENTS ?? '1,10,100').split(',').map(Number);
const RULES = 20;
const WARM_UP = 5;
const NAME = 'edge';

/** OBJECT_WRITE_SAMPLES overrides the samples per agent count (default 100; 50 at 100 agents). */
function samplesFor(count: number): number {
  const env = process.env.OBJECT_WRITE_SAMPLES;
  if (env !== undefined) {
    const n = Number(env);
    if (!(Number.isInteger(n) && n >= 1))
      throw new Error(`OBJECT_WRITE_SAMPLES=${env}: must be a whole number of at least 1`);
    return n;
  }
  return count >= 100 ? 50 : 100;
}

function spec(edit: number): WafRuleSetSpec {
  const rules = Array.from({ length: RULES }, (_, i) => ({
    id: `r${i}`,
    conditions: [{ field: 'uri', operator: 'regex', value: `^/admin-${i}/` }],
    // The edit: rule r0's message, as an operator would reword a block page.
    action: { type: 'block', message: i === 0 ? `blocked (edit ${edit})` : `r${i} matched` },
  }));
  return {
    rules,
    tests: [
      { name: 'ordinary request', request: { uri: '/products?page=2' }, expect: 'allow' },
      { name: 'admin', request: { uri: '/admin-3/users' }, expect: 'block' },
    ],
  } as unknown as WafRuleSetSpec;
}

interface Sample {
  /** All in ms from the write being sent. */
  readonly returned: number;
  readonly watched: number;
  /** The revision ConfigMap's ADDED event here: compiled, tested and stored, about to be published. */
  readonly revision: number;
  readonly firstReceived: number;
  readonly lastReceived: number;
  readonly lastApplied: number;
  readonly statusSynced: number;
}

interface Row {
  readonly count: number;
  readonly where: AgentsWhere;
  readonly processes: number;
  readonly samples: readonly Sample[];
  /** This process (the operator, and the agents when they run here), over the counted samples. */
  readonly cpuMs: number;
  /** The agents' child process, when they run there. */
  readonly agentsCpuMs: number | undefined;
  readonly wallMs: number;
  readonly rssMiB: number;
  readonly agentsRssMiB: number | undefined;
  readonly reconcilesPerEdit: number;
  readonly apiRequestsPerEdit: number;
  readonly load: string;
}

async function measure(h: InProcessOperator, count: number): Promise<Row> {
  const { client, namespace, updates } = h;
  // A second watch of the rule set, in this process: when the event reaches a watcher here, the
  // operator's own informer gets it at about the same time.
  const seen = new Map<number, number>();
  const synced = new Map<number, number>();
  const statusEvents = new PushEvents();
  const informer = new Informer<WafRuleSet>({
    client,
    type: WafRuleSetResource,
    namespaces: [namespace],
    logger: silentLogger,
  });
  const note = (rs: WafRuleSet): void => {
    const at = now();
    const generation = rs.metadata.generation ?? 0;
    if (!seen.has(generation)) seen.set(generation, at);
    const status = statusOf(rs);
    if (status?.observedGeneration === generation && status.gateways?.summary === `${count}/${count}`)
      if (!synced.has(generation)) synced.set(generation, at);
    statusEvents.onStatusChange();
  };
  informer.addHandler({ onAdd: note, onUpdate: (_old, rs) => note(rs) });
  const revisionsAdded: number[] = [];
  const revisions = new Informer<ConfigMap>({
    client,
    type: CoreTypes.configMap,
    namespaces: [namespace],
    labelSelector: RULE_SET_LABEL,
    logger: silentLogger,
  });
  revisions.addHandler({ onAdd: () => revisionsAdded.push(now()) });
  for (const i of [informer, revisions]) i.start();
  await Promise.all([informer.waitForSync(), revisions.waitForSync()]);
  const settled = (generation: number) =>
    statusEvents.until(`status ${count}/${count} at generation ${generation}`, () => synced.has(generation));

  let edit = 0;
  const created = await client.create<WafRuleSet>(WafRuleSetResource, {
    apiVersion: 'gateway.awesomeapi.com.br/v1alpha1',
    kind: 'WafRuleSet',
    metadata: { namespace, name: NAME },
    spec: spec(edit),
  } as WafRuleSet);
  await updates.allMovedFrom(WAF, undefined);
  await settled(created.metadata.generation ?? 1);

  const sample = async (): Promise<Sample> => {
    edit += 1;
    const before = updates.last(WAF)[0]?.version;
    const sent = now();
    const written = await client.mergePatch<WafRuleSet>(WafRuleSetResource, namespace, NAME, {
      spec: { rules: spec(edit).rules },
    });
    const returned = now();
    const done = await updates.allMovedFrom(WAF, before);
    const generation = written.metadata.generation ?? 0;
    await settled(generation);
    const received = done.map((u) => u.receivedAt);
    return {
      returned: returned - sent,
      watched: (seen.get(generation) ?? Number.NaN) - sent,
      revision: (revisionsAdded.find((t) => t >= sent) ?? Number.NaN) - sent,
      firstReceived: Math.min(...received) - sent,
      lastReceived: Math.max(...received) - sent,
      lastApplied: Math.max(...done.map((u) => u.appliedAt)) - sent,
      statusSynced: (synced.get(generation) ?? Number.NaN) - sent,
    };
  };
  for (let i = 0; i < WARM_UP; i++) await sample();
  await untilIdle();
  const n = samplesFor(count);
  const reconcilesBefore = await h.metric('controller_runtime_reconcile_total');
  const requestsBefore = await h.metric('gateway_worker_kube_api_requests_total');
  const agentsBefore = await h.agents.usage();
  const cpuBefore = process.cpuUsage();
  const wallBefore = performance.now();
  const samples: Sample[] = [];
  for (let i = 0; i < n; i++) {
    samples.push(await sample());
    await untilIdle();
  }
  const cpu = process.cpuUsage(cpuBefore);
  const wallMs = performance.now() - wallBefore;
  const agentsAfter = await h.agents.usage();
  const reconciles = (await h.metric('controller_runtime_reconcile_total')) - reconcilesBefore;
  const requests = (await h.metric('gateway_worker_kube_api_requests_total')) - requestsBefore;
  await Promise.all([informer.stop(), revisions.stop()]);
  return {
    count,
    where: h.agents.where,
    processes: h.agents.processes,
    samples,
    cpuMs: (cpu.user + cpu.system) / 1000,
    agentsCpuMs:
      agentsBefore && agentsAfter ? (agentsAfter.cpuMicros - agentsBefore.cpuMicros) / 1000 : undefined,
    wallMs,
    rssMiB: rssMiB(),
    agentsRssMiB: agentsAfter ? agentsAfter.rssBytes / 1024 / 1024 : undefined,
    reconcilesPerEdit: reconciles / n,
    apiRequestsPerEdit: requests / n,
    load: loadAverage(),
  };
}

const ms = (n: number): string => `${fmt(n, 1)} ms`;
const p50p99 = (values: readonly number[]): string => `${ms(median(values))} / ${ms(percentile(values, 99))}`;

/**
 * OBJECT_WRITE_WHERE picks the agents' placement: in-process, child or both (the default; the child
 * first, as RSS only grows within a process).
 */
function placements(): AgentsWhere[] {
  const env = process.env.OBJECT_WRITE_WHERE ?? 'child,in-process';
  return env.split(',').map((w) => {
    if (w !== 'in-process' && w !== 'child')
      throw new Error(`OBJECT_WRITE_WHERE=${env}: in-process, child or both`);
    return w;
  });
}

export async function objectWriteBenchmark(cluster: Cluster): Promise<string[]> {
  const rows: Row[] = [];
  for (const where of placements()) {
    for (const count of COUNTS) {
      const h = await startInProcessOperator(cluster, `bench-write-${count}`, {
        gateways: count,
        agents: where,
        // As in the push benchmark: one child per core, the agents dealt round-robin.
        agentProcesses: availableParallelism(),
      });
      try {
        rows.push(await measure(h, count));
      } finally {
        await h.stop();
      }
    }
  }
  const of = (r: Row, f: (s: Sample) => number) => r.samples.map(f);
  const placement = (r: Row) =>
    r.where === 'child' ? `${r.processes} child process${r.processes === 1 ? '' : 'es'}` : 'operator process';
  const cpu = (r: Row) =>
    r.agentsCpuMs === undefined
      ? `${ms(r.cpuMs / r.samples.length)} (operator + agents)`
      : `${ms(r.cpuMs / r.samples.length)} + ${ms(r.agentsCpuMs / r.samples.length)} agents`;
  const rss = (r: Row) =>
    r.agentsRssMiB === undefined
      ? `${fmt(r.rssMiB)} MiB (operator + agents)`
      : `${fmt(r.rssMiB)} MiB + ${fmt(r.agentsRssMiB)} MiB agents`;
  return [
    `A ${RULES}-rule WafRuleSet edited by merge patch (one rule's message), ${WARM_UP} edits not counted, then one edit at a time, each once the previous one's status said N/N and the operator's process was idle. ` +
      'Operator with QUEUE_WORKERS default; timestamps from the agents themselves (update applied, just before the ACK).',
    '',
    '| agents | agents run in | samples | write returned → last ACK, median / p99 | write sent → last ACK, median / p99 | write sent → status N/N, median | CPU per edit (operator process + agents process) | busy (cores) | reconciles / API requests per edit | RSS after | load average (1/5/15 min) |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.count} | ${placement(r)} | ${r.samples.length} | ${p50p99(of(r, (s) => s.lastApplied - s.returned))} | ${p50p99(of(r, (s) => s.lastApplied))} | ${ms(median(of(r, (s) => s.statusSynced)))} | ${cpu(r)} | ${fmt((r.cpuMs + (r.agentsCpuMs ?? 0)) / r.wallMs, 2)} | ${fmt(r.reconcilesPerEdit, 1)} / ${fmt(r.apiRequestsPerEdit, 1)} | ${rss(r)} | ${r.load} |`,
    ),
    '',
    'Where the time goes (median / p99 of each stage, each from the end of the previous one):',
    '',
    '| agents | agents run in | API write (sent → returned) | write sent → watch event here | watch → revision ConfigMap seen (reconcile: compile, tests, ConfigMap create) | revision → first agent has the update (publish, 10 ms debounce, send) | first → last agent has it | last agent has it → last ACK |',
    '|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.count} | ${placement(r)} | ${p50p99(of(r, (s) => s.returned))} | ${p50p99(of(r, (s) => s.watched))} | ${p50p99(of(r, (s) => s.revision - s.watched))} | ${p50p99(of(r, (s) => s.firstReceived - s.revision))} | ${p50p99(of(r, (s) => s.lastReceived - s.firstReceived))} | ${p50p99(of(r, (s) => s.lastApplied - s.lastReceived))} |`,
    ),
  ];
}
