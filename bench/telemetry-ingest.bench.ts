/**
 * `npm run bench telemetry-ingest`: log records per second end to end — 10 reference agents
 * (`gateway-worker agent` processes) tail access logs the traffic generator wrote, ship them
 * over ShipLogs with mutual TLS to the worker's ingest (this process), which commits them to
 * PostgreSQL (fsync on, as in production). The clock runs from the moment the lines land in the
 * logs to the moment the last record is committed, read from the ingest's own metric.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { appendFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TrafficGenerator } from '../src/agent/traffic-generator.js';
import { LocalPostgres } from '../src/envtest/postgres.js';
import { GATEWAY_SERVER_NAME } from '../src/grpc/credentials.js';
import { issueCertificate } from '../src/pki/x509.js';
import { silentLogger } from '../src/runtime/logger.js';
import { migrate } from '../src/storage/migrate.js';
import { postgresAt } from '../test/support/job-fixtures.js';
import { createTelemetryPki, metricValue, startIngestServer } from '../test/support/telemetry-fixtures.js';
import { loadAverage } from './operator-in-process.js';
import { fmt, median } from './stats.js';

const AGENTS = 10;
const LINES_PER_AGENT = 50_000;
const RUNS = 3;
const CONNECT_TIMEOUT_MS = 60_000;
/** A run fails, instead of waiting forever, when no record is stored for this long. */
const STALL_MS = 30_000;
const BIN = fileURLToPath(new URL('../bin/gateway-worker.js', import.meta.url));
const TICKS = 100; // USER_HZ on Linux

interface Run {
  readonly seconds: number;
  readonly recordsPerSecond: number;
  readonly workerCpuSeconds: number;
  readonly agentsCpuSeconds: number;
  readonly insertP99Ms: number;
  /** Records the agents reported dropped so far (cumulative). */
  readonly dropped: number;
}

/** CPU seconds (user + system) a child has used so far, from /proc. */
function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / TICKS;
  } catch {
    return 0;
  }
}

async function records(registry: Parameters<typeof metricValue>[0]): Promise<number> {
  let total = 0;
  for (const type of ['access', 'security']) {
    total += await metricValue(registry, 'gateway_worker_telemetry_records_total', {
      source: 'ship_logs',
      log_type: type,
    });
  }
  return total;
}

async function dropped(registry: Parameters<typeof metricValue>[0]): Promise<number> {
  let total = 0;
  for (const type of ['access', 'security'])
    total += await metricValue(registry, 'gateway_worker_telemetry_agent_dropped_records_total', {
      log_type: type,
    });
  return total;
}

/** p99 of the insert histogram, as the upper bound of the bucket it falls in. */
async function insertP99Ms(registry: Parameters<typeof metricValue>[0]): Promise<number> {
  const metric = (await registry.getMetricsAsJSON()).find(
    (m) => m.name === 'gateway_worker_telemetry_insert_seconds',
  );
  const values = (metric?.values ?? []) as {
    labels: Record<string, string | number>;
    value: number;
    metricName?: string;
  }[];
  const buckets = values
    .filter((v) => v.metricName?.endsWith('_bucket'))
    .map((v) => ({ le: Number(v.labels.le), n: v.value }));
  const count = buckets.find((b) => !Number.isFinite(b.le))?.n ?? 0;
  return (buckets.find((b) => b.n >= 0.99 * count)?.le ?? Number.NaN) * 1000;
}

/** Waits until every agent has its stream open; an agent that exits or never connects fails the run. */
async function connected(
  registry: Parameters<typeof metricValue>[0],
  agents: readonly ChildProcess[],
  dir: string,
): Promise<void> {
  const deadline = Date.now() + CONNECT_TIMEOUT_MS;
  while ((await metricValue(registry, 'gateway_worker_telemetry_streams')) < agents.length) {
    const exited = agents.findIndex((agent) => agent.exitCode !== null || agent.signalCode !== null);
    if (exited >= 0 || Date.now() > deadline) {
      const index = exited >= 0 ? exited : 0;
      const output = readFileSync(join(dir, `gateway-${index}.log`), 'utf8')
        .trim()
        .split('\n')
        .slice(-10);
      throw new Error(
        `${exited >= 0 ? `agent gateway-${index} exited` : `the agents did not all connect within ${CONNECT_TIMEOUT_MS / 1000} s`}; ` +
          `gateway-${index} printed:\n${output.join('\n')}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function telemetryIngestBenchmark(): Promise<string[]> {
  const loadBefore = loadAverage();
  const dir = await mkdtemp(join(tmpdir(), 'gateway-worker-bench-telemetry-'));
  const postgres = await LocalPostgres.start({ durable: true });
  const agents: ChildProcess[] = [];
  const schema = 'gateway_worker';
  const db = postgresAt(postgres.url, schema, 10);
  const runs: Run[] = [];
  try {
    await migrate(db, { schema, logger: silentLogger });
    const pki = await createTelemetryPki();
    const server = await startIngestServer(db, schema, pki.server);
    try {
      await writeFile(join(dir, 'ca.crt'), pki.ca.certPem);
      const content: string[] = [];
      for (let i = 0; i < AGENTS; i += 1) {
        const name = `gateway-${i}`;
        const leaf = await issueCertificate(pki.ca, {
          commonName: name,
          dnsNames: [GATEWAY_SERVER_NAME],
          usage: 'both',
          notBefore: new Date(Date.now() - 60_000),
          notAfter: new Date(Date.now() + 86_400_000),
        });
        await mkdir(join(dir, name));
        await writeFile(join(dir, `${name}.crt`), leaf.certPem);
        await writeFile(join(dir, `${name}.key`), leaf.keyPem);
        const generator = new TrafficGenerator({ seed: i + 1, wafRate: 0.01 });
        content.push(`${Array.from({ length: LINES_PER_AGENT }, () => generator.nextLine()).join('\n')}\n`);
        const args = [
          ...[
            'agent',
            '--dir',
            join(dir, name),
            '--listen',
            `127.0.0.1:0`,
            '--http-port',
            '0',
            '--name',
            name,
          ],
          ...[
            '--tls-ca',
            join(dir, 'ca.crt'),
            '--tls-cert',
            join(dir, `${name}.crt`),
            '--tls-key',
            join(dir, `${name}.key`),
          ],
          ...['--worker', server.address, '--access-log', join(dir, name, 'access.log')],
          // Each run lands as one burst of LINES_PER_AGENT lines: with the default buffer (20,000
          // waiting records) the agent would shed half of it, as designed, and this would measure
          // shedding. Sized for the burst, it measures the pipeline.
          ...['--log-buffer', String(LINES_PER_AGENT)],
        ];
        const log = openSync(join(dir, `${name}.log`), 'a');
        agents.push(
          spawn(process.execPath, [BIN, ...args], {
            env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'warn' },
            stdio: ['ignore', log, log],
          }),
        );
        closeSync(log);
      }
      await connected(server.registry, agents, dir);
      for (let run = 0; run < RUNS; run += 1) {
        let lastStored = await records(server.registry);
        const target = lastStored + AGENTS * LINES_PER_AGENT;
        const agentCpu = agents.reduce((sum, a) => sum + cpuSeconds(a.pid), 0);
        const cpu = process.cpuUsage();
        const start = performance.now();
        await Promise.all(
          content.map((text, i) => appendFile(join(dir, `gateway-${i}`, 'access.log'), text)),
        );
        let stored = 0;
        let progressAt = performance.now();
        while ((stored = await records(server.registry)) < target) {
          const now = performance.now();
          if (stored !== lastStored) [lastStored, progressAt] = [stored, now];
          if (now - progressAt > STALL_MS)
            throw new Error(
              `run ${run + 1}: ${fmt(target - stored)} records missing and none stored for ${STALL_MS / 1000} s; ` +
                `agents reported ${fmt(await dropped(server.registry))} dropped`,
            );
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        const seconds = (performance.now() - start) / 1000;
        const used = process.cpuUsage(cpu);
        runs.push({
          seconds,
          recordsPerSecond: (AGENTS * LINES_PER_AGENT) / seconds,
          workerCpuSeconds: (used.user + used.system) / 1e6,
          agentsCpuSeconds: agents.reduce((sum, a) => sum + cpuSeconds(a.pid), 0) - agentCpu,
          insertP99Ms: await insertP99Ms(server.registry),
          dropped: await dropped(server.registry),
        });
      }
    } finally {
      for (const agent of agents) agent.kill('SIGTERM');
      await Promise.all(
        agents.map(
          (a) => new Promise((resolve) => (a.exitCode === null ? a.once('exit', resolve) : resolve(null))),
        ),
      );
      await server.stop();
    }
  } finally {
    await db.close();
    await postgres.stop();
    await rm(dir, { recursive: true, force: true });
  }
  const rates = runs.map((r) => r.recordsPerSecond);
  const million = AGENTS * LINES_PER_AGENT;
  return [
    `${AGENTS} agent processes × ${fmt(LINES_PER_AGENT)} generated lines each (${fmt(million)} records a run, 1 % WAF hits), ` +
      `default agent settings but a buffer for the whole burst (1,000 records a batch, window 8, --log-buffer ${fmt(LINES_PER_AGENT)}), mutual TLS, the ingest in the benchmark process, ` +
      `PostgreSQL 15 with fsync on; ${cpus().length} cores (${cpus()[0]?.model ?? '?'}); load average before: ${loadBefore}.`,
    '',
    '| run | seconds | records/s | worker CPU s | agents CPU s | insert p99 (bucket), ms | dropped by agents (total) |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...runs.map(
      (r, i) =>
        `| ${i + 1} | ${fmt(r.seconds, 1)} | ${fmt(r.recordsPerSecond)} | ${fmt(r.workerCpuSeconds, 1)} | ${fmt(r.agentsCpuSeconds, 1)} | ${fmt(r.insertP99Ms)} | ${fmt(r.dropped)} |`,
    ),
    '',
    `Median: **${fmt(median(rates))} records/s** (min ${fmt(Math.min(...rates))}). Load average after: ${loadAverage()}.`,
  ];
}
