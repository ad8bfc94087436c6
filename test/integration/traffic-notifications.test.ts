/**
 * Traffic anomalies from the hourly rollups, on a real PostgreSQL: gateway logs stored as the
 * ingest side stores them, processed into minutes and rolled up into hours by the real processor
 * and downsample job; the leader's TrafficHourSource then hands each rolled-up hour (and the same
 * hour a week earlier) to hooks.trafficHour. An hour not rolled up yet is not judged; a newer
 * hour replaces the older one's anomalies; late logs that roll an hour up again are judged again.
 */
import { expect } from 'chai';
import type { NotificationEvent } from '../../src/domain/notify/event.js';
import { RouteMatcher } from '../../src/domain/telemetry/route-matcher.js';
import { NotificationHooks } from '../../src/notify/hooks.js';
import type { Notifier } from '../../src/notify/notifier.js';
import { TrafficHourSource } from '../../src/notify/sources/traffic-hour-source.js';
import { FakeClock } from '../../src/runtime/clock.js';
import { silentLogger } from '../../src/runtime/logger.js';
import { downsample } from '../../src/telemetry/downsample.js';
import { TelemetryProcessor } from '../../src/telemetry/processor.js';
import { migratedStore, type TestStore } from '../support/job-fixtures.js';
import { accessEntry, insertBatch } from '../support/stored-batches.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const WEEK = 7 * 24 * HOUR;
/** 10:00 UTC on a Monday: the hour judged first. */
const H = Date.UTC(2026, 11, 7, 10);

/** Records the complete sets the hooks hand to the notifier. */
class RecordingNotifier implements Notifier {
  readonly sets: { source: string; events: readonly NotificationEvent[] }[] = [];
  emit(): void {
    throw new Error('traffic anomalies are states: replace, never emit');
  }
  replace(source: string, events: readonly NotificationEvent[]): void {
    this.sets.push({ source, events });
  }
  last(): string[] {
    return (this.sets.at(-1)?.events ?? []).map((e) => `${e.type} ${e.labels.host} ${e.labels.route}`).sort();
  }
}

const route = (name: string, prefix: string) => ({
  name,
  match: { path: { type: 'prefix' as const, value: prefix } },
  backends: [],
  load_balancer: 'round_robin' as const,
  timeout: '30s',
  retries: 0,
});

describe('traffic anomalies notify from the hourly rollups (real PostgreSQL)', function () {
  this.timeout(60_000);
  let test: TestStore;
  let clock: FakeClock;
  let notifier: RecordingNotifier;
  let source: TrafficHourSource;
  let sequence = 0;

  beforeEach(async () => {
    test = await migratedStore('traffic_notify');
    clock = new FakeClock(H);
    notifier = new RecordingNotifier();
    const hooks = new NotificationHooks(notifier, {
      errorRatePercent: 5,
      p95LatencyMs: 1000,
      dropPercent: 50,
      minRequests: 100,
    });
    source = new TrafficHourSource({
      store: test.store,
      schema: test.schema,
      report: (series, hourStartMs) => hooks.trafficHour(series, hourStartMs),
      logger: silentLogger,
      clock,
    });
  });
  afterEach(async () => {
    await test.db.close();
  });

  /** `count` requests to `uri` spread over the hour from `hourMs`, stored as one received batch. */
  async function logs(
    hourMs: number,
    uri: string,
    count: number,
    options: { status?: (i: number) => number; latencyMs?: number; receivedAt?: number; host?: string } = {},
  ): Promise<void> {
    sequence += 1;
    await insertBatch(test.db, test.schema, {
      gatewayId: 'gw-a',
      sequence,
      receivedAt: new Date(options.receivedAt ?? hourMs + HOUR - MIN),
      entries: Array.from({ length: count }, (_, i) =>
        accessEntry('gw-a', {
          timeMs: hourMs + Math.floor((i * (HOUR - MIN)) / count),
          uri,
          host: options.host ?? 'shop.example.com',
          statusCode: options.status?.(i) ?? 200,
          responseTimeMs: options.latencyMs ?? 20,
        }),
      ),
    });
  }

  /** What the operator does between the logs and the notification: process, then roll up. */
  async function processAndRollUp(): Promise<void> {
    await new TelemetryProcessor({
      store: test.store,
      schema: test.schema,
      logger: silentLogger,
      clock,
      routes: () =>
        new RouteMatcher([
          {
            key: 'shop/web',
            payload: {
              hostnames: ['shop.example.com'],
              routes: [route('checkout', '/checkout'), route('search', '/search'), route('home', '/')],
            },
          },
        ]),
    }).processOnce(test.db);
    await downsample(test.db, test.schema, clock.now(), { topCapacity: 10 });
  }

  it('judges the newest rolled-up hour against the week before, replaces it with the next hour, and judges a re-rolled hour again', async () => {
    // A week earlier: the home page was busy; this hour it nearly stops.
    await logs(H - WEEK, '/', 400);
    await logs(H, '/', 40);
    // Checkout answers 5xx to 1 request in 10; search is slow.
    await logs(H, '/checkout', 200, { status: (i) => (i % 10 === 0 ? 503 : 200) });
    await logs(H, '/search', 150, { latencyMs: 2500 });

    // The hour has not ended long enough ago: nothing is judged.
    clock.advance(HOUR + 2 * MIN);
    await source.evaluate();
    expect(notifier.sets).to.deep.equal([]);

    // Settled, but the logs are still waiting for the processor: not yet.
    clock.advance(4 * MIN);
    await source.evaluate();
    expect(notifier.sets).to.deep.equal([]);

    await processAndRollUp();
    await source.evaluate();
    expect(notifier.sets.map((s) => s.source)).to.deep.equal(['traffic']);
    expect(notifier.last()).to.deep.equal([
      'TrafficDropped shop.example.com shop/web/home',
      'TrafficErrorRateHigh shop.example.com shop/web/checkout',
      'TrafficLatencyHigh shop.example.com shop/web/search',
    ]);
    const events = notifier.sets[0]?.events ?? [];
    const errors = events.find((e) => e.type === 'TrafficErrorRateHigh');
    expect(errors?.annotations?.description).to.equal('20 of 200 requests; the threshold is 5 %.');
    const latency = events.find((e) => e.type === 'TrafficLatencyHigh');
    // DDSketch: within 1 % of the true p95.
    expect(Number(latency?.annotations?.value)).to.be.within(2475, 2525);
    expect(events.find((e) => e.type === 'TrafficDropped')?.annotations?.value).to.equal('10');

    // The same hour, unchanged: not read again.
    clock.advance(MIN);
    await source.evaluate();
    expect(notifier.sets).to.have.length(1);

    // Late logs of checkout roll the hour up again; with them it is under the threshold.
    await logs(H, '/checkout', 300, { receivedAt: clock.now() });
    await processAndRollUp();
    await source.evaluate();
    expect(notifier.sets).to.have.length(2);
    expect(notifier.last()).to.deep.equal([
      'TrafficDropped shop.example.com shop/web/home',
      'TrafficLatencyHigh shop.example.com shop/web/search',
    ]);

    // The next hour is healthy and like last week's: its empty set resolves everything.
    await logs(H + HOUR - WEEK, '/', 120);
    await logs(H + HOUR, '/', 120);
    await logs(H + HOUR, '/search', 150, { latencyMs: 30 });
    clock.advance(HOUR);
    await processAndRollUp();
    await source.evaluate();
    expect(notifier.sets).to.have.length(3);
    expect(notifier.last()).to.deep.equal([]);
  });

  it('counts a route that had traffic last week and none this hour as dropped, and leaves unmatched requests out', async () => {
    await logs(H - WEEK, '/checkout', 300);
    await logs(H, '/', 500, { status: () => 502 });
    // No RouteConfig serves this host: its requests have no route, and are not judged.
    await logs(H - WEEK, '/', 300, { host: 'old.example.com' });
    await logs(H, '/', 200, { host: 'old.example.com', status: () => 500 });
    clock.advance(HOUR + 6 * MIN);
    await processAndRollUp();
    await source.evaluate();
    expect(notifier.last()).to.deep.equal([
      'TrafficDropped shop.example.com shop/web/checkout',
      'TrafficErrorRateHigh shop.example.com shop/web/home',
    ]);
  });
});
