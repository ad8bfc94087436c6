/**
 * The incident-response step of `npm run demo` (issue 15): a ThreatPolicy applied with kubectl, an
 * attacker's SQL injections written to a gateway's access log as the gateway logs them, and the
 * ban that follows on every gateway — with how long it took from the last attack line to the last
 * gateway — then `decisions list`, `incidents list` and the ban's removal when it expires.
 */
import { execFileSync } from 'node:child_process';
import { appendFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import { WAF_IP_LISTS_FILE } from '../src/agent/waf-rules.js';
import { cli, indent } from './demo-cli.js';

/** A public address (documentation and private ranges are never decided). */
const ATTACKER = '45.10.20.50';
const BAN_SECONDS = 30;
/** One overflow of the bucket below (capacity 10): more would count as a repeat offence. */
const ATTACK_LINES = 15;
const WAIT_MS = 90_000;

export interface ThreatsStep {
  readonly kubectl: string;
  readonly kubeconfig: string;
  readonly databaseUrl: string;
  /** An access log a shipping agent tails. */
  readonly accessLog: string;
  /** The folders of the gateways the operator pushes to. */
  readonly gatewayDirs: readonly string[];
}

const POLICY = {
  apiVersion: 'gateway.awesomeapi.com.br/v1alpha1',
  kind: 'ThreatPolicy',
  metadata: { name: 'demo-sqli', namespace: 'default' },
  spec: {
    mode: 'Enforce',
    scenarios: [
      {
        name: 'sqli-burst',
        description: 'SQL injection attempts from one address',
        filter: { threatTypes: ['sql_injection'] },
        groupBy: { key: 'ip' },
        bucket: { capacity: 10, leakSpeed: '1s' },
        response: { type: 'ban', duration: `${BAN_SECONDS}s`, scope: 'ip' },
      },
    ],
  },
};

/** A WAF match as the gateway logs it (docs/telemetry.md, "Formats"). */
function sqlInjection(i: number, now: number): string {
  return JSON.stringify({
    timestamp: new Date(now + i * 50).toISOString(),
    level: 'warn',
    log_type: 'security',
    rule_id: 'sql-injection-union',
    rule_description: 'SQL injection (UNION SELECT)',
    threat_type: 'sql_injection',
    severity: 'high',
    action_taken: 'blocked',
    client_ip: ATTACKER,
    payload: "' UNION SELECT password FROM users --",
    host: 'api.example.com',
    uri: `/login?user=${i}`,
    method: 'POST',
    status_code: 403,
    request_id: `demo-attack-${now}-${i}`,
  });
}

async function denies(dir: string): Promise<boolean> {
  return (await readFile(join(dir, WAF_IP_LISTS_FILE), 'utf8').catch(() => '')).includes(ATTACKER);
}

/** Polls until every gateway does (or no longer does) deny the attacker; false on time-out. */
async function waitForEvery(dirs: readonly string[], denied: boolean): Promise<boolean> {
  const deadline = Date.now() + WAIT_MS;
  while (Date.now() < deadline) {
    const states = await Promise.all(dirs.map(denies));
    if (states.every((s) => s === denied)) return true;
    await sleep(20);
  }
  return false;
}

export async function runThreatsDemo(step: ThreatsStep): Promise<void> {
  const kubectl = (args: readonly string[], input?: string): string =>
    execFileSync(step.kubectl, ['--kubeconfig', step.kubeconfig, ...args], {
      input,
      encoding: 'utf8',
    });
  console.log(
    `demo: incident response: kubectl apply a ThreatPolicy that bans an address for ${BAN_SECONDS}s after a burst of SQL injections`,
  );
  kubectl(['apply', '-f', '-'], stringify(POLICY));
  const deadline = Date.now() + WAIT_MS;
  while (!/"observedGeneration":\s*1/.test(kubectl(['get', 'threatpolicy', 'demo-sqli', '-o', 'json']))) {
    if (Date.now() > deadline) throw new Error('the ThreatPolicy was not read by the operator');
    await sleep(200);
  }
  const now = Date.now();
  const lines = Array.from({ length: ATTACK_LINES }, (_, i) => sqlInjection(i, now));
  await appendFile(step.accessLog, `${lines.join('\n')}\n`);
  const written = performance.now();
  console.log(`demo: an attacker at ${ATTACKER} sends ${ATTACK_LINES} SQL injections; the gateway logs them`);
  if (!(await waitForEvery(step.gatewayDirs, true)))
    throw new Error(`no ban of ${ATTACKER} reached every gateway within ${WAIT_MS / 1000}s`);
  const banned = performance.now();
  console.log(
    `demo: every gateway (${step.gatewayDirs.length}) denies ${ATTACKER} in ${WAF_IP_LISTS_FILE}, ` +
      `${Math.round(banned - written)} ms after the attack was logged (agent batching, correlation, push, ACK)`,
  );
  console.log(`demo: gateway-worker decisions list\n${indent(cli(['decisions', 'list'], step.databaseUrl))}`);
  console.log(`demo: gateway-worker incidents list\n${indent(cli(['incidents', 'list'], step.databaseUrl))}`);
  console.log(`demo: kubectl get threatpolicy\n${indent(kubectl(['get', 'threatpolicy']).trimEnd())}`);
  if (!(await waitForEvery(step.gatewayDirs, false)))
    throw new Error(`the ban of ${ATTACKER} was not lifted on every gateway within ${WAIT_MS / 1000}s`);
  console.log(
    `demo: the ${BAN_SECONDS}s ban expired and was removed from every gateway, ` +
      `${Math.round((performance.now() - banned) / 1000)} s after it reached them`,
  );
}
