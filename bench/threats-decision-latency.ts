/**
 * Event → decision applied on the last agent, for `npm run bench threats`: the tipping security
 * event goes into the correlation engine; the overflow is decided by the decision service (its
 * transaction on PostgreSQL, the incident), the bans in force are published through the deny
 * lists to the Pusher, and the clock stops when every agent (the simulator, mTLS, in this
 * process) has ACKed the new `decisions` shard. Each sample is a new attacker, so every sample
 * is a real change of the pushed list.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulatedGateways } from '../src/agent/simulator.js';
import { CorrelationEngine } from '../src/domain/threats/correlation.js';
import { activeBans } from '../src/domain/threats/decisions.js';
import { shardRanges } from '../src/domain/threats/deny-shards.js';
import { EMPTY_RANGES } from '../src/domain/threats/ip-ranges.js';
import { compilePolicy } from '../src/domain/threats/policy.js';
import type { CorrelationEvent } from '../src/domain/threats/scenario.js';
import { contentVersion } from '../src/domain/snapshot/snapshot.js';
import { Pusher } from '../src/push/pusher.js';
import { systemClock } from '../src/runtime/clock.js';
import { silentLogger } from '../src/runtime/logger.js';
import { createMetricsRegistry } from '../src/runtime/metrics.js';
import { migrate } from '../src/storage/migrate.js';
import { DecisionService, DECISIONS_SOURCE } from '../src/threats/decision-service.js';
import { DenyLists } from '../src/threats/deny-lists.js';
import { IncidentHub } from '../src/threats/incident-hub.js';
import { agentPki } from '../test/support/agent-fixtures.js';
import { postgresAt } from '../test/support/job-fixtures.js';
import { sharedDatabaseUrl, uniqueSchema } from '../test/support/shared-postgres.js';
import { PushEvents } from './push-latency.js';

const CAPACITY = 20;

function event(ip: string, i: number): CorrelationEvent {
  return {
    timeMs: Date.now() + i,
    gatewayId: `gateway-${i % 3}`,
    logType: 'security',
    clientIp: ip,
    threatType: 'sql_injection',
    ruleId: 'sqli-1',
    action: 'blocked',
    statusCode: 403,
    path: '/login',
    host: 'api.example.com',
    route: 'default/api/login',
    asn: 'AS64500',
  };
}

/** Milliseconds per sample, for `count` agents. */
export async function decisionLatencies(count: number, samples: number): Promise<number[]> {
  const pki = await agentPki();
  const dirRoot = mkdtempSync(join(tmpdir(), 'threats-bench-'));
  const schema = uniqueSchema('threat_bench');
  const db = postgresAt(await sharedDatabaseUrl(), schema, 4);
  await migrate(db, { schema, logger: silentLogger });
  const sim = await startSimulatedGateways({ count, tls: pki.agent, dirRoot, port: 0 });
  const events = new PushEvents();
  const pusher = new Pusher({
    tls: pki.worker,
    logger: silentLogger,
    registry: createMetricsRegistry(),
    onStatusChange: events.onStatusChange,
  });
  const denyLists = new DenyLists({
    publisher: () => pusher,
    allowlist: () => EMPTY_RANGES,
    logger: silentLogger,
  });
  const service = new DecisionService({
    db,
    schema,
    denyLists,
    owner: 'ThreatPolicy:decisions',
    incidents: new IncidentHub(silentLogger),
    clock: systemClock,
    logger: silentLogger,
    resyncMs: 3_600_000,
  });
  const engine = new CorrelationEngine(
    compilePolicy('bench/policy', {
      mode: 'Enforce',
      scenarios: [
        {
          name: 'sqli',
          groupBy: { key: 'ip' },
          bucket: { capacity: CAPACITY, leakSpeed: '10s' },
          response: { type: 'ban', duration: '1h', scope: 'ip' },
        },
      ],
    }),
  );
  const everyAgentHolds = (names: ReadonlyMap<string, string>) => () => {
    const connections = pusher.gateways();
    return (
      connections.length === count &&
      connections.every((c) => {
        const applied = c.outcome('ip-deny')?.applied;
        return [...names].every(([name, version]) => applied?.get(name) === version);
      })
    );
  };
  try {
    await pusher.start();
    pusher.setGateways(sim.gateways.map((g) => ({ name: g.name, address: g.address, labels: {} })));
    await service.start();
    const latencies: number[] = [];
    for (let s = 0; s < samples + 3; s += 1) {
      const ip = `45.${20 + Math.floor(s / 250)}.${count % 250}.${(s % 250) + 1}`;
      engine.ingest(Array.from({ length: CAPACITY }, (_, i) => event(ip, i)));
      const start = performance.now();
      const [overflow] = engine.ingest([event(ip, CAPACITY)]);
      if (!overflow) throw new Error('the tipping event did not overflow');
      await service.handle('bench/policy', overflow);
      const ranges = (await service.decisions.list(Date.now())).map((d) => d.value);
      const shards = shardRanges(
        DECISIONS_SOURCE,
        activeBans(await service.decisions.list(Date.now()), Date.now()),
      );
      const expected = new Map(shards.map((sh) => [sh.name, contentVersion(sh.payload)]));
      if (ranges.length === 0) throw new Error('no decision stored');
      await events.until(`${count} agents hold the new decision`, everyAgentHolds(expected), 60_000);
      // The first samples connect and warm up: not measured.
      if (s >= 3) latencies.push(performance.now() - start);
    }
    return latencies;
  } finally {
    service.stop();
    await pusher.stop();
    await sim.stop();
    await db.query(`DROP SCHEMA "${schema}" CASCADE`).catch(() => undefined);
    await db.close();
    rmSync(dirRoot, { recursive: true, force: true });
  }
}
