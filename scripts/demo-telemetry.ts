/**
 * The telemetry step of `npm run demo`: two reference agents (`gateway-worker agent`) tail
 * access logs the traffic generator writes and ship them to the operator's gRPC port with a
 * certificate naming their gateway; once the operator has aggregated them, the demo prints
 * `gateway-worker analytics top` and the audit trail (`audit verify`, `audit export`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { appendTraffic } from '../src/agent/simulator.js';
import { TrafficGenerator } from '../src/agent/traffic-generator.js';
import { issueCertificate } from '../src/pki/x509.js';
import { ensureCa } from '../src/push/mtls-ca.js';
import { systemClock } from '../src/runtime/clock.js';
import type { KubeClient } from '../src/runtime/kube/client.js';
import { agentTlsFromOperator } from '../test/support/gateway-pods.js';
import { BIN, cli, cliToFile, indent } from './demo-cli.js';

const NAMES = ['gateway-traffic-0', 'gateway-traffic-1'];
const LINES = 20_000;

export interface TelemetryDemo {
  /** The access logs the agents tail: a line appended here reaches the operator. */
  readonly accessLogs: readonly string[];
  stop(): Promise<void>;
}

export async function startTelemetryDemo(options: {
  readonly client: KubeClient;
  readonly namespace: string;
  readonly grpcPort: number;
  readonly databaseUrl: string;
}): Promise<TelemetryDemo> {
  const dir = mkdtempSync(join(tmpdir(), 'gateway-worker-telemetry-demo-'));
  const agents: ChildProcess[] = [];
  const stop = async (): Promise<void> => {
    for (const agent of agents) {
      if (agent.exitCode !== null || agent.signalCode !== null) continue;
      agent.kill('SIGTERM');
      await new Promise((resolve) => agent.once('exit', resolve));
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const ca = await ensureCa(options.client, options.namespace, systemClock);
    const shared = await agentTlsFromOperator(options.client, options.namespace);
    writeFileSync(join(dir, 'ca.crt'), shared.caPem);
    writeFileSync(join(dir, 'agent.crt'), shared.certPem);
    writeFileSync(join(dir, 'agent.key'), shared.keyPem);
    for (const name of NAMES) {
      // The stream's identity is this certificate: a batch naming another gateway is refused.
      const leaf = await issueCertificate(ca, {
        commonName: name,
        usage: 'client',
        notBefore: new Date(Date.now() - 60_000),
        notAfter: new Date(Date.now() + 86_400_000),
      });
      writeFileSync(join(dir, `${name}.crt`), leaf.certPem);
      writeFileSync(join(dir, `${name}.key`), leaf.keyPem);
      const args = [
        ...['agent', '--dir', join(dir, name), '--listen', '127.0.0.1:0', '--http-port', '0', '--name', name],
        ...[
          '--tls-ca',
          join(dir, 'ca.crt'),
          '--tls-cert',
          join(dir, 'agent.crt'),
          '--tls-key',
          join(dir, 'agent.key'),
        ],
        ...['--worker', `127.0.0.1:${options.grpcPort}`, '--access-log', join(dir, `${name}.log`)],
        ...['--log-tls-cert', join(dir, `${name}.crt`), '--log-tls-key', join(dir, `${name}.key`)],
      ];
      agents.push(
        spawn(process.execPath, [BIN, ...args], {
          env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'warn' },
          stdio: ['ignore', 'inherit', 'inherit'],
        }),
      );
    }
    console.log(
      `demo: the traffic generator writes ${LINES.toLocaleString('en-US')} access-log lines for each of ${NAMES.join(', ')}\n` +
        `      (Zipf paths and clients, a status mix, log-normal latencies, 1 % WAF hits); their agents ship them`,
    );
    // Reports end at the start of the current hour (whole hourly steps): the traffic starts a few
    // minutes before the last hour began, so the report below has some of it.
    const now = Date.now();
    const startMs = Math.min(now - 5 * 60_000, now - (now % 3_600_000) - 2 * 60_000);
    await Promise.all(
      NAMES.map((name, i) =>
        appendTraffic(
          join(dir, `${name}.log`),
          new TrafficGenerator({ seed: i + 1, wafRate: 0.01, startMs, requestsPerSecond: LINES / 240 }),
          LINES,
        ),
      ),
    );
    // The operator aggregates stored batches within a second or two; wait until the rollups show all.
    // The agents ship and the operator aggregates within seconds: wait until the totals settle.
    let top = '';
    let settled = 0;
    for (let i = 0; i < 90 && settled < 3; i++) {
      await sleep(1000);
      const next = cli(
        ['analytics', 'top', '--by', 'path', '--since', '2h', '--limit', '10'],
        options.databaseUrl,
      );
      settled = next === top && /requests from/.test(next) ? settled + 1 : 0;
      top = next;
    }
    console.log(`demo: gateway-worker analytics top --by path --since 2h\n${indent(top)}`);
    const clients = cli(
      ['analytics', 'top', '--by', 'client_ip', '--since', '2h', '--limit', '5'],
      options.databaseUrl,
    );
    console.log(`demo: gateway-worker analytics top --by client_ip --since 2h --limit 5\n${indent(clients)}`);
    console.log(
      `demo: gateway-worker audit verify\n${indent(cli(['audit', 'verify'], options.databaseUrl))}`,
    );
    const audit = cli(['audit', 'export', '--since', '1h', '--format', 'csv'], options.databaseUrl);
    console.log(`demo: gateway-worker audit export --since 1h --format csv\n${indent(audit, 15)}`);
    // A report a person can open: kept after the demo stops, unlike everything else.
    const report = join(tmpdir(), `gateway-worker-demo-report-${process.pid}.html`);
    const failed = cliToFile(['report', '--since', '24h', '--format', 'html'], options.databaseUrl, report);
    console.log(
      failed
        ? `demo: gateway-worker report failed: ${failed}`
        : `demo: gateway-worker report --since 24h --format html > ${report}\n        open it in a browser (no JavaScript; charts are SVG drawn by the operator)`,
    );
  } catch (error) {
    console.error(
      `demo: the telemetry step failed: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  return { stop, accessLogs: NAMES.map((name) => join(dir, `${name}.log`)) };
}
