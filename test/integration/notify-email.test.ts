/**
 * E-mail notifications to a real SMTP server: Mailpit requiring STARTTLS (a certificate from a
 * throwaway CA, trusted through the channel's caBundle) and a login from the channel's Secret.
 * The test reads what arrived through Mailpit's API: a grouped alert mail, then its "resolved"
 * mail, and a report-style message with an attachment queued through the outbox.
 */
import { expect } from 'chai';
import { StoreOutbox } from '../../src/notify/outbox.js';
import { Mailpit } from '../support/mailpit.js';
import { channel, counterValue, policy, startPipeline, type Pipeline } from '../support/notify-fixtures.js';

const S = 1000;

describe('notifications to a real SMTP server (Mailpit)', function () {
  this.timeout(90_000);
  let mailpit: Mailpit;
  let pipeline: Pipeline;

  before(async () => {
    mailpit = await Mailpit.start();
  });
  after(async () => {
    await mailpit.stop();
  });
  afterEach(async () => {
    await pipeline.close();
    await mailpit.deleteAll();
  });

  async function setUp(password: string): Promise<void> {
    pipeline = await startPipeline({
      channels: [
        channel('mail', {
          type: 'email',
          email: {
            host: '127.0.0.1',
            port: mailpit.smtpPort,
            tls: 'StartTLS',
            caBundle: Buffer.from(mailpit.caPem).toString('base64'),
            authSecretRef: { name: 'smtp' },
            from: 'gateway-worker@example.com',
            to: ['ops@example.com', 'oncall@example.com'],
            subjectPrefix: '[gateway] ',
          },
          retry: { maxAttempts: 2, initialBackoff: '10s', maxBackoff: '1m' },
        }),
      ],
      policies: [
        policy('gateways', {
          channels: [{ name: 'mail' }],
          eventTypes: ['GatewayGone'],
          groupBy: ['alertname'],
          groupWait: '30s',
          groupInterval: '5m',
          repeatInterval: '4h',
        }),
      ],
      secrets: { smtp: { username: mailpit.username, password } },
    });
  }

  function gone(pod: string, status?: 'resolved') {
    return {
      type: 'GatewayGone' as const,
      labels: { gateway: 'edge', namespace: 'gateways', pod },
      annotations: { summary: `Gateway gateways/${pod} has not been seen for 5 minutes` },
      ...(status ? { status } : {}),
    };
  }

  it('delivers a grouped alert and its resolution over STARTTLS with a login', async () => {
    await setUp(mailpit.password);
    const { notifier, clock } = pipeline;
    notifier.emit(gone('gw-0'));
    notifier.emit(gone('gw-1'));
    await pipeline.step();
    clock.advance(30 * S);
    await pipeline.step();

    const [summary] = await mailpit.waitForMessages(1);
    expect(summary?.Subject).to.match(/^\[gateway\] /);
    expect(summary?.Subject).to.contain('GatewayGone');
    expect(summary?.From.Address).to.equal('gateway-worker@example.com');
    expect(summary?.To.map((t) => t.Address).sort()).to.deep.equal(['oncall@example.com', 'ops@example.com']);
    const mail = await mailpit.message(summary?.ID ?? '');
    expect(mail.Text).to.contain('gw-0');
    expect(mail.Text).to.contain('gw-1');
    expect(mail.HTML).to.contain('gw-1');

    notifier.emit(gone('gw-0', 'resolved'));
    notifier.emit(gone('gw-1', 'resolved'));
    await pipeline.step();
    clock.advance(5 * 60 * S);
    await pipeline.step();
    const messages = await mailpit.waitForMessages(2);
    expect(messages[0]?.Subject).to.match(/RESOLVED/i);
    const counts = { channel: 'ops/mail', type: 'email' };
    expect(await counterValue(pipeline.registry, 'gateway_worker_notifications_sent_total', counts)).to.equal(
      2,
    );
  });

  it('sends outbox content with an attachment (how reports are delivered)', async () => {
    await setUp(mailpit.password);
    const outbox = new StoreOutbox({
      store: pipeline.test.store,
      schema: pipeline.test.schema,
      clock: pipeline.clock,
    });
    const html = '<html><body><h1>Weekly report</h1></body></html>';
    await outbox.send(
      { namespace: 'ops', name: 'mail' },
      {
        title: 'Weekly traffic report',
        text: 'The report is attached.',
        labels: { report: 'weekly' },
        links: [{ title: 'Open', url: 'https://gw.example/api/v1/reports/weekly/12' }],
        attachments: [
          {
            filename: 'report.html',
            contentType: 'text/html',
            contentBase64: Buffer.from(html).toString('base64'),
          },
        ],
      },
    );
    await pipeline.step();
    const [summary] = await mailpit.waitForMessages(1);
    expect(summary?.Subject).to.contain('Weekly traffic report');
    expect(summary?.Attachments).to.equal(1);
    const mail = await mailpit.message(summary?.ID ?? '');
    expect(mail.Text).to.contain('The report is attached.');
    expect(mail.Attachments.map((a) => a.FileName)).to.deep.equal(['report.html']);
  });

  it('gives up on a refused login at once (SMTP 535 is final) and keeps the dead letter', async () => {
    await setUp('wrong-password');
    pipeline.notifier.emit(gone('gw-0'));
    await pipeline.step();
    pipeline.clock.advance(30 * S);
    await pipeline.step();
    const dead = await pipeline.repository.deadLetters('ops/mail', 10);
    expect(dead).to.have.length(1);
    expect(dead[0]?.attempts).to.equal(1);
    expect(dead[0]?.lastError).to.match(/authSecretRef/);
    expect(dead[0]?.lastError).not.to.contain('wrong-password');
    expect(await mailpit.messages()).to.have.length(0);
  });
});
