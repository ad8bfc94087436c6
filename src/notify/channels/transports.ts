/** Every channel type's transport, in one place: a type without one does not compile. */
import type { ChannelType } from '../../api/v1alpha1/index.js';
import type { Transport } from './channel.js';
import { emailTransport } from './transport-email.js';
import { pagerDutyTransport, slackTransport, teamsTransport, webhookTransport } from './transport-http.js';

export const TRANSPORTS: Readonly<Record<ChannelType, Transport>> = {
  webhook: webhookTransport,
  slack: slackTransport,
  msteams: teamsTransport,
  pagerduty: pagerDutyTransport,
  email: emailTransport,
};
