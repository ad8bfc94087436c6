/**
 * Sending content straight to a channel, without grouping: how reports are delivered (an e-mail
 * with the report attached, a webhook or chat message with a link). The message goes to the
 * outbox like any notification, so it has the channel's rate limit, retries and dead letter.
 *
 *   await outbox.send({ namespace: 'ops', name: 'ops-email' }, {
 *     title: 'Weekly traffic report', text: 'Attached.', labels: { report: 'weekly' },
 *     links: [{ title: 'Open', url: 'https://gw.example/api/v1/reports/weekly/12' }],
 *     attachments: [{ filename: 'report.html', contentType: 'text/html', contentBase64 }],
 *   });
 */
import { attachmentBytes, MAX_ATTACHMENT_BYTES, type ContentMessage } from '../domain/notify/message.js';
import { systemClock, type Clock } from '../runtime/clock.js';
import type { Database } from '../storage/database.js';
import { NotifyRepository } from './notify-repository.js';

export interface ChannelRef {
  readonly namespace: string;
  readonly name: string;
}

export type Content = Omit<ContentMessage, 'kind' | 'receiver'>;

export class OutboxError extends Error {
  override readonly name = 'OutboxError';
}

export interface NotificationOutbox {
  /** Queues `content` for the channel; resolves with the delivery's id once it is stored. */
  send(channel: ChannelRef, content: Content): Promise<string>;
}

export class StoreOutbox implements NotificationOutbox {
  private readonly clock: Clock;

  constructor(
    private readonly options: {
      readonly store: { readonly database: Database | undefined; readonly status: string };
      readonly schema: string;
      readonly clock?: Clock;
      /** After a delivery was queued (the local sender looks at once). */
      readonly onQueued?: () => void;
    },
  ) {
    this.clock = options.clock ?? systemClock;
  }

  async send(channel: ChannelRef, content: Content): Promise<string> {
    const db = this.options.store.database;
    if (!db) throw new OutboxError(`the notification outbox is not available: ${this.options.store.status}`);
    const receiver = `${channel.namespace}/${channel.name}`;
    const message: ContentMessage = { kind: 'content', receiver, ...content };
    const bytes = attachmentBytes(message);
    if (bytes > MAX_ATTACHMENT_BYTES) {
      throw new OutboxError(
        `attachments are ${bytes} bytes; at most ${MAX_ATTACHMENT_BYTES} are allowed (send a link instead)`,
      );
    }
    const id = await new NotifyRepository(db, this.options.schema).insertDelivery(
      { channel: receiver, policy: '', groupKey: '', message },
      new Date(this.clock.now()),
    );
    this.options.onQueued?.();
    return id;
  }
}
