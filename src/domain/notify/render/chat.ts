/**
 * Chat formats: a Slack incoming-webhook message and a Microsoft Teams Adaptive Card (what
 * Teams' Workflows webhooks and the older connectors both accept). Both carry the same title and
 * text as an e-mail; links become buttons, attachments are named (chat webhooks cannot carry files).
 */
import { alertLine, statusOf, textOf, titleOf, type NotificationMessage } from '../message.js';

const MAX_CHAT_LINES = 50;

export interface SlackMessage {
  readonly text: string;
  readonly blocks: readonly unknown[];
}

function lines(message: NotificationMessage): string[] {
  if (message.kind === 'content') {
    const names = message.attachments.map((a) => `attached: ${a.filename}`);
    return [message.text, ...names].filter((l) => l !== '');
  }
  const out = [
    ...message.firing.map((a) => `:red_circle: ${alertLine(a)}`),
    ...message.resolved.map((a) => `:large_green_circle: ${alertLine(a)}`),
  ];
  return out.length > MAX_CHAT_LINES
    ? [...out.slice(0, MAX_CHAT_LINES), `... and ${out.length - MAX_CHAT_LINES} more`]
    : out;
}

export function slackMessage(
  message: NotificationMessage,
  options: { readonly channel?: string; readonly username?: string } = {},
): SlackMessage & Record<string, unknown> {
  const title = titleOf(message);
  const links = message.kind === 'content' ? message.links : [];
  const blocks: unknown[] = [
    { type: 'header', text: { type: 'plain_text', text: title.slice(0, 150) } },
    { type: 'section', text: { type: 'mrkdwn', text: lines(message).join('\n').slice(0, 3000) || ' ' } },
  ];
  if (links.length > 0) {
    blocks.push({
      type: 'actions',
      elements: links.slice(0, 5).map((l) => ({
        type: 'button',
        text: { type: 'plain_text', text: l.title.slice(0, 75) },
        url: l.url,
      })),
    });
  }
  return {
    text: `${title}\n${textOf(message)}`.slice(0, 4000),
    blocks,
    ...(options.channel ? { channel: options.channel } : {}),
    ...(options.username ? { username: options.username } : {}),
  };
}

export function teamsMessage(message: NotificationMessage): Record<string, unknown> {
  const title = titleOf(message);
  const resolved = message.kind === 'alerts' && statusOf(message) === 'resolved';
  const links = message.kind === 'content' ? message.links : [];
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          body: [
            {
              type: 'TextBlock',
              size: 'Medium',
              weight: 'Bolder',
              wrap: true,
              color: message.kind === 'content' ? 'Default' : resolved ? 'Good' : 'Attention',
              text: title,
            },
            ...lines(message).map((line) => ({
              type: 'TextBlock',
              wrap: true,
              text: line.replace(/:[a-z_]+: /, ''),
            })),
          ],
          actions: links.slice(0, 5).map((l) => ({ type: 'Action.OpenUrl', title: l.title, url: l.url })),
        },
      },
    ],
  };
}
