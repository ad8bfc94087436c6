/**
 * The ingest under a slow database and on the embedded store: a stream reads no further than
 * its window of unacknowledged batches, and concurrent gateways' batches all land in PGlite
 * through group commit.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { LogBatch } from '../../src/generated/gateway/worker/v1/telemetry.js';
import type { WorkerServiceClient } from '../../src/generated/gateway/worker/v1/worker.js';
import { silentLogger } from '../../src/runtime/logger.js';
import { EmbeddedDatabase } from '../../src/storage/embedded-database.js';
import { migrate } from '../../src/storage/migrate.js';
import { GatedDatabase } from '../support/gated-database.js';
import { migratedStore } from '../support/job-fixtures.js';
import {
  accessEntry,
  batch,
  createTelemetryPki,
  metricValue,
  ship,
  startIngestServer,
  storedRows,
  workerClient,
  type TelemetryPki,
} from '../support/telemetry-fixtures.js';

describe('telemetry ingest: flow control and the embedded store', function () {
  this.timeout(120_000);
  let pki: TelemetryPki;
  const clients: WorkerServiceClient[] = [];

  before(async () => {
    pki = await createTelemetryPki();
  });

  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });

  it('reads no more than the window of unacknowledged batches while the database is slow', async () => {
    const store = await migratedStore('ingest_flow');
    const gated = new GatedDatabase(store.db);
    const server = await startIngestServer(gated, store.schema, pki.server, { streamWindow: 3 });
    try {
      const client = workerClient(server.address, await pki.gateway('gateway-1'));
      clients.push(client);
      const batches = Array.from({ length: 20 }, (_, i) => batch({ sequence: i + 1 }));
      const size = LogBatch.encode(batches[0]!).finish().length;
      const shipped = ship(client, batches);
      const received = async (): Promise<number> =>
        (await metricValue(server.registry, 'gateway_worker_telemetry_received_bytes_total')) / size;
      while ((await received()) < 3) await sleep(20);
      // Time for more to arrive, were the stream not paused.
      await sleep(500);
      expect(await received()).to.equal(3);
      gated.open();
      const result = await shipped;
      expect(result.error).to.equal(undefined);
      expect(result.acks).to.have.length(20);
      expect(await storedRows(store.db, store.schema)).to.have.length(20);
    } finally {
      await server.stop();
      await store.db.close();
    }
  });

  it('stores concurrent gateways on the embedded store (PGlite)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ingest-embedded-'));
    const schema = 'gateway_worker';
    const db = await EmbeddedDatabase.open({
      kind: 'embedded',
      dataDir: dir,
      statementTimeoutMs: 30_000,
      schema,
      description: dir,
    });
    try {
      await migrate(db, { schema, logger: silentLogger });
      const server = await startIngestServer(db, schema, pki.server);
      try {
        const results = await Promise.all(
          ['gateway-1', 'gateway-2', 'gateway-3'].map(async (name) => {
            const client = workerClient(server.address, await pki.gateway(name));
            clients.push(client);
            const batches = Array.from({ length: 40 }, (_, i) =>
              batch({ sequence: i + 1, entries: [accessEntry(), accessEntry()] }),
            );
            return ship(client, batches);
          }),
        );
        expect(results.map((r) => [r.error, r.acks.length])).to.deep.equal([
          [undefined, 40],
          [undefined, 40],
          [undefined, 40],
        ]);
        const rows = await storedRows(db, schema);
        expect(rows).to.have.length(120);
        expect(rows.reduce((sum, r) => sum + r.entryCount, 0)).to.equal(240);
      } finally {
        await server.stop();
      }
    } finally {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
