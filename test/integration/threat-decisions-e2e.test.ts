/**
 * Scenarios → decisions end to end: `gateway-worker operator` as a real process, a real API server
 * and PostgreSQL, three reference agents that ship their logs to it and receive its pushes. The
 * agents' logs are written as a gateway writes them (security lines in the traffic generator's
 * format); what counts is what lands in every agent's waf-ip-lists.yaml and in storage. The
 * attackers are public addresses: the documentation ranges (203.0.113.0/24, ...) are reserved
 * space, which is never decided.
 */
import { appendFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { parse } from 'yaml';
import {
  API_VERSION,
  ThreatAllowlistResource,
  ThreatPolicyResource,
  statusOf,
  type ThreatAllowlist,
  type ThreatPolicy,
} from '../../src/api/v1alpha1/index.js';
import { startSimulatedGateways, type SimulatedGateways } from '../../src/agent/simulator.js';
import { WAF_IP_LISTS_FILE } from '../../src/agent/waf-rules.js';
import { freePort } from '../../src/envtest/ports.js';
import { issueCertificate } from '../../src/pki/x509.js';
import { ensureCa } from '../../src/push/mtls-ca.js';
import { systemClock } from '../../src/runtime/clock.js';
import { KubeClient } from '../../src/runtime/kube/client.js';
import { CoreTypes } from '../../src/runtime/kube/resource.js';
import type { Database } from '../../src/storage/database.js';
import { DecisionRepository } from '../../src/storage/threats/decision-repository.js';
import { IncidentRepository } from '../../src/storage/threats/incident-repository.js';
import { agentTlsFromOperator, createGatewayPods } from '../support/gateway-pods.js';
import { postgresAt } from '../support/job-fixtures.js';
import { OperatorProcess } from '../support/operator-process.js';
import { sharedCluster, uniqueName } from '../support/shared-cluster.js';
import { sharedDatabaseUrl, uniqueSchema } from '../support/shared-postgres.js';

async function until(what: string, condition: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(200);
  }
}

/** A security line as the gateway logs it (docs/telemetry.md, "Formats"). */
function securityLine(
  i: number,
  fields: { ip: string; threat: string; path?: string; action?: string; timeMs?: number },
): string {
  return JSON.stringify({
    timestamp: new Date(fields.timeMs ?? Date.now() + i).toISOString(),
    level: 'warn',
    log_type: 'security',
    rule_id: `rule-${fields.threat}`,
    rule_description: fields.threat,
    threat_type: fields.threat,
    severity: 'high',
    action_taken: fields.action ?? 'blocked',
    client_ip: fields.ip,
    payload: "' OR 1=1 --",
    host: 'api.example.com',
    uri: fields.path ?? '/login',
    method: 'POST',
    status_code: 403,
    request_id: `req-${fields.ip}-${fields.threat}-${i}-${Math.random().toString(36).slice(2)}`,
  });
}

async function deniedOn(dir: string): Promise<string[]> {
  const text = await readFile(join(dir, WAF_IP_LISTS_FILE), 'utf8').catch(() => '');
  const file = (parse(text) ?? {}) as { ip_blacklist?: string[] };
  return file.ip_blacklist ?? [];
}

describe('threat decisions end to end (operator process, real agents, PostgreSQL)', function () {
  this.timeout(600_000);
  let dir: string;
  let db: Database;
  let admin: KubeClient;
  const cleanups: (() => Promise<void> | void)[] = [];
  let operator: OperatorProcess;
  let sim: SimulatedGateways;
  let namespace: string;
  let schema: string;
  let startOperator: () => Promise<OperatorProcess>;
  const operators: OperatorProcess[] = [];

  /** Writes lines to the gateways' logs, round robin. */
  async function attack(lines: readonly string[]): Promise<void> {
    const byGateway = sim.gateways.map(() => [] as string[]);
    lines.forEach((line, i) => byGateway[i % byGateway.length]?.push(line));
    await Promise.all(
      sim.gateways.map((g, i) => appendFile(g.accessLog, `${(byGateway[i] ?? []).join('\n')}\n`)),
    );
  }

  async function everyAgentDenies(cidr: string): Promise<boolean> {
    const lists = await Promise.all(sim.gateways.map((g) => deniedOn(g.dir)));
    return lists.every((list) => list.includes(cidr));
  }

  async function noAgentDenies(cidr: string): Promise<boolean> {
    const lists = await Promise.all(sim.gateways.map((g) => deniedOn(g.dir)));
    return lists.every((list) => !list.includes(cidr));
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'threat-e2e-'));
    const cluster = await sharedCluster();
    namespace = uniqueName('threats');
    admin = new KubeClient(cluster.kubeConfig);
    cleanups.push(() => admin.close());
    await admin.create(CoreTypes.namespace, { metadata: { name: namespace } });
    schema = uniqueSchema('threat_e2e');
    const [grpcPort, agentPort] = [await freePort(), await freePort()];
    const env = {
      LEADER_ELECTION: 'false',
      POD_NAMESPACE: namespace,
      WATCH_NAMESPACES: namespace,
      GRPC_PORT: String(grpcPort),
      GATEWAY_AGENT_PORT: String(agentPort),
      DATABASE_SCHEMA: schema,
      TELEMETRY_POLL_SECONDS: '1',
      LOG_LEVEL: 'info',
    };
    startOperator = async () => {
      const started = await OperatorProcess.start(cluster.kubeconfigPath, env);
      operators.push(started);
      await until('the operator is ready', async () => (await started.get('/ready')).status === 200).catch(
        async (error: unknown) => {
          throw new Error(
            `${String(error)}; /ready: ${(await started.get('/ready')).body}; output:\n${started.output.slice(-3000)}`,
          );
        },
      );
      return started;
    };
    operator = await startOperator();
    db = postgresAt(await sharedDatabaseUrl(), schema, 2);
    cleanups.push(() => db.close());

    const ca = await ensureCa(admin, namespace, systemClock);
    const tls = await agentTlsFromOperator(admin, namespace);
    const clientTls = async (name: string) => {
      const leaf = await issueCertificate(ca, {
        commonName: name,
        usage: 'client',
        notBefore: new Date(Date.now() - 60_000),
        notAfter: new Date(Date.now() + 3_600_000),
      });
      return { caPem: tls.caPem, certPem: leaf.certPem, keyPem: leaf.keyPem };
    };
    sim = await startSimulatedGateways({
      count: 3,
      tls,
      dirRoot: dir,
      port: agentPort,
      worker: {
        address: `127.0.0.1:${grpcPort}`,
        tls: await clientTls('gateway-worker-client'),
        intervalMs: 1000,
      },
      logShipping: { tls: clientTls, options: { batchRecords: 50, lingerMs: 50 } },
    });
    cleanups.push(() => sim.stop());
    await createGatewayPods(admin, namespace, sim.gateways);

    await admin.create(ThreatAllowlistResource, {
      apiVersion: API_VERSION,
      kind: 'ThreatAllowlist',
      metadata: { namespace, name: 'partners' },
      spec: { cidrs: ['45.10.40.77'] },
    });
    const scenario = (name: string, threat: string, extra: Record<string, unknown>) => ({
      name,
      filter: { threatTypes: [threat] },
      ...extra,
    });
    await admin.create(ThreatPolicyResource, {
      apiVersion: API_VERSION,
      kind: 'ThreatPolicy',
      metadata: { namespace, name: 'enforce' },
      spec: {
        scenarios: [
          scenario('sqli', 'sql_injection', {
            bucket: { capacity: 30, leakSpeed: '1s' },
            response: { duration: '1h' },
          }),
          scenario('scan', 'path_traversal', {
            groupBy: { key: 'range' },
            bucket: { capacity: 9, leakSpeed: '1m' },
            distinct: 'path',
            response: { duration: '1h', scope: 'range' },
          }),
          scenario('short', 'scanner', {
            bucket: { capacity: 4, leakSpeed: '1s' },
            response: { duration: '4s', escalation: { maxDuration: '30s', window: '1h' } },
          }),
        ],
      },
    });
    await admin.create(ThreatPolicyResource, {
      apiVersion: API_VERSION,
      kind: 'ThreatPolicy',
      metadata: { namespace, name: 'dry' },
      spec: {
        mode: 'DryRun',
        scenarios: [scenario('xss', 'xss', { bucket: { capacity: 4, leakSpeed: '1s' } })],
      },
    });
    // The allowlist and policies are in the operator's caches once their status is written.
    await until('the policies and the allowlist are read', async () => {
      const policies = await admin.list<ThreatPolicy>(ThreatPolicyResource, namespace);
      const lists = await admin.list<ThreatAllowlist>(ThreatAllowlistResource, namespace);
      return (
        policies.items.length === 2 &&
        policies.items.every((p) => statusOf(p)?.observedGeneration === 1) &&
        (lists.items[0] ? statusOf(lists.items[0])?.entries : undefined) === 1
      );
    });
  });

  after(async () => {
    for (const p of operators) {
      p.kill('SIGKILL');
      await p.exited;
    }
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    // An agent's last file write can still be landing as it stops: retry a removal that races it.
    await rm(dir, { recursive: true, force: true, maxRetries: 5 });
  });

  it('bans on every gateway an address that sent 50 SQL injections spread over 3 gateways within 10 s', async () => {
    const start = Date.now();
    await attack(
      Array.from({ length: 50 }, (_, i) =>
        securityLine(i, { ip: '45.10.20.50', threat: 'sql_injection', timeMs: start + i * 200 }),
      ),
    );
    await until('every agent denies 45.10.20.50', () => everyAgentDenies('45.10.20.50'));
    const decision = await new DecisionRepository(db, schema).get('ip', '45.10.20.50');
    expect(decision?.scenario).to.equal(`${namespace}/enforce/sqli`);
    expect(decision?.type).to.equal('ban');
  });

  it('decides the /24 of a slow scan spread over its addresses', async () => {
    const start = Date.now();
    await attack(
      Array.from({ length: 12 }, (_, i) =>
        securityLine(i, {
          ip: `45.10.30.${10 + i}`,
          threat: 'path_traversal',
          path: `/files/${i}`,
          timeMs: start + i * 5_000,
        }),
      ),
    );
    await until('every agent denies 45.10.30.0/24', () => everyAgentDenies('45.10.30.0/24'));
    expect((await new DecisionRepository(db, schema).get('range', '45.10.30.0/24'))?.scope).to.equal('range');
  });

  it('never decides an allowlisted address, however hard it hammers', async () => {
    const start = Date.now();
    await attack(
      Array.from({ length: 200 }, (_, i) =>
        securityLine(i, { ip: '45.10.40.77', threat: 'sql_injection', timeMs: start + i * 10 }),
      ),
    );
    const incidents = new IncidentRepository(db, schema);
    await until('the overflow is recorded', async () =>
      (await incidents.list()).some((i) => i.source === '45.10.40.77'),
    );
    const incident = (await incidents.list()).find((i) => i.source === '45.10.40.77');
    expect(incident?.decisions.map((d) => d.outcome)).to.include('allowlisted');
    expect(await new DecisionRepository(db, schema).get('ip', '45.10.40.77')).to.equal(undefined);
    expect(await noAgentDenies('45.10.40.77')).to.equal(true);
  });

  it('in DryRun records the incident and what it would have decided, and pushes nothing', async () => {
    const start = Date.now();
    await attack(
      Array.from({ length: 10 }, (_, i) =>
        securityLine(i, { ip: '45.10.50.90', threat: 'xss', timeMs: start + i }),
      ),
    );
    const incidents = new IncidentRepository(db, schema);
    await until(
      'the DryRun incident is recorded',
      async () => (await incidents.list({ policy: `${namespace}/dry` })).length > 0,
    );
    const [incident] = await incidents.list({ policy: `${namespace}/dry` });
    expect(incident?.mode).to.equal('DryRun');
    expect(incident?.decisions[0]?.outcome).to.equal('dry-run');
    expect(await new DecisionRepository(db, schema).get('ip', '45.10.50.90')).to.equal(undefined);
    expect(await noAgentDenies('45.10.50.90')).to.equal(true);
  });

  it('removes an expired decision from every gateway, and doubles the next one for the same offender', async () => {
    const decisions = new DecisionRepository(db, schema);
    const burst = async () => {
      const start = Date.now();
      await attack(
        Array.from({ length: 6 }, (_, i) =>
          securityLine(i, { ip: '45.10.60.66', threat: 'scanner', timeMs: start + i }),
        ),
      );
    };
    await burst();
    await until('every agent denies 45.10.60.66', () => everyAgentDenies('45.10.60.66'));
    const first = await decisions.get('ip', '45.10.60.66');
    expect(first && first.untilMs - first.updatedAtMs).to.equal(4000);
    await until('no agent denies 45.10.60.66 once it expired', () => noAgentDenies('45.10.60.66'));
    await burst();
    await until(
      'the repeat offence is decided',
      async () => (await decisions.get('ip', '45.10.60.66'))?.offences === 2,
    );
    const second = await decisions.get('ip', '45.10.60.66');
    expect(second && second.untilMs - second.updatedAtMs).to.equal(8000);
  });

  it('keeps the decisions in force on every gateway through an operator restart', async () => {
    const bans = ['45.10.20.50', '45.10.30.0/24'];
    // Sampled all through the restart: a new leader that pushed its deny lists before it read the
    // decisions from storage would lift the bans everywhere for that moment.
    const lifted: string[] = [];
    const restarted = new AbortController();
    const sampler = (async () => {
      while (!restarted.signal.aborted) {
        for (const [i, g] of sim.gateways.entries()) {
          const denied = await deniedOn(g.dir);
          for (const ban of bans) if (!denied.includes(ban)) lifted.push(`${ban} on gateway ${i}`);
        }
        await sleep(25);
      }
    })();
    operator.kill('SIGKILL');
    await operator.exited;
    operator = await startOperator();
    await until('the restarted operator publishes the decisions', async () => {
      const ranges = await operator.metric('gateway_worker_ip_deny_ranges{source="decisions"}');
      return ranges !== undefined && ranges >= 2;
    });
    await until(
      'the restarted operator is connected to every gateway',
      async () => (await operator.metric('gateway_worker_connected_gateways')) === sim.gateways.length,
    );
    // What it pushes on connecting has landed well within this.
    await sleep(2000);
    restarted.abort();
    await sampler;
    expect(lifted, 'bans missing from a gateway during the restart').to.deep.equal([]);
  });
});
