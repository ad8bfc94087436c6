/**
 * The outbox's housekeeping on real PostgreSQL: `notify.prune` deletes old sent deliveries, old
 * dead letters (kept longer) and old resolved or one-off alerts, and nothing recent or firing;
 * `gateway-worker notify dead-letters` lists what was given up on, newest first.
 */
import { expect } from 'chai';
import { main, type Output } from '../../src/cli/main.js';
import type { Alert } from '../../src/domain/notify/event.js';
import type { NotificationMessage } from '../../src/domain/notify/message.js';
import { NotifyRepository } from '../../src/notify/notify-repository.js';
import { notifyPruneJobKind } from '../../src/notify/prune-job.js';
import { silentLogger } from '../../src/runtime/logger.js';
import { migratedStore, type TestStore } from '../support/job-fixtures.js';
import { sharedDatabaseUrl } from '../support/shared-postgres.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 11, 6, 12);

function content(title: string): NotificationMessage {
  return { kind: 'content', receiver: 'ops', title, text: title, links: [], attachments: [], labels: {} };
}

function alert(fingerprint: string, status: 'firing' | 'resolved', lifecycle: 'state' | 'oneshot'): Alert {
  return {
    fingerprint,
    type: lifecycle === 'oneshot' ? 'DecisionTaken' : 'CertificateExpiring',
    labels: { alertname: fingerprint },
    annotations: {},
    severity: 'warning',
    lifecycle,
    status,
    startsAt: NOW - 40 * DAY,
  };
}

function capture(): Output & { text: { stdout: string; stderr: string } } {
  const text = { stdout: '', stderr: '' };
  return { text, stdout: (t) => (text.stdout += t), stderr: (t) => (text.stderr += t) };
}

describe('notification housekeeping (real PostgreSQL)', function () {
  this.timeout(60_000);
  let test: TestStore;
  let repository: NotifyRepository;

  beforeEach(async () => {
    test = await migratedStore('notify_prune');
    repository = new NotifyRepository(test.db, test.schema);
  });
  afterEach(() => test.db.close());

  /** A delivery created and finished `ageDays` before NOW. */
  async function delivery(channel: string, title: string, outcome: 'sent' | 'dead', ageDays: number) {
    const at = new Date(NOW - ageDays * DAY);
    const id = await repository.insertDelivery(
      { channel, policy: 'ops/all', groupKey: title, message: content(title) },
      at,
    );
    const pending = (await repository.heads()).find((d) => d.id === id);
    if (!pending) throw new Error(`delivery ${id} is not pending`);
    await repository.recordAttempt(
      pending,
      outcome === 'sent'
        ? { outcome, retry: false }
        : {
            outcome,
            retry: false,
            error: `HTTP 500 from the receiver for ${title}\n<html>down</html>`,
            failed: true,
          },
      at,
    );
    return id;
  }

  async function titles(state: 'sent' | 'dead'): Promise<string[]> {
    const result = await test.db.query<{ title: string }>(
      `SELECT message->>'title' AS title FROM "${test.schema}".notify_deliveries WHERE state = $1 ORDER BY id`,
      [state],
    );
    return result.rows.map((r) => r.title);
  }

  it('deletes sent deliveries after 7 days, dead letters after 30 and settled alerts after 7; keeps the rest', async () => {
    await delivery('ops/hook', 'sent long ago', 'sent', 8);
    await delivery('ops/hook', 'sent yesterday', 'sent', 1);
    await delivery('ops/hook', 'dead 8 days ago', 'dead', 8);
    await delivery('ops/hook', 'dead 31 days ago', 'dead', 31);
    await repository.upsertAlerts(
      [
        { source: 'test', alert: alert('old-resolved', 'resolved', 'state') },
        { source: 'test', alert: alert('old-oneshot', 'firing', 'oneshot') },
        { source: 'test', alert: alert('old-firing', 'firing', 'state') },
      ],
      new Date(NOW - 8 * DAY),
    );
    await repository.upsertAlerts(
      [{ source: 'test', alert: alert('new-resolved', 'resolved', 'state') }],
      new Date(NOW - DAY),
    );

    const kind = notifyPruneJobKind({
      store: { database: test.db, status: 'ready' },
      schema: test.schema,
      sentRetentionDays: 7,
      deadRetentionDays: 30,
      clock: { now: () => NOW, setTimer: () => ({ cancel: () => undefined }) },
    });
    await kind.handler({
      id: '1',
      kind: kind.name,
      target: '',
      payload: {},
      attempt: 1,
      signal: new AbortController().signal,
      logger: silentLogger,
    });

    expect(await titles('sent')).to.deep.equal(['sent yesterday']);
    expect(await titles('dead')).to.deep.equal(['dead 8 days ago']);
    const alerts = await test.db.query<{ fingerprint: string }>(
      `SELECT fingerprint FROM "${test.schema}".notify_alerts ORDER BY fingerprint`,
    );
    expect(alerts.rows.map((r) => r.fingerprint)).to.deep.equal(['new-resolved', 'old-firing']);
  });

  it('lists dead letters newest first, by channel, as a table or JSON, each on one line', async () => {
    await delivery('ops/hook', 'first', 'dead', 3);
    await delivery('ops/mail', 'second', 'dead', 2);
    await delivery('ops/hook', 'third', 'dead', 1);
    await delivery('ops/hook', 'delivered', 'sent', 1);
    const env = { DATABASE_URL: await sharedDatabaseUrl(), DATABASE_SCHEMA: test.schema };
    const cli = async (...args: string[]) => {
      const out = capture();
      const code = await main(['notify', 'dead-letters', ...args], env, out);
      return { code, ...out.text };
    };

    const table = await cli();
    expect(table.code, table.stderr).to.equal(0);
    const lines = table.stdout.trim().split('\n');
    expect(lines[0]).to.match(/^ID\s+CHANNEL\s+CREATED\s+ATTEMPTS\s+TITLE\s+LAST ERROR$/);
    expect(lines.slice(1).map((l) => l.split(/\s{2,}/)[4])).to.deep.equal(['third', 'second', 'first']);
    expect(lines[1]).to.include('HTTP 500 from the receiver for third <html>down</html>');

    const json = await cli('--channel', 'ops/hook', '-o', 'json');
    expect(json.code, json.stderr).to.equal(0);
    const items = (
      JSON.parse(json.stdout) as { items: { title: string; channel: string; attempts: number }[] }
    ).items;
    expect(items.map((i) => [i.title, i.channel, i.attempts])).to.deep.equal([
      ['third', 'ops/hook', 1],
      ['first', 'ops/hook', 1],
    ]);

    expect((await cli('--channel', 'ops/none')).stdout).to.equal('no dead letters for ops/none\n');
    const bad = await cli('--limit', '0');
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.include('--limit 0: must be a whole number from 1 to 10000');
    expect((await cli('--channel', 'hook')).stderr).to.include('must be NAMESPACE/NAME');
  });
});
