/**
 * Report end to end through the whole operator (real API server, PostgreSQL, a directory object
 * store): a Report gets its schedule in the job queue and Ready=Scheduled; a run of its job
 * (enqueued as the scheduler does, through `gateway-worker jobs run`) stores the report, keeps the
 * status's lastReport and reports list, and Ready=ReportStored, and a real webhook receives the
 * links through the notification sender; deleting the Report removes its schedule. A Report that
 * names a PagerDuty channel is Ready=False, UnsupportedChannel, whether the channel existed first
 * or came later, until the channel is taken out of its delivery.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import {
  NotificationChannelResource,
  ReportResource,
  statusOf,
  type Report,
} from '../../src/api/v1alpha1/index.js';
import { main, type Output } from '../../src/cli/main.js';
import { reportScheduleName } from '../../src/reports/report-schedules.js';
import { CoreTypes } from '../../src/runtime/kube/resource.js';
import { ScheduleRepository } from '../../src/storage/jobs/schedule-repository.js';
import { startDbopsOperator, untilCondition, type DbopsOperator } from '../support/dbops-harness.js';
import { eventually, postgresAt } from '../support/job-fixtures.js';
import { NotifyReceiver } from '../support/notify-receiver.js';

const API = 'gateway.awesomeapi.com.br/v1alpha1';

describe('Report through the operator (real API server, PostgreSQL, object store)', function () {
  this.timeout(180_000);
  let op: DbopsOperator;
  let receiver: NotifyReceiver;

  before(async () => {
    receiver = await NotifyReceiver.start({ hmacKey: 'report-hook-key-0123456789' });
    op = await startDbopsOperator('reports-op', { config: { reportLinkBaseUrl: 'https://gw.example.com' } });
    await op.client.create(CoreTypes.secret, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'hook-hmac', namespace: op.namespace },
      stringData: { key: 'report-hook-key-0123456789' },
    });
    await op.client.create(NotificationChannelResource, {
      apiVersion: API,
      kind: 'NotificationChannel',
      metadata: { name: 'ops-webhook', namespace: op.namespace },
      spec: {
        type: 'webhook',
        webhook: { url: receiver.url, hmacSecretRef: { name: 'hook-hmac', key: 'key' } },
      },
    });
  });
  after(async () => {
    await op.stop();
    await receiver.stop();
  });

  const schedules = async () => {
    const db = postgresAt(op.config.databaseUrl ?? '', op.config.databaseSchema, 1);
    try {
      return await new ScheduleRepository(db, op.config.databaseSchema).list();
    } finally {
      await db.close();
    }
  };

  it('schedules a Report, runs its job, stores the report, reports it in status, sends the links to a webhook; deleting it drops the schedule', async () => {
    await op.client.create(ReportResource, {
      apiVersion: API,
      kind: 'Report',
      metadata: { name: 'daily', namespace: op.namespace },
      spec: {
        schedule: '0 7 * * *',
        timeZone: 'UTC',
        window: '24h',
        formats: ['html', 'json'],
        delivery: { channels: [{ name: 'ops-webhook' }] },
      },
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

    // The webhook gets the links (and the attachment's name), signed, through the notification sender.
    const delivered = await eventually(
      () => receiver.received.find((r) => r.body.includes(id)),
      'the report reaches the webhook',
      60_000,
    );
    expect(delivered.signatureValid).to.equal(true);
    const payload = delivered.json() as {
      kind: string;
      links: { url: string }[];
      attachments: { filename: string }[];
    };
    expect(payload.kind).to.equal('content');
    expect(payload.links.map((l) => l.url)).to.deep.equal([
      `https://gw.example.com/api/v1/reports/${op.namespace}/daily/${id}?format=html`,
      `https://gw.example.com/api/v1/reports/${op.namespace}/daily/${id}?format=json`,
    ]);
    expect(payload.attachments.map((a) => a.filename)).to.deep.equal([`report-daily-${id}.html`]);

    await op.client.delete(ReportResource, op.namespace, 'daily');
    await eventually(
      async () => !(await schedules()).some((s) => s.name === name),
      'the schedule of the deleted Report is removed',
    );
  });

  it('says UnsupportedChannel for a PagerDuty channel, also one created after the Report, and Scheduled once it is removed', async () => {
    const pagerDuty = (name: string) =>
      op.client.create(NotificationChannelResource, {
        apiVersion: API,
        kind: 'NotificationChannel',
        metadata: { name, namespace: op.namespace },
        spec: { type: 'pagerduty', pagerduty: { routingKeySecretRef: { name: 'pd', key: 'routing-key' } } },
      });
    await pagerDuty('oncall');
    await op.client.create(ReportResource, {
      apiVersion: API,
      kind: 'Report',
      metadata: { name: 'paged', namespace: op.namespace },
      spec: {
        schedule: '0 7 * * *',
        delivery: { channels: [{ name: 'ops-webhook' }, { name: 'oncall' }] },
      },
    });
    const refused = await untilCondition<Report>(
      op.client,
      ReportResource,
      op.namespace,
      'paged',
      'Ready',
      (c) => c.reason === 'UnsupportedChannel',
    );
    const ready = statusOf(refused)?.conditions?.find((c) => c.type === 'Ready');
    expect(ready?.status).to.equal('False');
    expect(ready?.message).to.match(/"oncall" \(pagerduty\) cannot carry a report/);
    expect(ready?.message).to.match(/name webhook, slack, msteams or email channels/);

    await op.client.mergePatch(ReportResource, op.namespace, 'paged', {
      spec: { delivery: { channels: [{ name: 'ops-webhook' }, { name: 'later' }] } },
    });
    await untilCondition<Report>(op.client, ReportResource, op.namespace, 'paged', 'Ready', (c) => {
      return c.reason === 'Scheduled' && c.status === 'True';
    });
    // The channel appears after the Report that names it: the channel's watch brings the Report back.
    await pagerDuty('later');
    const late = await untilCondition<Report>(
      op.client,
      ReportResource,
      op.namespace,
      'paged',
      'Ready',
      (c) => c.reason === 'UnsupportedChannel',
    );
    expect(statusOf(late)?.conditions?.find((c) => c.type === 'Ready')?.message).to.match(
      /"later" \(pagerduty\)/,
    );
  });
});
