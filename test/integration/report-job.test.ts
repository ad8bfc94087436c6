/**
 * The scheduled report's job against real components: PostgreSQL (telemetry, schedules, the
 * notification outbox), a directory object store; the Report and its status writes are plain
 * values here (the controller's end of them is the API server's).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { Report, ReportStatus } from '../../src/api/v1alpha1/index.js';
import { RouteMatcher } from '../../src/domain/telemetry/route-matcher.js';
import { StoreOutbox } from '../../src/notify/outbox.js';
import { ReportArchive } from '../../src/reports/report-archive.js';
import { REPORT_JOB_KIND, runReportJob, type ReportJobDeps } from '../../src/reports/report-job.js';
import { reportScheduleName, syncReportSchedule } from '../../src/reports/report-schedules.js';
import { FakeClock } from '../../src/runtime/clock.js';
import { silentLogger } from '../../src/runtime/logger.js';
import { identifier } from '../../src/storage/database.js';
import { PermanentJobError, type JobContext } from '../../src/storage/jobs/job-kind.js';
import { ScheduleRepository } from '../../src/storage/jobs/schedule-repository.js';
import { DirectoryObjectStore } from '../../src/storage/object-store-directory.js';
import { TelemetryProcessor } from '../../src/telemetry/processor.js';
import { migratedStore, type TestStore } from '../support/job-fixtures.js';
import { accessEntry, insertBatch } from '../support/stored-batches.js';

const HOUR = 3_600_000;
const D0 = Date.UTC(2026, 3, 6);

function report(spec: Partial<Report['spec']> = {}): Report {
  return {
    apiVersion: 'gateway.awesomeapi.com.br/v1alpha1',
    kind: 'Report',
    metadata: { namespace: 'shop', name: 'daily', generation: 3 },
    spec: {
      schedule: '0 7 * * *',
      timeZone: 'UTC',
      window: '24h',
      sections: ['traffic', 'capacity'],
      formats: ['html', 'json'],
      keep: 2,
      delivery: { channels: [{ name: 'team-email' }, { name: 'ops-webhook' }] },
      ...spec,
    },
  } as Report;
}

function job(target: string): JobContext {
  return {
    id: '1',
    kind: REPORT_JOB_KIND,
    target,
    payload: {},
    attempt: 1,
    signal: new AbortController().signal,
    logger: silentLogger,
  };
}

describe('scheduled reports: job, archive and schedule (real PostgreSQL, directory object store)', function () {
  this.timeout(60_000);
  let test: TestStore;
  let dir: string;
  let clock: FakeClock;
  let statuses: ReportStatus[];
  let current: Report | undefined;

  beforeEach(async () => {
    test = await migratedStore('reportjob');
    dir = mkdtempSync(join(tmpdir(), 'gw-reports-'));
    clock = new FakeClock(D0 + 7 * HOUR);
    statuses = [];
    current = report();
    await insertBatch(test.db, test.schema, {
      gatewayId: 'gw-a',
      sequence: 1,
      receivedAt: new Date(D0 + 3 * HOUR),
      entries: Array.from({ length: 9 }, (_, i) =>
        accessEntry('gw-a', { timeMs: D0 + 3 * HOUR + i * 1000, host: 'shop.example.com', uri: '/' }),
      ),
    });
    await new TelemetryProcessor({
      store: test.store,
      schema: test.schema,
      logger: silentLogger,
      clock,
      routes: () =>
        new RouteMatcher([
          {
            key: 'shop/web',
            payload: {
              hostnames: ['shop.example.com'],
              routes: [
                {
                  name: 'site',
                  match: { path: { type: 'prefix', value: '/' } },
                  backends: [],
                  load_balancer: 'round_robin',
                  timeout: '30s',
                  retries: 0,
                },
              ],
            },
          },
        ]),
    }).processOnce(test.db);
  });
  afterEach(async () => {
    await test.db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function deps(overrides: Partial<ReportJobDeps> = {}): ReportJobDeps {
    const objectStore = new DirectoryObjectStore(dir, clock);
    return {
      store: { database: test.db, status: 'ready' },
      schema: test.schema,
      objectStore: () => objectStore,
      outbox: () =>
        new StoreOutbox({ store: { database: test.db, status: 'ready' }, schema: test.schema, clock }),
      getReport: () => Promise.resolve(current),
      writeStatus: (_r, status) => {
        statuses.push(status);
        return Promise.resolve();
      },
      linkBaseUrl: 'https://gw.example.com/',
      clock,
      ...overrides,
    };
  }

  it('stores the formats, writes lastReport and Ready, and queues one message per channel with the HTML and links', async () => {
    await runReportJob(deps(), job('Report/shop/daily'));
    const archive = new ReportArchive(new DirectoryObjectStore(dir, clock));
    const stored = await archive.list('shop', 'daily');
    expect(stored.map((r) => [r.id, r.formats])).to.deep.equal([['20260406T070000Z', ['html', 'json']]]);
    const json = JSON.parse(
      (await archive.read('shop', 'daily', '20260406T070000Z', 'json'))?.toString('utf8') ?? '{}',
    ) as { traffic: { requests: number }; namespace: string };
    expect(json.traffic.requests).to.equal(9);
    expect(json.namespace).to.equal('shop');

    const status = statuses.at(-1);
    expect(status).to.include({
      observedGeneration: 3,
      lastReport: '20260406T070000Z',
      lastReportTime: '2026-04-06T07:00:00Z',
    });
    expect(status?.reports?.[0]?.sizeBytes).to.equal(stored[0]?.sizeBytes);
    expect(status?.conditions?.find((c) => c.type === 'Ready')).to.include({
      status: 'True',
      reason: 'ReportStored',
    });

    const deliveries = await test.db.query<{ channel: string; message: Record<string, unknown> }>(
      `SELECT channel, message FROM ${identifier(test.schema)}.notify_deliveries ORDER BY id`,
    );
    expect(deliveries.rows.map((r) => r.channel)).to.deep.equal(['shop/team-email', 'shop/ops-webhook']);
    const message = deliveries.rows[0]?.message as {
      links: { url: string }[];
      attachments: { filename: string; contentType: string; contentBase64: string }[];
    };
    expect(message.links.map((l) => l.url)).to.deep.equal([
      'https://gw.example.com/api/v1/reports/shop/daily/20260406T070000Z?format=html',
      'https://gw.example.com/api/v1/reports/shop/daily/20260406T070000Z?format=json',
    ]);
    expect(message.attachments[0]?.filename).to.equal('report-daily-20260406T070000Z.html');
    expect(Buffer.from(message.attachments[0]?.contentBase64 ?? '', 'base64').toString('utf8')).to.match(
      /^<!DOCTYPE html>/,
    );
  });

  it('skips a PagerDuty channel: the report is stored and queued to the others, Ready=False UnsupportedChannel names it', async () => {
    current = report({
      delivery: { channels: [{ name: 'team-email' }, { name: 'oncall' }, { name: 'ops-webhook' }] },
    });
    const types: Record<string, 'email' | 'pagerduty' | 'webhook'> = {
      'team-email': 'email',
      oncall: 'pagerduty',
      'ops-webhook': 'webhook',
    };
    await runReportJob(
      deps({ channelType: (_namespace, name) => Promise.resolve(types[name]) }),
      job('Report/shop/daily'),
    );
    const deliveries = await test.db.query<{ channel: string }>(
      `SELECT channel FROM ${identifier(test.schema)}.notify_deliveries ORDER BY id`,
    );
    expect(deliveries.rows.map((r) => r.channel)).to.deep.equal(['shop/team-email', 'shop/ops-webhook']);
    const status = statuses.at(-1);
    expect(status?.lastReport).to.equal('20260406T070000Z');
    const ready = status?.conditions?.find((c) => c.type === 'Ready');
    expect(ready).to.include({ status: 'False', reason: 'UnsupportedChannel' });
    expect(ready?.message).to.match(
      /^spec\.delivery\.channels: "oncall" \(pagerduty\) cannot carry a report/,
    );
  });

  it('tries a channel whose type cannot be read (the sender decides), rather than failing after storing', async () => {
    await runReportJob(
      deps({ channelType: () => Promise.reject(new Error('the API server is unreachable')) }),
      job('Report/shop/daily'),
    );
    const deliveries = await test.db.query<{ channel: string }>(
      `SELECT channel FROM ${identifier(test.schema)}.notify_deliveries ORDER BY id`,
    );
    expect(deliveries.rows.map((r) => r.channel)).to.deep.equal(['shop/team-email', 'shop/ops-webhook']);
    expect(statuses.at(-1)?.conditions?.find((c) => c.type === 'Ready')).to.include({
      status: 'True',
      reason: 'ReportStored',
    });
  });

  it('keeps the last `keep` reports and deletes the older ones', async () => {
    for (let i = 0; i < 4; i++) {
      await runReportJob(deps(), job('Report/shop/daily'));
      clock.advance(24 * HOUR);
    }
    const stored = await new ReportArchive(new DirectoryObjectStore(dir, clock)).list('shop', 'daily');
    expect(stored.map((r) => r.id)).to.deep.equal(['20260409T070000Z', '20260408T070000Z']);
    expect(statuses.at(-1)?.reports?.map((r) => r.id)).to.deep.equal([
      '20260409T070000Z',
      '20260408T070000Z',
    ]);
  });

  it('says ObjectStoreMissing in Ready and fails the attempt (retried) without an object store', async () => {
    let error: unknown;
    try {
      await runReportJob(deps({ objectStore: () => undefined }), job('Report/shop/daily'));
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(Error).and.not.instanceOf(PermanentJobError);
    expect(statuses.at(-1)?.conditions?.find((c) => c.type === 'Ready')).to.include({
      status: 'False',
      reason: 'ObjectStoreMissing',
    });
  });

  it('removes the schedule of a Report that is gone, generating nothing, and refuses a malformed target', async () => {
    await syncReportSchedule(
      test.db,
      test.schema,
      { namespace: 'shop', name: 'daily' },
      { cron: '0 7 * * *', timeZone: 'UTC' },
      new Date(D0),
    );
    current = undefined;
    await runReportJob(deps(), job('Report/shop/daily'));
    expect(statuses).to.deep.equal([]);
    const left = await new ScheduleRepository(test.db, test.schema).list();
    expect(left.filter((s) => s.owner === 'Report/shop/daily')).to.deep.equal([]);
    expect(await new ReportArchive(new DirectoryObjectStore(dir, clock)).list('shop', 'daily')).to.deep.equal(
      [],
    );
    let error: unknown;
    try {
      await runReportJob(deps(), job('DatabaseBackup/shop/daily'));
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(PermanentJobError);
  });

  it('keeps a schedule per Report: unchanged keeps its next run, a change replans it, none removes it', async () => {
    const ref = { namespace: 'shop', name: 'daily' };
    const first = await syncReportSchedule(
      test.db,
      test.schema,
      ref,
      { cron: '0 7 * * *', timeZone: 'UTC' },
      new Date(D0),
    );
    expect(first?.toISOString()).to.equal('2026-04-06T07:00:00.000Z');
    const again = await syncReportSchedule(
      test.db,
      test.schema,
      ref,
      { cron: '0 7 * * *', timeZone: 'UTC' },
      new Date(D0 + 8 * HOUR),
    );
    expect(again?.toISOString()).to.equal('2026-04-06T07:00:00.000Z');
    const changed = await syncReportSchedule(
      test.db,
      test.schema,
      ref,
      { cron: '0 7 * * *', timeZone: 'America/Sao_Paulo' },
      new Date(D0),
    );
    expect(changed?.toISOString()).to.equal('2026-04-06T10:00:00.000Z');
    const schedules = new ScheduleRepository(test.db, test.schema);
    expect((await schedules.list()).find((s) => s.name === reportScheduleName('shop', 'daily'))).to.include({
      kind: REPORT_JOB_KIND,
      target: 'Report/shop/daily',
      owner: 'Report/shop/daily',
    });
    await syncReportSchedule(test.db, test.schema, ref, undefined, new Date(D0));
    expect((await schedules.list()).filter((s) => s.owner === 'Report/shop/daily')).to.deep.equal([]);
  });
});
