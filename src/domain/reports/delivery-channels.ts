/**
 * Which NotificationChannels can carry a report. A report is content (a title, links, an HTML
 * attachment); PagerDuty Events v2 takes alerts only, so a PagerDuty channel in
 * `spec.delivery.channels` is a mistake the Report's status must name, not a dead letter found
 * later. The channel's type lives on another object, so admission (CEL) cannot see it: the
 * controller and the job both judge it with this function, so they write the same condition.
 */
import type { ChannelType } from '../../api/v1alpha1/notificationchannel.js';

/** The channel types that deliver reports, in the order messages list them. */
export const REPORT_CHANNEL_TYPES: readonly ChannelType[] = ['webhook', 'slack', 'msteams', 'email'];

export const UNSUPPORTED_CHANNEL_REASON = 'UnsupportedChannel';

export interface NamedChannel {
  readonly name: string;
  /** Undefined when the channel does not exist (yet): that is the channel's problem, not the Report's. */
  readonly type: ChannelType | undefined;
}

/** The channels of `channels` that cannot carry a report, in their order. */
export function unsupportedChannels(channels: readonly NamedChannel[]): NamedChannel[] {
  return channels.filter((c) => c.type !== undefined && !REPORT_CHANNEL_TYPES.includes(c.type));
}

/** The condition message for the channels that cannot carry a report; undefined when all can. */
export function unsupportedChannelProblem(channels: readonly NamedChannel[]): string | undefined {
  const refused = unsupportedChannels(channels);
  if (refused.length === 0) return undefined;
  const named = refused.map((c) => `"${c.name}" (${c.type ?? ''})`).join(', ');
  const allowed = `${REPORT_CHANNEL_TYPES.slice(0, -1).join(', ')} or ${REPORT_CHANNEL_TYPES.at(-1) ?? ''}`;
  return (
    `spec.delivery.channels: ${named} cannot carry a report (PagerDuty Events v2 takes alerts only); ` +
    `name ${allowed} channels. The report is still stored and sent to the other channels`
  );
}
