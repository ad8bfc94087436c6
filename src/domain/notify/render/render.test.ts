import { expect } from 'chai';
import { alertOf } from '../event.js';
import type { AlertsMessage, ContentMessage } from '../message.js';
import { titleOf } from '../message.js';
import { alertmanagerPayload, contentPayload } from './alertmanager.js';
import { slackMessage, teamsMessage } from './chat.js';
import { emailContent } from './email.js';
import { pagerDutyEvent } from './pagerduty.js';

const T0 = Date.UTC(2026, 0, 1);
const firing = alertOf(
  {
    type: 'CertificateExpiring',
    labels: { namespace: 'a', name: 'web', secret: 'web-tls' },
    annotations: { summary: 'Certificate a/web expires in 3 days' },
  },
  T0,
);
const resolvedAlert = alertOf(
  {
    type: 'CertificateExpiring',
    labels: { namespace: 'a', name: 'api', secret: 'api-tls' },
    status: 'resolved',
  },
  T0 + 60_000,
  alertOf({ type: 'CertificateExpiring', labels: { namespace: 'a', name: 'api', secret: 'api-tls' } }, T0),
);
const message: AlertsMessage = {
  kind: 'alerts',
  receiver: 'a/hook',
  policy: 'a/p',
  groupKey: 'a/p:{alertname="CertificateExpiring"}',
  groupLabels: { alertname: 'CertificateExpiring', namespace: 'a' },
  firing: [firing],
  resolved: [resolvedAlert],
};

describe('rendering', () => {
  it("writes Alertmanager's v4 webhook payload", () => {
    const payload = alertmanagerPayload(message);
    expect(payload).to.deep.include({
      version: '4',
      status: 'firing',
      receiver: 'a/hook',
      truncatedAlerts: 0,
      groupKey: message.groupKey,
      commonLabels: { alertname: 'CertificateExpiring', namespace: 'a', severity: 'warning' },
    });
    expect(payload.alerts.map((a) => [a.status, a.startsAt, a.endsAt])).to.deep.equal([
      ['firing', '2026-01-01T00:00:00.000Z', '0001-01-01T00:00:00Z'],
      ['resolved', '2026-01-01T00:00:00.000Z', '2026-01-01T00:01:00.000Z'],
    ]);
    expect(payload.alerts[0]).to.have.all.keys(
      'status',
      'labels',
      'annotations',
      'startsAt',
      'endsAt',
      'generatorURL',
      'fingerprint',
    );
  });

  it("titles a message like Alertmanager's default template", () => {
    expect(titleOf(message)).to.equal('[FIRING:1] CertificateExpiring (namespace="a")');
    expect(titleOf({ ...message, firing: [] })).to.equal('[RESOLVED:1] CertificateExpiring (namespace="a")');
  });

  it('triggers and resolves one PagerDuty alert per group', () => {
    const trigger = pagerDutyEvent(message, T0);
    expect(trigger).to.deep.include({ event_action: 'trigger' });
    expect(trigger.payload?.severity).to.equal('warning');
    const resolve = pagerDutyEvent({ ...message, firing: [] }, T0);
    expect(resolve).to.deep.equal({ event_action: 'resolve', dedup_key: trigger.dedup_key });
    expect(trigger.dedup_key).to.have.length(64);
  });

  it('writes a Slack message and a Teams Adaptive Card with the same title', () => {
    expect(slackMessage(message).text.split('\n')[0]).to.equal(titleOf(message));
    const card = JSON.stringify(teamsMessage(message));
    expect(card).to.contain('AdaptiveCard').and.to.contain(titleOf(message).replace(/"/g, '\\"'));
  });

  it('escapes HTML in e-mails and keeps the subject on one line', () => {
    const content: ContentMessage = {
      kind: 'content',
      receiver: 'a/mail',
      title: 'Weekly\r\nreport <b>',
      text: 'a < b',
      labels: {},
      links: [{ title: 'open', url: 'https://reports.example/r?a=1&b=2' }],
      attachments: [],
    };
    const mail = emailContent(content, '[gw] ');
    expect(mail.subject).to.equal('[gw] Weekly report <b>');
    expect(mail.html).to.contain('a &#60; b').and.to.contain('a=1&#38;b=2');
  });

  it('sends reports to webhooks as links, naming attachments without their bytes', () => {
    const payload = contentPayload({
      kind: 'content',
      receiver: 'a/hook',
      title: 'Daily report',
      text: '',
      labels: { report: 'daily' },
      links: [{ title: 'HTML', url: 'https://gw.example/api/v1/reports/daily/1' }],
      attachments: [
        {
          filename: 'r.csv',
          contentType: 'text/csv',
          contentBase64: Buffer.from('a,b\n').toString('base64'),
        },
      ],
    });
    expect(payload.attachments).to.deep.equal([{ filename: 'r.csv', contentType: 'text/csv', size: 4 }]);
    expect(payload.links).to.have.length(1);
  });
});
