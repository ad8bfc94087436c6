/**
 * Exactly once across a crash: a processor in another process is SIGKILLed inside its
 * transaction, after it wrote the rollups, the security events and processed_at but before the
 * commit; a new processor then counts every record exactly once.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { RouteMatcher } from '../../src/domain/telemetry/route-matcher.js';
import { silentLogger } from '../../src/runtime/logger.js';
import { identifier } from '../../src/storage/database.js';
import { TelemetryProcessor } from '../../src/telemetry/processor.js';
import { eventually, migratedStore, type TestStore } from '../support/job-fixtures.js';
import { sharedDatabaseUrl } from '../support/shared-postgres.js';
import { accessEntry, insertBatch, securityEntry } from '../support/stored-batches.js';

const CHILD = fileURLToPath(new URL('../support/telemetry-processor-child.ts', import.meta.url));
const T0 = Date.now() - 10 * 60_000;

describe('telemetry processing is exactly once across a crash (real PostgreSQL, SIGKILL)', function () {
  this.timeout(90_000);
  let test: TestStore;
  let dir: string;

  beforeEach(async () => {
    test = await migratedStore('crash');
    dir = mkdtempSync(join(tmpdir(), 'gw-crash-'));
  });
  afterEach(async () => {
    await test.db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const stopAt of [1, 2]) {
    it(`killed before committing batch group ${stopAt}: every record counted once afterwards`, async () => {
      const s = identifier(test.schema);
      const batches = 9;
      const perBatch = 50;
      for (let sequence = 1; sequence <= batches; sequence++) {
        const entries = Array.from({ length: perBatch }, (_, i) =>
          accessEntry('gw-a', { timeMs: T0 + sequence * 1000 + i, uri: `/p${i % 5}` }),
        );
        entries.push(securityEntry('gw-a', { timeMs: T0 + sequence * 1000 }));
        await insertBatch(test.db, test.schema, {
          gatewayId: 'gw-a',
          sequence,
          receivedAt: new Date(T0),
          entries,
        });
      }
      const marker = join(dir, 'marker');
      const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
        env: {
          ...process.env,
          DATABASE_URL: await sharedDatabaseUrl(),
          SCHEMA: test.schema,
          MARKER_FILE: marker,
          STOP_AT: String(stopAt),
        },
        stdio: ['ignore', 'inherit', 'inherit'],
      });
      const exited = new Promise((resolve) => child.on('exit', resolve));
      try {
        await eventually(() => existsSync(marker), 'the child to reach its commit', 60_000);
        expect(readFileSync(marker, 'utf8')).to.equal(String(stopAt));
        child.kill('SIGKILL');
        await exited;
      } finally {
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      const processedBefore = await test.db.query<{ n: string }>(
        `SELECT count(*) AS n FROM ${s}.telemetry_batches WHERE processed_at IS NOT NULL`,
      );
      // Groups of 3 batches: the groups before the killed one were committed.
      expect(Number(processedBefore.rows[0]?.n)).to.equal(3 * (stopAt - 1));

      const processor = new TelemetryProcessor({
        store: test.store,
        schema: test.schema,
        logger: silentLogger,
        routes: () => new RouteMatcher([]),
      });
      // The killed session's locks go when PostgreSQL notices the closed connection.
      await eventually(
        async () => (await processor.processOnce(test.db)).batches > 0 || undefined,
        'the batches to be free',
        30_000,
      );
      while ((await processor.processOnce(test.db)).batches > 0);
      const totals = await test.db.query<{ requests: string }>(
        `SELECT sum(requests) AS requests FROM ${s}.traffic_minute`,
      );
      expect(Number(totals.rows[0]?.requests)).to.equal(batches * perBatch);
      const events = await test.db.query<{ n: string }>(`SELECT count(*) AS n FROM ${s}.security_events`);
      expect(Number(events.rows[0]?.n)).to.equal(batches);
      const top = await test.db.query<{ total: number }>(
        `SELECT (summary->>'total')::int AS total FROM ${s}.top_minute WHERE dimension = 'path'`,
      );
      expect(top.rows.reduce((sum, r) => sum + r.total, 0)).to.equal(batches * perBatch);
      const unprocessed = await test.db.query<{ n: string }>(
        `SELECT count(*) AS n FROM ${s}.telemetry_batches WHERE processed_at IS NULL`,
      );
      expect(Number(unprocessed.rows[0]?.n)).to.equal(0);
    });
  }
});
