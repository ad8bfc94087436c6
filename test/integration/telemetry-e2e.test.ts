/**
 * Loss accounting end to end: `gateway-worker operator` and two `gateway-worker agent`s as real
 * processes, a real API server and PostgreSQL. The agents tail access logs the traffic generator
 * writes; the operator is SIGKILLed and restarted while they ship, then an agent is; every line
 * written must be stored exactly once.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { appendTraffic } from '../../src/agent/simulator.js';
import { TrafficGenerator } from '../../src/agent/traffic-generator.js';
import { freePort } from '../../src/envtest/ports.js';
import { LogType } from '../../src/generated/gateway/worker/v1/telemetry.js';
import { issueCertificate } from '../../src/pki/x509.js';
import { ensureCa } from '../../src/push/mtls-ca.js';
import { systemClock } from '../../src/runtime/clock.js';
import { KubeClient } from '../../src/runtime/kube/client.js';
import { CoreTypes } from '../../src/runtime/kube/resource.js';
import type { Database } from '../../src/storage/database.js';
import { AgentProcess } from '../support/agent-process.js';
import { agentTlsFromOperator } from '../support/gateway-pods.js';
import { postgresAt } from '../support/job-fixtures.js';
import { OperatorProcess } from '../support/operator-process.js';
import { sharedCluster, uniqueName } from '../support/shared-cluster.js';
import { sharedDatabaseUrl, uniqueSchema } from '../support/shared-postgres.js';
import { storedRows } from '../support/telemetry-fixtures.js';

async function until(what: string, condition: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(200);
  }
}

interface GatewayTotals {
  records: number;
  distinct: number;
  dropped: number;
  malformed: number;
}

async function totalsByGateway(db: Database, schema: string): Promise<Map<string, GatewayTotals>> {
  const byGateway = new Map<string, GatewayTotals & { ids: Set<string> }>();
  for (const row of await storedRows(db, schema)) {
    const t = byGateway.get(row.gatewayId) ?? {
      records: 0,
      distinct: 0,
      dropped: 0,
      malformed: 0,
      ids: new Set(),
    };
    t.dropped += row.droppedAccess + row.droppedSecurity;
    t.malformed += row.malformed;
    for (const entry of row.entries) {
      t.records += 1;
      const security = entry.logType === LogType.LOG_TYPE_SECURITY;
      t.ids.add(
        security
          ? `security:${entry.securityData?.requestId ?? ''}`
          : `access:${entry.requestData?.requestId ?? ''}`,
      );
    }
    t.distinct = t.ids.size;
    byGateway.set(row.gatewayId, t);
  }
  return new Map([...byGateway].map(([id, { ids: _ids, ...t }]) => [id, t]));
}

describe('telemetry end to end: operator and agents killed and restarted', function () {
  this.timeout(600_000);
  const processes: (OperatorProcess | AgentProcess)[] = [];
  let dir: string;
  let db: Database | undefined;

  afterEach(async () => {
    for (const p of processes.splice(0)) {
      p.kill('SIGKILL');
      await p.exited;
    }
    await db?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('stores exactly the N records written, none twice, through an operator SIGKILL and an agent SIGKILL', async () => {
    dir = await mkdtemp(join(tmpdir(), 'telemetry-e2e-'));
    const cluster = await sharedCluster();
    const namespace = uniqueName('telemetry');
    const admin = new KubeClient(cluster.kubeConfig);
    await admin.create(CoreTypes.namespace, { metadata: { name: namespace } });
    const schema = uniqueSchema('telemetry_e2e');
    const grpcPort = await freePort();
    const env = {
      LEADER_ELECTION: 'false',
      POD_NAMESPACE: namespace,
      WATCH_NAMESPACES: namespace,
      GRPC_PORT: String(grpcPort),
      DATABASE_SCHEMA: schema,
      LOG_LEVEL: 'info',
    };
    const startOperator = async (): Promise<OperatorProcess> => {
      const operator = await OperatorProcess.start(cluster.kubeconfigPath, env);
      processes.push(operator);
      await until(
        'the operator is ready',
        async () => (await operator.get('/ready')).status === 200,
        120_000,
      ).catch((error: unknown) => {
        throw new Error(`${String(error)}; /ready and the operator's output:\n${operator.output.slice(-4000)}`);
      });
      return operator;
    };
    const operator = await startOperator();
    db = postgresAt(await sharedDatabaseUrl(), schema, 2);

    // The agents serve with the fleet's certificate and ship with one naming their gateway.
    const ca = await ensureCa(admin, namespace, systemClock);
    const shared = await agentTlsFromOperator(admin, namespace);
    admin.close();
    await writeFile(join(dir, 'ca.crt'), shared.caPem);
    await writeFile(join(dir, 'agent.crt'), shared.certPem);
    await writeFile(join(dir, 'agent.key'), shared.keyPem);
    const names = ['gateway-e2e-0', 'gateway-e2e-1'];
    const agentArgs = new Map<string, string[]>();
    for (const name of names) {
      const leaf = await issueCertificate(ca, {
        commonName: name,
        usage: 'client',
        notBefore: new Date(Date.now() - 60_000),
        notAfter: new Date(Date.now() + 3_600_000),
      });
      await writeFile(join(dir, `${name}.crt`), leaf.certPem);
      await writeFile(join(dir, `${name}.key`), leaf.keyPem);
      agentArgs.set(name, [
        ...['--dir', join(dir, name), '--listen', '127.0.0.1:0', '--http-port', '0', '--name', name],
        ...[
          '--tls-ca',
          join(dir, 'ca.crt'),
          '--tls-cert',
          join(dir, 'agent.crt'),
          '--tls-key',
          join(dir, 'agent.key'),
        ],
        ...['--worker', `127.0.0.1:${grpcPort}`, '--access-log', join(dir, `${name}.log`)],
        ...['--log-tls-cert', join(dir, `${name}.crt`), '--log-tls-key', join(dir, `${name}.key`)],
        ...['--log-batch-records', '250', '--log-linger', '50ms'],
      ]);
    }
    const startAgent = (name: string): AgentProcess => {
      const agent = AgentProcess.start(agentArgs.get(name) ?? []);
      processes.push(agent);
      return agent;
    };
    const agents = names.map(startAgent);
    const generators = names.map((_, i) => new TrafficGenerator({ seed: 100 + i, wafRate: 0.02 }));
    const written = [0, 0];
    const write = async (lines: number): Promise<void> => {
      await Promise.all(
        names.map(async (name, i) => {
          await appendTraffic(join(dir, `${name}.log`), generators[i]!, lines);
          written[i] = (written[i] ?? 0) + lines;
        }),
      );
    };
    const stored = async (name: string): Promise<number> =>
      (await totalsByGateway(db!, schema)).get(name)?.records ?? 0;

    await write(8000);
    await until('some batches are stored', async () => (await stored(names[0]!)) > 0, 120_000);
    operator.kill('SIGKILL');
    await operator.exited;
    await write(4000);
    await startOperator();

    const before = await stored(names[0]!);
    await until(
      'the restarted operator stores more',
      async () => (await stored(names[0]!)) > before,
      120_000,
    );
    await agents[0]!.crash();
    await write(4000);
    startAgent(names[0]!);

    await until(
      'every line written is stored',
      async () => {
        const totals = await totalsByGateway(db!, schema);
        return names.every((name, i) => (totals.get(name)?.records ?? 0) >= (written[i] ?? 0));
      },
      300_000,
    );
    const totals = await totalsByGateway(db, schema);
    for (const [i, name] of names.entries()) {
      expect(totals.get(name), name).to.deep.equal({
        records: written[i],
        distinct: written[i],
        dropped: 0,
        malformed: 0,
      });
    }
  });
});
