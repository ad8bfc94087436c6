import { expect } from 'chai';
import type { NotificationEvent } from '../domain/notify/event.js';
import { NotificationHooks } from '../notify/hooks.js';
import type { Notifier } from '../notify/notifier.js';
import { FakeClock } from '../runtime/clock.js';
import { ThreatFeedHealthHooks } from './feed-health.js';
import { FeedHealthReporter } from './feed-health-reporter.js';

/** The sets the hook hands to Notifier.replace, in order. */
class RecordingNotifier implements Notifier {
  readonly sets: { source: string; events: readonly NotificationEvent[] }[] = [];
  emit(): void {
    throw new Error('feed health is a state: replace, never emit');
  }
  replace(source: string, events: readonly NotificationEvent[]): void {
    this.sets.push({ source, events });
  }
  last(): string[] {
    return (this.sets.at(-1)?.events ?? []).map((e) => `${e.type} ${e.labels.namespace}/${e.labels.name}`);
  }
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('threat feed health → notifications', () => {
  let clock: FakeClock;
  let health: ThreatFeedHealthHooks;
  let notifier: RecordingNotifier;
  let pass: ReturnType<typeof deferred>;
  let reporter: FeedHealthReporter;

  beforeEach(async () => {
    clock = new FakeClock();
    health = new ThreatFeedHealthHooks();
    notifier = new RecordingNotifier();
    pass = deferred();
    const hooks = new NotificationHooks(notifier, {
      errorRatePercent: 5,
      p95LatencyMs: 1000,
      dropPercent: 50,
      minRequests: 100,
    });
    reporter = new FeedHealthReporter({
      health,
      initialPass: pass.promise,
      report: (all) => hooks.feeds(all),
      clock,
      maxWaitMs: 60_000,
    });
    await reporter.start();
  });

  afterEach(() => reporter.stop());

  it('sends the complete set once the first pass is over, then every change; a recovered feed resolves', async () => {
    health.report({
      namespace: 'shop',
      name: 'drop',
      degraded: { reason: 'FetchFailed', message: 'HTTP 500' },
    });
    health.report({ namespace: 'shop', name: 'level1' });
    await tick();
    // Mid-pass: a partial set would resolve the feeds not reconciled yet.
    expect(notifier.sets).to.deep.equal([]);

    pass.resolve();
    await tick();
    expect(notifier.sets.map((s) => s.source)).to.deep.equal(['threat-feeds']);
    expect(notifier.last()).to.deep.equal(['FeedDegraded shop/drop']);
    expect(notifier.sets[0]?.events[0]?.annotations?.description).to.equal('HTTP 500');

    health.report({
      namespace: 'shop',
      name: 'level1',
      stale: { lastUpdated: '2026-01-01T00:00:00.000Z', maxAge: '1440m' },
    });
    expect(notifier.last()).to.deep.equal(['FeedDegraded shop/drop', 'FeedStale shop/level1']);

    health.report({ namespace: 'shop', name: 'drop' });
    expect(notifier.last()).to.deep.equal(['FeedStale shop/level1']);
    health.remove('shop', 'level1');
    expect(notifier.last()).to.deep.equal([]);
    expect(notifier.sets).to.have.length(4);
  });

  it('sends an empty set on start when every feed is healthy, so alerts a previous leader left firing resolve', async () => {
    health.report({ namespace: 'shop', name: 'drop' });
    pass.resolve();
    await tick();
    expect(notifier.sets).to.deep.equal([{ source: 'threat-feeds', events: [] }]);
  });

  it('does not wait for a first pass that never ends longer than maxWaitMs', async () => {
    health.report({
      namespace: 'shop',
      name: 'drop',
      degraded: { reason: 'FetchFailed', message: 'HTTP 500' },
    });
    clock.advance(59_999);
    expect(notifier.sets).to.deep.equal([]);
    clock.advance(1);
    expect(notifier.last()).to.deep.equal(['FeedDegraded shop/drop']);
    // The pass ending later sends nothing twice.
    pass.resolve();
    await tick();
    expect(notifier.sets).to.have.length(1);
  });

  it('sends nothing once stopped (the lead is lost)', async () => {
    await reporter.stop();
    pass.resolve();
    await tick();
    health.report({
      namespace: 'shop',
      name: 'drop',
      degraded: { reason: 'FetchFailed', message: 'HTTP 500' },
    });
    clock.advance(120_000);
    expect(notifier.sets).to.deep.equal([]);
  });
});
