/**
 * The HTTP channel types: webhook (Alertmanager's JSON, signed with HMAC-SHA256 when a key is
 * set: X-Signature: sha256=<hex>, the header Flux's generic-hmac provider sends), Slack, Microsoft
 * Teams and PagerDuty Events v2.
 */
import { createHmac } from 'node:crypto';
import { alertmanagerPayload, contentPayload } from '../../domain/notify/render/alertmanager.js';
import { slackMessage, teamsMessage } from '../../domain/notify/render/chat.js';
import { pagerDutyEvent } from '../../domain/notify/render/pagerduty.js';
import type { Transport } from './channel.js';
import { caFrom, postJson } from './http-post.js';

export const SIGNATURE_HEADER = 'x-signature';

export function signature(key: string, body: string): string {
  return `sha256=${createHmac('sha256', key).update(body).digest('hex')}`;
}

export const webhookTransport: Transport = {
  send(message, channel, context) {
    const spec = channel.spec.webhook;
    if (!spec) return Promise.resolve({ outcome: 'permanent', error: 'spec.webhook is not set' });
    const url = spec.urlSecretRef ? channel.secret(spec.urlSecretRef) : (spec.url ?? '');
    const body = JSON.stringify(
      message.kind === 'alerts' ? alertmanagerPayload(message) : contentPayload(message),
    );
    const headers: Record<string, string> = {};
    if (spec.hmacSecretRef) headers[SIGNATURE_HEADER] = signature(channel.secret(spec.hmacSecretRef), body);
    return postJson({
      url,
      body,
      headers,
      ca: caFrom(spec.caBundle),
      signal: context.signal,
      now: context.now,
    });
  },
};

export const slackTransport: Transport = {
  send(message, channel, context) {
    const spec = channel.spec.slack;
    if (!spec) return Promise.resolve({ outcome: 'permanent', error: 'spec.slack is not set' });
    const body = JSON.stringify(
      slackMessage(message, {
        ...(spec.channel ? { channel: spec.channel } : {}),
        ...(spec.username ? { username: spec.username } : {}),
      }),
    );
    return postJson({
      url: channel.secret(spec.urlSecretRef),
      body,
      signal: context.signal,
      now: context.now,
    });
  },
};

export const teamsTransport: Transport = {
  send(message, channel, context) {
    const spec = channel.spec.msteams;
    if (!spec) return Promise.resolve({ outcome: 'permanent', error: 'spec.msteams is not set' });
    const body = JSON.stringify(teamsMessage(message));
    return postJson({
      url: channel.secret(spec.urlSecretRef),
      body,
      signal: context.signal,
      now: context.now,
    });
  },
};

export const pagerDutyTransport: Transport = {
  send(message, channel, context) {
    const spec = channel.spec.pagerduty;
    if (!spec) return Promise.resolve({ outcome: 'permanent', error: 'spec.pagerduty is not set' });
    if (message.kind !== 'alerts') {
      return Promise.resolve({
        outcome: 'permanent',
        error:
          'PagerDuty channels receive alerts only; send reports to a webhook, Slack, Teams or e-mail channel',
      });
    }
    const body = JSON.stringify({
      routing_key: channel.secret(spec.routingKeySecretRef),
      ...pagerDutyEvent(message, context.now()),
    });
    return postJson({ url: spec.url, body, signal: context.signal, now: context.now });
  },
};
