/**
 * `npm run bench threats`, correlation section: security events per second through the
 * correlation engine on one core (this process's main thread), with the example policy's shape —
 * an SQLi burst scenario grouped by address, a distinct-path range scan, a scanner scenario by
 * ASN — over 1M seeded events from 50,000 addresses (Zipf-like: a few loud, a long tail).
 * Overflows are counted, not acted on: decisions and pushes are not in this figure.
 */
import { cpus, loadavg } from 'node:os';
import { CorrelationEngine } from '../src/domain/threats/correlation.js';
import { compilePolicy } from '../src/domain/threats/policy.js';
import type { CorrelationEvent } from '../src/domain/threats/scenario.js';
import { fmt, median, percentile } from './stats.js';

const EVENTS = 1_000_000;
const RUNS = 5;
const THREATS = ['sql_injection', 'xss', 'path_traversal', 'scanner', 'sql_injection', 'sql_injection'];

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

function events(count: number): CorrelationEvent[] {
  const random = generator(42);
  const start = Date.UTC(2026, 0, 1);
  const out: CorrelationEvent[] = [];
  for (let i = 0; i < count; i += 1) {
    // Rank ~ 1/u: a few addresses send most events.
    const rank = Math.min(49_999, Math.floor(1 / (random() + 1e-5)) + Math.floor(random() * 200));
    out.push({
      timeMs: start + i * 2,
      gatewayId: `gateway-${i % 100}`,
      logType: 'security',
      clientIp: `45.${(rank >> 16) & 255}.${(rank >> 8) & 255}.${rank & 255}`,
      threatType: THREATS[i % THREATS.length] ?? 'xss',
      ruleId: `rule-${i % 40}`,
      action: random() < 0.8 ? 'blocked' : 'logged',
      statusCode: 403,
      path: `/api/v1/items/${Math.floor(random() * 500)}`,
      host: 'api.example.com',
      route: 'default/api/items',
      asn: `AS${64500 + (rank % 300)}`,
    });
  }
  return out;
}

function engine(): CorrelationEngine {
  return new CorrelationEngine(
    compilePolicy('default/bench', {
      mode: 'Enforce',
      scenarios: [
        {
          name: 'sqli',
          filter: { threatTypes: ['sql_injection'] },
          groupBy: { key: 'ip' },
          bucket: { capacity: 20, leakSpeed: '1s' },
          response: { type: 'ban', duration: '4h', scope: 'ip' },
        },
        {
          name: 'scan',
          filter: { actions: ['blocked'] },
          groupBy: { key: 'range' },
          bucket: { capacity: 30, leakSpeed: '1m' },
          distinct: 'path',
          response: { type: 'ban', duration: '1h', scope: 'range' },
        },
        {
          name: 'scanner-asn',
          filter: { threatTypes: ['scanner'] },
          groupBy: { key: 'asn' },
          bucket: { capacity: 100, leakSpeed: '100ms' },
          response: { type: 'log', duration: '1h', scope: 'ip' },
        },
      ],
    }),
  );
}

export function threatCorrelationBenchmark(): Promise<string[]> {
  const input = events(EVENTS);
  engine().ingest(input.slice(0, 100_000)); // warm-up: JIT
  const rates: number[] = [];
  let overflows = 0;
  for (let run = 0; run < RUNS; run += 1) {
    const e = engine();
    const start = performance.now();
    overflows = e.ingest(input).length;
    rates.push(EVENTS / ((performance.now() - start) / 1000));
  }
  const [load1] = loadavg();
  return Promise.resolve([
    `Correlation: ${fmt(EVENTS)} security events, 3 scenarios, ${RUNS} runs on one core ` +
      `(${cpus()[0]?.model ?? 'unknown CPU'}, load average ${fmt(load1 ?? 0, 2)}).`,
    '',
    '| measure | median | p99 (of runs) |',
    '| --- | --- | --- |',
    `| events/s through correlation | ${fmt(median(rates))} | ${fmt(percentile(rates, 1))} (slowest) |`,
    `| overflows per run | ${fmt(overflows)} | |`,
  ]);
}
