/**
 * `npm run bench threats`. Feed section: a 1M-entry DROP-format feed (seeded: mostly single
 * addresses, a fifth /16 to /24 networks) parsed, stripped of reserved space, aggregated, cut
 * into ip-deny shards with the allowlists taken out (what the pusher is handed), and applied by
 * the reference agent's ip-deny writer (decode, unite, render and write waf-ip-lists.yaml). Each
 * run is a fresh process, so its peak RSS is the pipeline's own (the body included).
 * No network: the download and the gRPC transfer of the shards are not in the figures.
 */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decisionLatencies } from './threats-decision-latency.js';
import type { FeedRun } from './threats-feed-child.js';
import { fmt, median, percentile } from './stats.js';

const ENTRIES = 1_000_000;
const RUNS = 5;

/** mulberry32: the same feed every run. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Mostly single addresses, some /24s to /16s, and a few private entries (as FireHOL has). */
function feedBody(entries: number): string {
  const random = generator(15);
  const lines: string[] = ['; synthetic DROP-format feed for the benchmark'];
  for (let i = 0; i < entries; i += 1) {
    const address = Math.floor(random() * 2 ** 32) >>> 0;
    const roll = random();
    const prefix = roll < 0.8 ? 32 : 16 + Math.floor(random() * 9);
    const network = prefix === 32 ? address : (address & ~(2 ** (32 - prefix) - 1)) >>> 0;
    const text = [24, 16, 8, 0].map((s) => (network >>> s) & 255).join('.');
    lines.push(prefix === 32 ? `${text} ; SBL${i}` : `${text}/${prefix} ; SBL${i}`);
  }
  return `${lines.join('\n')}\n`;
}

function runChild(path: string): Promise<FeedRun> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(new URL('./threats-feed-child.ts', import.meta.url)), [path], {
      execArgv: ['--import', 'tsx', '--expose-gc'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    child.once('message', (message) => resolve(message as FeedRun));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`feed benchmark child exited with ${String(code)}`));
    });
  });
}

export async function feedBenchmark(): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'threats-bench-feed-'));
  const path = join(dir, 'drop.txt');
  writeFileSync(path, feedBody(ENTRIES));
  const load = loadavg()[0] ?? 0;
  const runs: FeedRun[] = [];
  try {
    for (let i = 0; i < RUNS; i += 1) runs.push(await runChild(path));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const first = runs[0];
  const row = (label: string, pick: (r: FeedRun) => number, unit: string): string => {
    const samples = runs.map(pick);
    return `| ${label} | ${fmt(median(samples))} ${unit} | ${fmt(percentile(samples, 99))} ${unit} |`;
  };
  const workerMs = (r: FeedRun): number => r.parseMs + r.judgeMs + r.publishMs;
  return [
    `### Feed: ${fmt(first?.entries ?? 0)} entries (${fmt(first?.bodyMiB ?? 0, 1)} MiB) → ${fmt(first?.ranges ?? 0)} ranges in ${fmt(first?.shards ?? 0)} shards`,
    '',
    `${RUNS} runs, one fresh process each; ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), load average ${fmt(load, 1)} at the start.`,
    '',
    '| stage | median | p99 (max of the runs) |',
    '|---|---|---|',
    row('parse (1M lines → ranges, aggregated)', (r) => r.parseMs, 'ms'),
    row('judge (last-good rules, reserved space stripped)', (r) => r.judgeMs, 'ms'),
    row('deny list (allowlists out, shards encoded)', (r) => r.publishMs, 'ms'),
    row('**worker total** (parse + judge + deny list)', workerMs, 'ms'),
    row('agent applies (decode, unite, write waf-ip-lists.yaml)', (r) => r.agentMs, 'ms'),
    row('**end to end**', (r) => r.totalMs, 'ms'),
    row('RSS with the body loaded', (r) => r.rssBeforeMiB, 'MiB'),
    row('**peak RSS** (worker and agent in one process)', (r) => r.peakRssMiB, 'MiB'),
  ];
}

/** Event → decision on the last agent, at 10 and 100 agents (threats-decision-latency.ts). */
export async function decisionLatencyBenchmark(): Promise<string[]> {
  const load = loadavg()[0] ?? 0;
  const rows: string[] = [];
  for (const [agents, samples] of [
    [10, 50],
    [100, 30],
  ] as const) {
    const ms = await decisionLatencies(agents, samples);
    rows.push(
      `| ${agents} | ${samples} | ${fmt(median(ms), 1)} ms | ${fmt(percentile(ms, 99), 1)} ms | ${fmt(Math.max(...ms), 1)} ms |`,
    );
  }
  return [
    '### Event → decision applied on the last agent',
    '',
    'The tipping security event enters the correlation engine; the overflow is decided (transaction on',
    'PostgreSQL, incident recorded), the bans in force are published as ip-deny shards, and the clock',
    'stops when every agent (reference agents in this process, mutual TLS) has ACKed the new shard.',
    `${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), load average ${fmt(load, 1)} at the start.`,
    '',
    '| agents | samples | p50 | p99 | max |',
    '|---|---|---|---|---|',
    ...rows,
  ];
}

export async function threatsBenchmark(): Promise<string[]> {
  return [...(await feedBenchmark()), '', ...(await decisionLatencyBenchmark())];
}
