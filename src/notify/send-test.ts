/**
 * One test message straight to a channel, outside grouping and the outbox: what
 * `gateway-worker notify test CHANNEL` sends, so a person setting a channel up learns at once
 * whether the receiver accepts it (a 401 from a wrong key, a refused SMTP login, a TLS error)
 * rather than waiting for the next alert. It is not counted in the channel's delivery status.
 */
import type { NotificationChannel } from '../api/v1alpha1/index.js';
import { durationMillis } from '../api/v1alpha1/checks/duration.js';
import type { ContentMessage } from '../domain/notify/message.js';
import type { ChannelResolver } from './channel-resolver.js';
import { redact, type Transport } from './channels/channel.js';
import type { ChannelType } from '../api/v1alpha1/index.js';

export type TestOutcome = { readonly ok: true } | { readonly ok: false; readonly error: string };

export function testMessage(receiver: string, now: number): ContentMessage {
  return {
    kind: 'content',
    receiver,
    title: 'Test notification from gateway-worker',
    text: `This is a test of NotificationChannel ${receiver}, sent at ${new Date(now).toISOString()} by \`gateway-worker notify test\`. No action is needed.`,
    links: [],
    attachments: [],
    labels: { alertname: 'NotificationTest', channel: receiver },
  };
}

export async function sendTest(
  channel: NotificationChannel,
  resolver: ChannelResolver,
  transports: Readonly<Record<ChannelType, Transport>>,
  now: () => number = Date.now,
): Promise<TestOutcome> {
  const key = `${channel.metadata.namespace ?? ''}/${channel.metadata.name ?? ''}`;
  const resolution = await resolver.resolve(channel);
  if (!resolution.ok) return { ok: false, error: resolution.problem };
  const resolved = resolution.channel;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), durationMillis(channel.spec.timeout));
  try {
    const result = await transports[channel.spec.type].send(testMessage(key, now()), resolved, {
      signal: controller.signal,
      now,
    });
    return result.outcome === 'sent'
      ? { ok: true }
      : { ok: false, error: redact(result.error, resolved.secretValues) };
  } catch (error) {
    return { ok: false, error: redact((error as Error).message, resolved.secretValues) };
  } finally {
    clearTimeout(timer);
  }
}
