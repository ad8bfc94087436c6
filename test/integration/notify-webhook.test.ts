/**
 * Notifications through the whole pipeline (notifier → alert store → dispatcher's groups → outbox
 * → sender) to a real local HTTP receiver that checks the HMAC signature, on the run's PostgreSQL,
 * with time on a FakeClock: grouping (groupWait, groupInterval, repeatInterval), the "resolved"
 * message, 429 with Retry-After honoured, exponential back-off, the dead letter and the
 * per-channel metrics and counts.
 */
import { expect } from 'chai';
import type { AlertmanagerPayload } from '../../src/domain/notify/render/alertmanager.js';
import { NotifyReceiver } from '../support/notify-receiver.js';
import { channel, counterValue, policy, startPipeline, type Pipeline } from '../support/notify-fixtures.js';

const HMAC_KEY = 'receiver-hmac-key-0123456789';
const S = 1000;
const M = 60 * S;

function expiring(name: string, status?: 'resolved') {
  return {
    type: 'CertificateExpiring' as const,
    labels: { namespace: 'shop', name, secret: `${name}-tls` },
    annotations: { summary: `Certificate shop/${name} expires in 3 days` },
    ...(status ? { status } : {}),
  };
}

describe('notifications to a real HTTP receiver', function () {
  this.timeout(60_000);
  let receiver: NotifyReceiver;
  let pipeline: Pipeline;
  const cleanups: (() => Promise<void>)[] = [];

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function setUp(options: { maxAttempts?: number; repeatInterval?: string } = {}): Promise<void> {
    receiver = await NotifyReceiver.start({ hmacKey: HMAC_KEY });
    cleanups.push(() => receiver.stop());
    pipeline = await startPipeline({
      channels: [
        channel('hook', {
          type: 'webhook',
          webhook: { url: receiver.url, hmacSecretRef: { name: 'hook-hmac', key: 'key' } },
          retry: { maxAttempts: options.maxAttempts ?? 8, initialBackoff: '10s', maxBackoff: '1m' },
        }),
      ],
      policies: [
        policy('certs', {
          channels: [{ name: 'hook' }],
          eventTypes: ['CertificateExpiring'],
          groupBy: ['alertname', 'namespace'],
          groupWait: '30s',
          groupInterval: '5m',
          repeatInterval: options.repeatInterval ?? '4h',
          sendResolved: true,
        }),
      ],
      secrets: { 'hook-hmac': { key: HMAC_KEY } },
    });
    cleanups.push(() => pipeline.close());
  }

  const payloads = () => receiver.received.map((r) => r.json() as AlertmanagerPayload);
  const metric = (name: string) =>
    counterValue(pipeline.registry, name, { channel: 'ops/hook', type: 'webhook' });

  it('groups, signs, honours 429 Retry-After, then sends changes, resolutions and repeats on schedule', async () => {
    await setUp();
    receiver.answer({ status: 429, headers: { 'retry-after': '120' } }, { status: 200 });
    const { notifier, clock } = pipeline;

    notifier.emit(expiring('web'));
    notifier.emit(expiring('api'));
    await pipeline.step();
    // groupWait: nothing leaves before 30 s, so both alerts go out together.
    clock.advance(29 * S);
    await pipeline.step();
    expect(receiver.received).to.have.length(0);
    clock.advance(1 * S);
    await pipeline.step();
    expect(receiver.received).to.have.length(1);
    expect(receiver.received[0]?.answered).to.equal(429);
    expect(receiver.received[0]?.signatureValid).to.equal(true);
    const first = payloads()[0];
    expect(first?.version).to.equal('4');
    expect(first?.status).to.equal('firing');
    expect(first?.groupLabels).to.deep.equal({ alertname: 'CertificateExpiring', namespace: 'shop' });
    expect(first?.alerts.map((a) => a.labels['name']).sort()).to.deep.equal(['api', 'web']);

    // The back-off alone would retry after 10 s; the receiver asked for 120 s.
    clock.advance(119 * S);
    await pipeline.step();
    expect(receiver.received).to.have.length(1);
    clock.advance(1 * S);
    await pipeline.step();
    expect(receiver.received).to.have.length(2);
    expect(receiver.received[1]?.answered).to.equal(200);
    expect(receiver.received[1]?.signatureValid).to.equal(true);
    expect(receiver.received[1]?.body).to.equal(receiver.received[0]?.body);
    expect(await metric('gateway_worker_notifications_sent_total')).to.equal(1);
    expect(await metric('gateway_worker_notifications_failed_total')).to.equal(1);
    expect(await metric('gateway_worker_notifications_retried_total')).to.equal(1);
    const stats = await pipeline.repository.stats('ops/hook');
    expect(stats).to.include({ sent: 1, failed: 1, retried: 1, dead: 0, pending: 0 });
    expect(stats.lastError).to.match(/429/);

    // A new alert in the group waits for groupInterval (5 m after the first flush at t=30 s).
    notifier.emit(expiring('admin'));
    await pipeline.step();
    expect(receiver.received).to.have.length(2);
    clock.advance(2 * M); // t = 30 s + 4 m
    await pipeline.step();
    expect(receiver.received).to.have.length(2);
    clock.advance(1 * M); // t = 30 s + 5 m
    await pipeline.step();
    expect(receiver.received).to.have.length(3);
    expect(
      payloads()[2]
        ?.alerts.map((a) => a.labels['name'])
        .sort(),
    ).to.deep.equal(['admin', 'api', 'web']);

    // Nothing changed: nothing is sent at the next group interval (deduplicated).
    clock.advance(5 * M);
    await pipeline.step();
    expect(receiver.received).to.have.length(3);

    // All three resolve: one "resolved" message at the next interval.
    for (const name of ['web', 'api', 'admin']) notifier.emit(expiring(name, 'resolved'));
    await pipeline.step();
    clock.advance(5 * M);
    await pipeline.step();
    expect(receiver.received).to.have.length(4);
    const resolved = payloads()[3];
    expect(resolved?.status).to.equal('resolved');
    expect(resolved?.alerts.every((a) => a.status === 'resolved')).to.equal(true);
    expect(receiver.received.every((r) => r.signatureValid === true)).to.equal(true);
    expect(await metric('gateway_worker_notifications_sent_total')).to.equal(3);
  });

  it('repeats an unchanged firing group after repeatInterval', async () => {
    await setUp({ repeatInterval: '1h' });
    const { notifier, clock } = pipeline;
    notifier.emit(expiring('web'));
    await pipeline.step();
    clock.advance(30 * S);
    await pipeline.step();
    expect(receiver.received).to.have.length(1);
    // Every group interval before the hour passes without a message.
    for (let i = 0; i < 11; i++) {
      clock.advance(5 * M);
      await pipeline.step();
    }
    expect(receiver.received).to.have.length(1);
    clock.advance(5 * M);
    await pipeline.step();
    expect(receiver.received).to.have.length(2);
    expect(payloads()[1]?.alerts.map((a) => a.labels['name'])).to.deep.equal(['web']);
  });

  it('backs off exponentially and keeps a dead letter after maxAttempts', async () => {
    await setUp({ maxAttempts: 3 });
    receiver.answer({ status: 503, body: 'down for maintenance' });
    const { notifier, clock } = pipeline;
    notifier.emit(expiring('web'));
    await pipeline.step();
    clock.advance(30 * S);
    await pipeline.step();
    expect(receiver.received).to.have.length(1);
    // Second attempt 10 s later (initialBackoff; jitter is zero here), third 20 s after that.
    clock.advance(9 * S);
    await pipeline.step();
    expect(receiver.received).to.have.length(1);
    clock.advance(1 * S);
    await pipeline.step();
    expect(receiver.received).to.have.length(2);
    clock.advance(20 * S);
    await pipeline.step();
    expect(receiver.received).to.have.length(3);
    clock.advance(10 * M);
    await pipeline.step();
    expect(receiver.received).to.have.length(3);

    const dead = await pipeline.repository.deadLetters('ops/hook', 10);
    expect(dead).to.have.length(1);
    expect(dead[0]?.attempts).to.equal(3);
    expect(dead[0]?.lastError).to.match(/503.*gave up after 3 attempts/);
    expect(await pipeline.repository.stats('ops/hook')).to.include({
      sent: 0,
      failed: 3,
      retried: 2,
      dead: 1,
      pending: 0,
    });
    expect(await metric('gateway_worker_notifications_dead_total')).to.equal(1);
    expect(await metric('gateway_worker_notifications_failed_total')).to.equal(3);
    expect(await metric('gateway_worker_notifications_retried_total')).to.equal(2);
  });

  it('refuses a wrong signature key at the receiver (the test receiver really checks it)', async () => {
    receiver = await NotifyReceiver.start({ hmacKey: HMAC_KEY });
    cleanups.push(() => receiver.stop());
    pipeline = await startPipeline({
      channels: [
        channel('hook', {
          type: 'webhook',
          webhook: { url: receiver.url, hmacSecretRef: { name: 'hook-hmac', key: 'key' } },
        }),
      ],
      policies: [
        policy('certs', {
          channels: [{ name: 'hook' }],
          eventTypes: ['CertificateExpiring'],
          groupWait: '1s',
        }),
      ],
      secrets: { 'hook-hmac': { key: 'some-other-key' } },
    });
    cleanups.push(() => pipeline.close());
    pipeline.notifier.emit(expiring('web'));
    await pipeline.step();
    pipeline.clock.advance(1 * S);
    await pipeline.step();
    expect(receiver.received).to.have.length(1);
    expect(receiver.received[0]?.signatureValid).to.equal(false);
  });
});
