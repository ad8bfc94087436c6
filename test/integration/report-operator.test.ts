/**
 * Report end to end through the whole operator (real API server, PostgreSQL, a directory object
 * store): a Report gets its schedule in the job queue and Ready=Scheduled; a run of its job
 * (enqueued as the scheduler does, through `gateway-worker jobs run`) stores the report, keeps the
 * status's lastReport and reports list, and Ready=ReportStored; deleting the Report removes its
 * schedule.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { ReportResource, statusOf, type Report } from '../../src/api/v1alpha1/index.js';
import { main, type Output } from '../../src/cli/main.js';
import { reportScheduleName } from '../../src/reports/report-schedules.js';
import { ScheduleRepository } from '../../src/storage/jobs/schedule-repository.js';
import { startDbopsOperator, untilCondition, type DbopsOperator } from '../support/dbops-harness.js';
import { eventually, postgresAt } from '../support/job-fixtures.js';

const API = 'gateway.awesomeapi.com.br/v1alpha1';

describe('Report through the operator (real API server, PostgreSQL, object store)', function () {
  this.timeout(180_000);
  let op: DbopsOperator;

  before(async () => {
    op = await startDbopsOperator('reports-op');
  });
  after(async () => {
    await op.stop();
  });

  const schedules = async () => {
    const db = postgresAt(op.config.databaseUrl ?? '', op.config.databaseSchema, 1);
    try {
      return await new ScheduleRepository(db, op.config.databaseSchema).list();
    } finally {
      await db.close();
    }
  };

  it('schedules a Report, runs its job, stores the report and reports it in status; deleting it drops the schedule', async () => {
    await op.client.create(ReportResource, {
      apiVersion: API,
      kind: 'Report',
      metadata: { name: 'daily', namespace: op.namespace },
      spec: { schedule: '0 7 * * *', timeZone: 'UTC', window: '24h', formats: ['html', 'json'] },
    });
    const scheduled = await untilCondition<Report>(
      op.client,
      ReportResource,
      op.namespace,
      'daily',
      'Ready',
      (c) => c.reason === 'Scheduled',
    );
    expect(statusOf(scheduled)?.observedGeneration).to.equal(1);
    const name = reportScheduleName(op.namespace, 'daily');
    const schedule = (await schedules()).find((s) => s.name === name);
    expect(schedule).to.include({
      cron: '0 7 * * *',
      kind: 'reports.generate',
      target: `Report/${op.namespace}/daily`,
    });

    const text = { stdout: '', stderr: '' };
    const out: Output = { stdout: (t) => (text.stdout += t), stderr: (t) => (text.stderr += t) };
    const code = await main(
      ['jobs', 'run', 'reports.generate', '--target', `Report/${op.namespace}/daily`],
      { DATABASE_URL: op.config.databaseUrl, DATABASE_SCHEMA: op.config.databaseSchema },
      out,
    );
    expect(code, text.stderr).to.equal(0);
    const done = await untilCondition<Report>(
      op.client,
      ReportResource,
      op.namespace,
      'daily',
      'Ready',
      (c) => c.reason === 'ReportStored' && c.status === 'True',
    );
    const status = statusOf(done);
    const id = status?.lastReport ?? '';
    expect(id).to.match(/^[0-9]{8}T[0-9]{6}Z$/);
    expect(status?.reports?.[0]).to.deep.include({ id, formats: ['html', 'json'] });
    for (const format of ['html', 'json'])
      expect(existsSync(join(op.archive, 'reports', op.namespace, 'daily', id, `report.${format}`))).to.equal(
        true,
      );

    await op.client.delete(ReportResource, op.namespace, 'daily');
    await eventually(
      async () => !(await schedules()).some((s) => s.name === name),
      'the schedule of the deleted Report is removed',
    );
  });
});
