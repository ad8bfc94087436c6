/**
 * The operator with its store: jobs enqueued from the CLI run in the operator, and a database
 * that is down holds back only readiness and jobs — certificates, WAF and routes go on.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { findAsset } from '../../src/envtest/assets.js';
import { WafRuleSetResource, statusOf, type WafRuleSet } from '../../src/api/v1alpha1/index.js';
import { main, type Output } from '../../src/cli/main.js';
import { findCondition } from '../../src/runtime/status/conditions.js';
import { startOperatorHarness, type OperatorHarness } from '../support/operator-harness.js';
import { eventually } from '../support/widgets.js';
import { postgresAt } from '../support/job-fixtures.js';
import { testDatabaseConfig } from '../support/shared-postgres.js';

function quiet(): Output & { out: string } {
  const output = { out: '', stdout: (t: string) => void (output.out += t), stderr: () => undefined };
  return output;
}

async function ready(h: OperatorHarness): Promise<{ status: number; body: string }> {
  const response = await fetch(`http://127.0.0.1:${h.operator.httpPort ?? 0}/ready`);
  return { status: response.status, body: await response.text() };
}

describe('operator and its store (real API server, PostgreSQL)', function () {
  this.timeout(120_000);

  it('runs a job enqueued with `gateway-worker jobs run`, records its schedules and counts it in /metrics', async () => {
    const database = await testDatabaseConfig('opjobs');
    const env = { DATABASE_URL: database.databaseUrl, DATABASE_SCHEMA: database.databaseSchema };
    const h = await startOperatorHarness('store-up', { gateways: 1, config: database });
    const db = postgresAt(database.databaseUrl!, database.databaseSchema);
    try {
      await eventually(async () => (await ready(h)).status === 200, 30_000, '/ready');
      const queued = quiet();
      expect(await main(['jobs', 'run', 'jobs.prune'], env, queued)).to.equal(0);
      const id = /^job (\S+) queued/.exec(queued.out)?.[1] ?? '';
      await eventually(
        async () => {
          const shown = quiet();
          await main(['jobs', 'show', id, '-o', 'json'], env, shown);
          return (JSON.parse(shown.out) as { state: string }).state === 'succeeded';
        },
        30_000,
        'the operator to run the job',
      );
      const metrics = await (await fetch(`http://127.0.0.1:${h.operator.httpPort ?? 0}/metrics`)).text();
      expect(metrics).to.include('gateway_worker_jobs_total{kind="jobs.prune",outcome="succeeded"} 1');
      expect(metrics).to.match(/^gateway_worker_job_duration_seconds_count\{kind="jobs.prune"\} 1$/m);
      expect(metrics).to.match(/^# TYPE gateway_worker_jobs_queued gauge$/m);
      const lint = execFileSync(findAsset('promtool'), ['check', 'metrics'], {
        input: metrics,
        encoding: 'utf8',
      });
      expect(lint.trim()).to.equal('');
      await eventually(
        async () => {
          const rows = await db.query(`SELECT name FROM "${database.databaseSchema}".schedules`);
          return rows.rows.some((row) => (row as { name: string }).name === 'jobs-prune-hourly');
        },
        30_000,
        'the leader to record the declared schedule',
      );
    } finally {
      await db.close();
      await h.stop();
    }
  });

  it('runs on the embedded store when no DATABASE_URL is set', async function () {
    this.timeout(240_000);
    const dir = mkdtempSync(join(tmpdir(), 'gateway-worker-operator-embedded-'));
    const h = await startOperatorHarness('store-embedded', {
      gateways: 1,
      config: { databaseUrl: undefined, embeddedDataDir: dir },
    });
    try {
      // Creating the PGlite data directory takes a while on a busy machine; the operator is live meanwhile.
      await eventually(async () => (await ready(h)).status === 200, 180_000, '/ready on the embedded store');
      expect(existsSync(join(dir, 'pgdata', 'PG_VERSION'))).to.equal(true);
      expect(existsSync(join(dir, 'gateway-worker.lock'))).to.equal(true);
      await eventually(
        async () =>
          (await (await fetch(`http://127.0.0.1:${h.operator.httpPort ?? 0}/metrics`)).text()).includes(
            'gateway_worker_jobs_queued{kind="jobs.prune"} 0',
          ),
        30_000,
        'the runner to read the queue from the embedded store',
      );
    } finally {
      await h.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps reconciling WafRuleSets while the database is unreachable, and /ready says why', async () => {
    const h = await startOperatorHarness('store-down', {
      gateways: 1,
      config: { databaseUrl: 'postgres://gw:s3cret@127.0.0.1:1/gateway' },
    });
    try {
      await h.client.create<WafRuleSet>(WafRuleSetResource, {
        apiVersion: 'gateway.awesomeapi.com.br/v1alpha1',
        kind: 'WafRuleSet',
        metadata: { namespace: h.namespace, name: 'edge' },
        spec: {
          rules: [
            {
              id: 'traversal',
              conditions: [{ field: 'uri', operator: 'regex', value: '\\.\\./' }],
              action: { type: 'block', message: 'traversal' },
            },
          ],
        },
      } as unknown as WafRuleSet);
      await eventually(
        async () => {
          const rs = await h.client.get<WafRuleSet>(WafRuleSetResource, h.namespace, 'edge');
          return findCondition(statusOf(rs)?.conditions, 'Ready')?.status === 'True';
        },
        60_000,
        'the WafRuleSet to be Ready without a database',
      );
      const { status, body } = await ready(h);
      expect(status).to.equal(503);
      expect(body).to.match(
        /^not ready\n- database: cannot use postgres:\/\/gw:\*\*\*@127\.0\.0\.1:1\/gateway: connect ECONNREFUSED 127\.0\.0\.1:1; retrying in \d+ s\n$/,
      );
      expect(body).not.to.include('s3cret');
    } finally {
      await h.stop();
    }
  });
});
