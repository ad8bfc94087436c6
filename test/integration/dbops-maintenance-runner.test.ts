/**
 * Maintenance against a real PostgreSQL on the gateway's schema: a bloated index made on purpose
 * (request_logs filled, nine rows in ten deleted, vacuumed) is found, and in mode Apply rebuilt
 * with REINDEX INDEX CONCURRENTLY so the next run finds nothing; dead tuples and a lock wait are
 * reported; a closed window holds the fixes back.
 */
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import pg from 'pg';
import { connect, type GatewayClient } from '../../src/dbops/connection/client.js';
import { runMaintenance, type MaintenanceOptions } from '../../src/dbops/maintenance/runner.js';
import { runMigrations } from '../../src/dbops/migrations/runner.js';
import { silentLogger } from '../../src/runtime/logger.js';
import { GATEWAY_SCHEMA_FILE } from '../fixtures/gateway-reference/paths.js';
import { createGatewayDatabase, type GatewayDatabase } from '../support/gateway-database.js';
import { fillRequestLogs } from '../support/gateway-data.js';

const thresholds = {
  deadTupleRatio: 0.2,
  minDeadTuples: 1000,
  staleStatisticsRatio: 0.2,
  minModifiedRows: 1000,
  indexBloatRatio: 0.5,
  minIndexBytes: 1024 * 1024,
  unusedIndexMinStatsAgeMs: 7 * 86_400_000,
  longQueryMs: 300_000,
};

describe('maintenance (real PostgreSQL)', function () {
  this.timeout(300_000);
  let db: GatewayDatabase;
  let client: GatewayClient;
  const options = (overrides: Partial<MaintenanceOptions> = {}): MaintenanceOptions => ({
    mode: 'Recommend',
    thresholds,
    window: undefined,
    now: () => new Date(),
    logger: silentLogger,
    ...overrides,
  });
  const indexSize = async (name: string): Promise<number> =>
    Number((await db.query<{ s: string }>('SELECT pg_relation_size($1::regclass)::text AS s', [name]))[0]?.s);

  before(async () => {
    db = await createGatewayDatabase('maint');
    client = await connect(db.params);
    await runMigrations(
      client,
      [
        {
          name: '001_initial_schema.sql',
          content: readFileSync(GATEWAY_SCHEMA_FILE, 'utf8'),
          source: 'test',
        },
      ],
      {
        history: { schema: 'public', table: 'gateway_worker_schema_history' },
        allowOutOfOrder: false,
        appliedBy: 'test',
        lockWaitMs: 10_000,
        logger: silentLogger,
      },
    );
    // The bloat, on purpose: 400k rows indexed, nine in ten deleted; VACUUM frees the entries
    // but a btree keeps its pages.
    await fillRequestLogs(db.query, 400_000);
    await db.query('ANALYZE request_logs');
    await db.query('DELETE FROM request_logs WHERE (substring(request_id from 5))::int % 10 <> 0');
  });
  after(async () => {
    await client.close();
    await db.drop();
  });

  it('reports the dead tuples a mass delete leaves, with VACUUM (ANALYZE) as the fix', async () => {
    const result = await runMaintenance(client, options());
    const dead = result.findings.find((f) => f.kind === 'DeadTuples' && f.object === 'public.request_logs');
    expect(dead?.action).to.equal('VACUUM (ANALYZE) "public"."request_logs"');
    expect(dead?.detail).to.match(/^360000 dead tuples, 90 % of the table$/);
    expect(result.applied).to.equal(0);
  });

  it('finds the bloated index; with a closed window nothing is applied', async () => {
    await db.query('VACUUM (ANALYZE) request_logs');
    const closed = await runMaintenance(
      client,
      options({
        mode: 'Apply',
        // Opens at 03:00 UTC for an hour; the clock says noon.
        window: { schedule: '0 3 * * *', timeZone: 'UTC', durationMs: 3_600_000 },
        now: () => new Date('2024-05-01T12:00:00Z'),
      }),
    );
    const bloated = closed.findings.filter((f) => f.kind === 'BloatedIndex').map((f) => f.object);
    expect(bloated).to.include('public.idx_request_logs_timestamp');
    expect(closed.applied).to.equal(0);
    expect(closed.windowNote).to.equal(
      'the maintenance window is closed; it opens at 2024-05-02T03:00:00.000Z: fixes wait for it',
    );
  });

  it('in mode Apply rebuilds it concurrently: smaller, and the next run finds nothing', async () => {
    const before = await indexSize('idx_request_logs_timestamp');
    const result = await runMaintenance(client, options({ mode: 'Apply' }));
    const fixed = result.findings.find((f) => f.object === 'public.idx_request_logs_timestamp');
    expect(fixed).to.deep.include({
      kind: 'BloatedIndex',
      action: 'REINDEX INDEX CONCURRENTLY "public"."idx_request_logs_timestamp"',
      applied: true,
    });
    const after = await indexSize('idx_request_logs_timestamp');
    expect(after).to.be.lessThan(before / 4);
    const again = await runMaintenance(client, options());
    expect(again.findings.filter((f) => f.kind === 'BloatedIndex')).to.deep.equal([]);
  });

  it('reports a session waiting for a lock, and does nothing about it', async () => {
    const holder = new pg.Client({ connectionString: db.url });
    const waiter = new pg.Client({ connectionString: db.url });
    await holder.connect();
    await waiter.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE gateway_config IN ACCESS EXCLUSIVE MODE');
      const waiting = waiter.query('SELECT count(*) FROM gateway_config').catch(() => undefined);
      let lockWait: string | undefined;
      for (let i = 0; i < 100 && lockWait === undefined; i++) {
        const result = await runMaintenance(client, options());
        lockWait = result.findings.find((f) => f.kind === 'LockWait')?.detail;
      }
      expect(lockWait).to.match(
        /^waiting \d+ s for a lock held by pid \d+: SELECT count\(\*\) FROM gateway_config$/,
      );
      await holder.query('ROLLBACK');
      await waiting;
    } finally {
      await holder.end();
      await waiter.end();
    }
  });
});
