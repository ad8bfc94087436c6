/**
 * The reference agent's log shipper against the worker's ingest and a real PostgreSQL: every
 * line accounted for exactly once through malformed lines, rotation (rename and truncate), a
 * restart, and a worker too slow for the gateway (access drops counted, security kept).
 */
import { appendFile, mkdtemp, rename, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { Registry } from 'prom-client';
import { LogShipper, type LogShipperOptions } from '../../src/agent/log-shipping/log-shipper.js';
import { appendTraffic } from '../../src/agent/simulator.js';
import { TrafficGenerator } from '../../src/agent/traffic-generator.js';
import { LogType } from '../../src/generated/gateway/worker/v1/telemetry.js';
import { createLogger, silentLogger } from '../../src/runtime/logger.js';
import { GatedDatabase } from '../support/gated-database.js';
import { migratedStore, type TestStore } from '../support/job-fixtures.js';
import {
  createTelemetryPki,
  metricValue,
  startIngestServer,
  storedRows,
  type IngestServer,
  type StoredRow,
  type TelemetryPki,
} from '../support/telemetry-fixtures.js';

interface Totals {
  access: number;
  security: number;
  droppedAccess: number;
  droppedSecurity: number;
  malformed: number;
  requestIds: string[];
}

function totals(rows: readonly StoredRow[]): Totals {
  const t: Totals = {
    access: 0,
    security: 0,
    droppedAccess: 0,
    droppedSecurity: 0,
    malformed: 0,
    requestIds: [],
  };
  for (const row of rows) {
    t.droppedAccess += row.droppedAccess;
    t.droppedSecurity += row.droppedSecurity;
    t.malformed += row.malformed;
    for (const entry of row.entries) {
      if (entry.logType === LogType.LOG_TYPE_SECURITY) t.security += 1;
      else {
        t.access += 1;
        t.requestIds.push(entry.requestData?.requestId ?? '');
      }
    }
  }
  return t;
}

async function until(what: string, condition: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(25);
  }
}

describe('telemetry: the agent ships its access log', function () {
  this.timeout(120_000);
  let pki: TelemetryPki;
  let store: TestStore;
  let server: IngestServer;
  let dir: string;
  const shippers: LogShipper[] = [];

  before(async () => {
    pki = await createTelemetryPki();
  });

  beforeEach(async () => {
    store = await migratedStore('agent');
    dir = await mkdtemp(join(tmpdir(), 'agent-logs-'));
  });

  afterEach(async () => {
    await Promise.all(shippers.splice(0).map((s) => s.stop(0)));
    await server.stop();
    await store.db.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function shipper(overrides: Partial<LogShipperOptions> = {}): Promise<LogShipper> {
    const s = new LogShipper({
      path: join(dir, 'access.log'),
      stateDir: join(dir, 'state'),
      gateway: 'gateway-1',
      worker: { address: server.address, tls: await pki.gateway('gateway-1') },
      lingerMs: 20,
      pollMs: 25,
      sync: false,
      logger: silentLogger,
      ...overrides,
    });
    shippers.push(s);
    await s.start();
    return s;
  }

  const traffic = (seed: number, wafRate = 0.02): TrafficGenerator => new TrafficGenerator({ seed, wafRate });

  it('ships every line once, counting and skipping malformed ones', async () => {
    server = await startIngestServer(store.db, store.schema, pki.server);
    const log = join(dir, 'access.log');
    const security = await appendTraffic(log, traffic(1), 1500);
    await appendFile(log, `not json at all\n{"timestamp":\n${'{"x":"'.padEnd(70_000, 'a')}"}\n\n`);
    await appendTraffic(log, traffic(2), 500);
    const registry = new Registry();
    const s = await shipper({ registry, batchRecords: 100 });
    await s.whenIdle();
    const rows = await storedRows(store.db, store.schema);
    const t = totals(rows);
    expect(t.access + t.security).to.equal(2000);
    expect(t.malformed).to.equal(3);
    expect(t.security).to.be.greaterThan(0);
    expect(new Set(t.requestIds).size).to.equal(t.access);
    expect(rows.map((r) => r.sequence)).to.deep.equal(rows.map((_, i) => i + 1));
    expect(security).to.be.greaterThan(0);
    expect(await metricValue(registry, 'gateway_worker_agent_log_malformed_lines_total')).to.equal(3);
  });

  it('follows a rename rotation, with lines written to the old file after the rename', async () => {
    server = await startIngestServer(store.db, store.schema, pki.server);
    const log = join(dir, 'access.log');
    const generator = traffic(3, 0);
    await appendTraffic(log, generator, 500);
    const s = await shipper();
    await s.whenIdle();
    await rename(log, `${log}.1`);
    // The gateway writes on to the renamed file until it reopens its log.
    await appendTraffic(`${log}.1`, generator, 100);
    await sleep(100);
    await appendTraffic(log, generator, 300);
    await until(
      'all 900 lines are stored',
      async () => totals(await storedRows(store.db, store.schema)).access === 900,
    );
    await s.whenIdle();
    const t = totals(await storedRows(store.db, store.schema));
    expect(t.access).to.equal(900);
    expect(new Set(t.requestIds).size).to.equal(900);
  });

  it('follows copytruncate: the file cut to nothing and written again', async () => {
    server = await startIngestServer(store.db, store.schema, pki.server);
    const log = join(dir, 'access.log');
    const generator = traffic(4, 0);
    await appendTraffic(log, generator, 400);
    const s = await shipper();
    await s.whenIdle();
    await truncate(log, 0);
    await appendTraffic(log, generator, 250);
    await until(
      'all 650 lines are stored',
      async () => totals(await storedRows(store.db, store.schema)).access === 650,
    );
    const t = totals(await storedRows(store.db, store.schema));
    expect(new Set(t.requestIds).size).to.equal(650);
  });

  it('resumes after a restart with unacknowledged batches, neither losing nor repeating a line', async () => {
    const gated = new GatedDatabase(store.db);
    server = await startIngestServer(gated, store.schema, pki.server);
    const log = join(dir, 'access.log');
    await appendTraffic(log, traffic(5), 3000);
    const registry = new Registry();
    const first = await shipper({ registry, batchRecords: 200, window: 4 });
    // The worker holds every insert: the agent commits its window of batches, sends them, and
    // stops with all of them unacknowledged (some may be stored once the gate opens).
    await until(
      'the window is full',
      async () => (await metricValue(registry, 'gateway_worker_agent_log_unacknowledged_batches')) === 4,
    );
    await first.stop(0);
    shippers.splice(shippers.indexOf(first), 1);
    gated.open();
    await appendTraffic(log, traffic(6), 1000);
    const second = await shipper({ batchRecords: 200, window: 4 });
    expect(second.stream).to.equal(first.stream);
    await second.whenIdle();
    const rows = await storedRows(store.db, store.schema);
    const t = totals(rows);
    expect(t.access + t.security).to.equal(4000);
    expect(new Set(t.requestIds).size).to.equal(t.access);
    expect(new Set(rows.map((r) => r.sequence)).size).to.equal(rows.length);
  });

  it('drops access records oldest first when the worker is too slow, counting each; no security record is lost', async () => {
    const gated = new GatedDatabase(store.db);
    server = await startIngestServer(gated, store.schema, pki.server);
    const log = join(dir, 'access.log');
    const lines = 6000;
    const generator = traffic(7, 0.05);
    const security = await appendTraffic(log, generator, lines);
    const registry = new Registry();
    await shipper({
      registry,
      batchRecords: 50,
      window: 2,
      accessBuffer: 200,
      securityBuffer: 10_000,
      lingerMs: 0,
    });
    const read = async (): Promise<number> =>
      (await metricValue(registry, 'gateway_worker_agent_log_records_total', { log_type: 'access' })) +
      (await metricValue(registry, 'gateway_worker_agent_log_records_total', { log_type: 'security' }));
    await until('the agent has read the whole log', async () => (await read()) === lines);
    gated.open();
    await shippers[0]!.whenIdle();
    const t = totals(await storedRows(store.db, store.schema));
    expect(t.security).to.equal(security);
    expect(t.droppedSecurity).to.equal(0);
    expect(t.droppedAccess).to.be.greaterThan(0);
    expect(t.access + t.droppedAccess).to.equal(lines - security);
    expect(
      await metricValue(registry, 'gateway_worker_agent_log_dropped_records_total', { log_type: 'access' }),
    ).to.equal(t.droppedAccess);
    expect(
      await metricValue(server.registry, 'gateway_worker_telemetry_agent_dropped_records_total', {
        log_type: 'access',
      }),
    ).to.equal(t.droppedAccess);
    // Oldest first: the newest records, the ones the buffer held when reading ended, all arrived.
    const stored = new Set(t.requestIds);
    const newest = Array.from({ length: 200 }, (_, i) => `req-7-${generator.requestCount - 1 - i}`);
    expect(newest.filter((id) => !stored.has(id))).to.deep.equal([]);
  });

  it('past the security bound, drops security records with an error line and metric, and still counts them', async () => {
    const gated = new GatedDatabase(store.db);
    server = await startIngestServer(gated, store.schema, pki.server);
    const log = join(dir, 'access.log');
    const lines = 600;
    const security = await appendTraffic(log, traffic(8, 1), lines);
    const registry = new Registry();
    const output = new PassThrough();
    let logged = '';
    output.on('data', (chunk: Buffer) => (logged += chunk.toString()));
    await shipper({
      registry,
      batchRecords: 20,
      window: 1,
      accessBuffer: 1000,
      securityBuffer: 30,
      lingerMs: 0,
      logger: createLogger('error', output),
    });
    await until(
      'the agent has read the whole log',
      async () =>
        (await metricValue(registry, 'gateway_worker_agent_log_records_total', { log_type: 'security' })) ===
        security,
    );
    gated.open();
    await shippers[0]!.whenIdle();
    const t = totals(await storedRows(store.db, store.schema));
    expect(t.droppedSecurity).to.be.greaterThan(0);
    expect(t.security + t.droppedSecurity).to.equal(security);
    expect(
      await metricValue(registry, 'gateway_worker_agent_log_dropped_records_total', { log_type: 'security' }),
    ).to.equal(t.droppedSecurity);
    const errors = logged.split('\n').filter((line) => line.includes('security records dropped'));
    expect(errors.length).to.be.greaterThan(0);
    expect(JSON.parse(errors[0]!)).to.include({ level: 'error' });
  });

  it('starts a new stream from the start of the log when its state is lost', async () => {
    server = await startIngestServer(store.db, store.schema, pki.server);
    await writeFile(join(dir, 'access.log'), '');
    await appendTraffic(join(dir, 'access.log'), traffic(9, 0), 100);
    const first = await shipper();
    await first.whenIdle();
    await first.stop(0);
    await rm(join(dir, 'state'), { recursive: true });
    const second = await shipper();
    await second.whenIdle();
    expect(second.stream).to.not.equal(first.stream);
    // Shipped twice, under two streams: the price of losing the state, and why it must persist.
    expect(totals(await storedRows(store.db, store.schema)).access).to.equal(200);
  });
});
