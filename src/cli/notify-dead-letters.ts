/**
 * `gateway-worker notify dead-letters [--channel NAMESPACE/NAME] [--limit N] [-o table|json]`:
 * the notifications the outbox gave up on, newest first, with the reason — what to look at after
 * a receiver was down or refused. Read from the operator's database; no cluster access needed.
 * Attachments are left out: a report can be megabytes, and the title says which one it was.
 */
import { titleOf } from '../domain/notify/message.js';
import { NotifyRepository } from '../notify/notify-repository.js';
import { parseValueFlags } from './flags.js';
import type { Output } from './main.js';
import { openStore } from './store-access.js';
import { renderTable } from './table.js';

export const DEAD_LETTERS_USAGE =
  '  dead-letters [--channel NAMESPACE/NAME] [--limit N] [-o table|json]\n' +
  '    Lists the notifications given up on (dead letters), newest first, with the last error.\n' +
  `    They are kept NOTIFY_DEAD_RETENTION_DAYS days (default 30).\n`;

const MAX_LIMIT = 10_000;

export async function runDeadLetters(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  out: Output,
  usage: (problem: string) => number,
): Promise<number> {
  const flags = parseValueFlags(
    args.map((a) => (a === '-o' ? '--output' : a)),
    ['--channel', '--limit', '--output'],
  );
  if (typeof flags === 'string') return usage(flags);
  if (flags.positional.length > 0) return usage(`takes no arguments, got "${flags.positional.join(' ')}"`);
  const channel = flags.values.get('--channel');
  if (
    channel !== undefined &&
    !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(channel)
  )
    return usage(`--channel ${channel}: must be NAMESPACE/NAME of a NotificationChannel`);
  const limitText = flags.values.get('--limit') ?? '50';
  const limit = Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT)
    return usage(`--limit ${limitText}: must be a whole number from 1 to ${MAX_LIMIT}`);
  const format = flags.values.get('--output') ?? 'table';
  if (format !== 'table' && format !== 'json') return usage(`-o ${format}: must be table or json`);

  const opened = await openStore(env, out, 'notify dead-letters');
  if ('exitCode' in opened) return opened.exitCode;
  try {
    const dead = await new NotifyRepository(opened.db, opened.config.databaseSchema).deadLetters(
      channel,
      limit,
    );
    const items = dead.map((d) => ({
      id: d.id,
      channel: d.channel,
      policy: d.policy,
      groupKey: d.groupKey,
      title: titleOf(d.message),
      attempts: d.attempts,
      createdAt: new Date(d.createdAt).toISOString(),
      lastError: d.lastError,
    }));
    if (format === 'json') {
      out.stdout(`${JSON.stringify({ items }, null, 2)}\n`);
      return 0;
    }
    if (items.length === 0) {
      out.stdout(`no dead letters${channel ? ` for ${channel}` : ''}\n`);
      return 0;
    }
    out.stdout(
      renderTable(
        ['ID', 'CHANNEL', 'CREATED', 'ATTEMPTS', 'TITLE', 'LAST ERROR'],
        items.map((i) => [i.id, i.channel, i.createdAt, String(i.attempts), i.title, oneLine(i.lastError)]),
        [3],
      ),
    );
    return 0;
  } finally {
    await opened.db.close();
  }
}

/** A receiver's error can span lines (an HTML error page); a table row cannot. */
function oneLine(text: string, max = 160): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
