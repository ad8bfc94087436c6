/**
 * `gateway-worker report` against a real PostgreSQL: telemetry processed by the real processor
 * comes out on stdout as JSON and CSV with the numbers the queries answer; bad flags exit 2.
 */
import { expect } from 'chai';
import { main, type Output } from '../../src/cli/main.js';
import { RouteMatcher } from '../../src/domain/telemetry/route-matcher.js';
import { FakeClock } from '../../src/runtime/clock.js';
import { silentLogger } from '../../src/runtime/logger.js';
import { TelemetryProcessor } from '../../src/telemetry/processor.js';
import { migratedStore, type TestStore } from '../support/job-fixtures.js';
import { sharedDatabaseUrl } from '../support/shared-postgres.js';
import { accessEntry, insertBatch } from '../support/stored-batches.js';

const HOUR = 3_600_000;

async function cli(args: string[], env: NodeJS.ProcessEnv) {
  const text = { stdout: '', stderr: '' };
  const out: Output = { stdout: (t) => (text.stdout += t), stderr: (t) => (text.stderr += t) };
  const code = await main(['report', ...args], env, out);
  return { code, ...text };
}

describe('gateway-worker report (real PostgreSQL)', function () {
  this.timeout(60_000);
  let test: TestStore;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    test = await migratedStore('reportcli');
    env = { DATABASE_URL: await sharedDatabaseUrl(), DATABASE_SCHEMA: test.schema };
    // Two hours before the current hour: inside the 24h window, which ends at the hour's start.
    const now = Date.now();
    const at = now - (now % HOUR) - 2 * HOUR;
    await insertBatch(test.db, test.schema, {
      gatewayId: 'gw-a',
      sequence: 1,
      receivedAt: new Date(at),
      entries: Array.from({ length: 12 }, (_, i) =>
        accessEntry('gw-a', { timeMs: at + i * 1000, uri: `/p${i % 2}`, statusCode: i < 3 ? 500 : 200 }),
      ),
    });
    await new TelemetryProcessor({
      store: test.store,
      schema: test.schema,
      logger: silentLogger,
      clock: new FakeClock(now),
      routes: () => new RouteMatcher([]),
    }).processOnce(test.db);
  });
  after(async () => {
    await test.db.close();
  });

  it('prints the report as JSON with the stored totals', async () => {
    const { code, stdout, stderr } = await cli(['--since', '24h', '--format', 'json'], env);
    expect(stderr).to.equal('');
    expect(code).to.equal(0);
    const report = JSON.parse(stdout) as {
      version: number;
      window: string;
      traffic: { requests: number; errors: number; errorRatePercent: number };
      sections: string[];
    };
    expect(report.version).to.equal(1);
    expect(report.window).to.equal('24h');
    expect(report.traffic).to.include({ requests: 12, errors: 3, errorRatePercent: 25 });
    expect(report.sections).to.include.members(['traffic', 'capacity']);
  });

  it('prints CSV: one block per table, each named, separated by an empty line', async () => {
    const { code, stdout } = await cli(['--format', 'csv', '--sections', 'traffic,top'], env);
    expect(code).to.equal(0);
    const blocks = stdout.trimEnd().split('\r\n\r\n');
    expect(blocks.map((b) => b.split('\r\n')[0])).to.deep.equal([
      '# report',
      '# traffic/traffic_summary',
      '# traffic/traffic_series',
      '# top/top_hosts',
      '# top/top_routes',
      '# top/top_paths',
      '# top/status_classes',
    ]);
    expect(blocks[1]?.split('\r\n').slice(1)).to.deep.equal([
      'requests,errors,error_rate_percent,bytes_in,bytes_out,average_rps',
      '12,3,25,1200,12000,0',
    ]);
  });

  it('prints a self-contained HTML page for a namespace', async () => {
    const { code, stdout } = await cli(['--format', 'html', '--namespace', 'shop'], env);
    expect(code).to.equal(0);
    expect(stdout).to.match(/^<!DOCTYPE html>/);
    expect(stdout).to.include('namespace shop');
    // No route of that namespace served these requests.
    expect(stdout).to.include('id="total-requests" data-value="0"');
  });

  for (const [args, problem] of [
    [['--since', '1h'], '--since 1h: must be one of 24h, 7d, 30d'],
    [['--format', 'pdf'], '--format pdf: must be one of html, json, csv'],
    [['--sections', 'traffic,nope'], '--sections: unknown nope'],
    [['--namespace', 'Bad_NS'], 'not a namespace name'],
    [['extra'], 'takes no arguments'],
  ] as const) {
    it(`exits 2 for ${args.join(' ')}`, async () => {
      const { code, stderr } = await cli([...args], env);
      expect(code).to.equal(2);
      expect(stderr).to.include(problem);
    });
  }
});
