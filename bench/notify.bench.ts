/**
 * `npm run bench notify`: notifications through the whole pipeline — notifier → alert store →
 * dispatcher (grouping) → outbox → sender — to a local HTTP receiver that checks every HMAC
 * signature, on the run's PostgreSQL (test settings: fsync off). Each run emits EVENTS events
 * spread over GROUPS groups (groupBy namespace), routed to CHANNELS webhook channels; the clock is
 * a FakeClock moved past groupWait, so the figure is the pipeline's own work, not waiting. Timed
 * from the first emit until the receiver has every grouped message.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { stopSharedPostgres } from '../test/support/shared-postgres.js';
import { NotifyReceiver } from '../test/support/notify-receiver.js';
import { channel, policy, startPipeline } from '../test/support/notify-fixtures.js';
import { loadAverage } from './operator-in-process.js';
import { fmt, median, percentile, rssMiB } from './stats.js';

const EVENTS = 5_000;
const GROUPS = 250;
const CHANNELS = 4;
const RUNS = 5;
const KEY = 'bench-hmac-key-0123456789';

interface Run {
  readonly eventsPerSecond: number;
  readonly messagesPerSecond: number;
  readonly lagP99Ms: number;
  readonly rssMiB: number;
  readonly badSignatures: number;
}

async function once(): Promise<Run> {
  const receiver = await NotifyReceiver.start({ hmacKey: KEY });
  const names = Array.from({ length: CHANNELS }, (_, i) => `hook-${i}`);
  const pipeline = await startPipeline({
    channels: names.map((name) =>
      channel(name, {
        type: 'webhook',
        webhook: { url: receiver.url, hmacSecretRef: { name: 'hmac', key: 'key' } },
        rateLimit: { perMinute: 6000, burst: 1000 },
      }),
    ),
    policies: [
      policy('all', {
        channels: names.map((name) => ({ name })),
        eventTypes: ['CertificateExpiring'],
        groupBy: ['alertname', 'namespace'],
        groupWait: '1s',
      }),
    ],
    secrets: { hmac: { key: KEY } },
  });
  const expected = GROUPS * CHANNELS;
  const lag = monitorEventLoopDelay({ resolution: 10 });
  let rss = rssMiB();
  lag.enable();
  const start = performance.now();
  try {
    for (let i = 0; i < EVENTS; i++) {
      pipeline.notifier.emit({
        type: 'CertificateExpiring',
        labels: { namespace: `ns-${i % GROUPS}`, name: `cert-${i}`, secret: `cert-${i}-tls` },
        annotations: { summary: `Certificate cert-${i} expires in 3 days` },
      });
    }
    await pipeline.step();
    pipeline.clock.advance(1_000);
    await pipeline.step();
    while (receiver.received.length < expected) {
      rss = Math.max(rss, rssMiB());
      await pipeline.sender.tick();
    }
    const seconds = (performance.now() - start) / 1000;
    lag.disable();
    const alerts = receiver.received.reduce(
      (n, r) => n + (r.json() as { alerts: unknown[] }).alerts.length,
      0,
    );
    if (alerts !== EVENTS * CHANNELS)
      throw new Error(`the receiver got ${alerts} alerts, expected ${EVENTS * CHANNELS}`);
    return {
      eventsPerSecond: EVENTS / seconds,
      messagesPerSecond: expected / seconds,
      lagP99Ms: lag.percentile(99) / 1e6,
      rssMiB: rss,
      badSignatures: receiver.received.filter((r) => r.signatureValid !== true).length,
    };
  } finally {
    await pipeline.close();
    await pipeline.test.db.close();
    await receiver.stop();
  }
}

export async function notifyBenchmark(): Promise<string[]> {
  const loadBefore = loadAverage();
  const runs: Run[] = [];
  try {
    for (let i = 0; i < RUNS; i++) runs.push(await once());
  } finally {
    await stopSharedPostgres();
  }
  const events = runs.map((r) => r.eventsPerSecond);
  const messages = runs.map((r) => r.messagesPerSecond);
  return [
    `${EVENTS} events in ${GROUPS} groups to ${CHANNELS} webhook channels (${GROUPS * CHANNELS} signed messages per run), one process, PostgreSQL 15 with fsync off; ${RUNS} runs; load average before: ${loadBefore}.`,
    '',
    '| events/s, median (slowest run) | messages delivered/s, median (slowest run) | event-loop delay p99, ms (median of runs) | RSS max, MiB | bad signatures |',
    '| --- | --- | --- | --- | --- |',
    `| ${fmt(median(events))} (${fmt(percentile(events, 0))}) | ${fmt(median(messages))} (${fmt(percentile(messages, 0))}) | ${fmt(median(runs.map((r) => r.lagP99Ms)), 1)} | ${fmt(Math.max(...runs.map((r) => r.rssMiB)))} | ${runs.reduce((n, r) => n + r.badSignatures, 0)} |`,
  ];
}
