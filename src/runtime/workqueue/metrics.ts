import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Clock } from '../clock.js';

/**
 * Work queue metrics under the names and labels controller-runtime exposes
 * (pkg/metrics/workqueue.go), so dashboards and alerts written for Go controllers work unchanged.
 */

/** What the queue reports; the no-op variant keeps the queue free of "metrics enabled?" checks. */
export interface QueueMetrics {
  add(key: string): void;
  get(key: string): void;
  done(key: string): void;
  retry(): void;
  /** The queue is finished: stop reporting its in-flight work. */
  release(): void;
}

export const noopQueueMetrics: QueueMetrics = {
  add: () => undefined,
  get: () => undefined,
  done: () => undefined,
  retry: () => undefined,
  release: () => undefined,
};

export interface QueueLabels {
  name: string;
  controller: string;
}

type Label = keyof QueueLabels;

/** prometheus.ExponentialBuckets(10e-9, 10, 12): 10 ns to 1000 s. */
export const DURATION_BUCKETS: readonly number[] = [
  1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1, 10, 100, 1000,
];

interface MetricSet {
  readonly depth: Gauge<Label | 'priority'>;
  readonly adds: Counter<Label>;
  readonly queueDuration: Histogram<Label>;
  readonly workDuration: Histogram<Label>;
  readonly unfinished: Gauge<Label>;
  readonly longestRunning: Gauge<Label>;
  readonly retries: Counter<Label>;
  /** Queues whose in-flight work is summed into the two gauges at scrape time. */
  readonly live: Set<PrometheusQueueMetrics>;
}

/** A registry accepts each name once, while every controller has its own queue: share the objects. */
const metricSets = new WeakMap<Registry, MetricSet>();

export function queueMetrics(
  registry: Registry | undefined,
  labels: QueueLabels,
  clock: Clock,
): QueueMetrics {
  if (!registry) return noopQueueMetrics;
  return new PrometheusQueueMetrics(metricSetFor(registry), labels, clock);
}

interface InFlight {
  labels: QueueLabels;
  totalSeconds: number;
  longestSeconds: number;
}

/** Queues that share labels (same name twice) are one series: sum their work, keep the oldest. */
function inFlightByQueue(live: Iterable<PrometheusQueueMetrics>): Map<string, InFlight> {
  const byQueue = new Map<string, InFlight>();
  for (const queue of live) {
    const id = JSON.stringify([queue.labels.name, queue.labels.controller]);
    const sums = byQueue.get(id) ?? { labels: queue.labels, totalSeconds: 0, longestSeconds: 0 };
    for (const age of queue.processingAgesSeconds()) {
      sums.totalSeconds += age;
      sums.longestSeconds = Math.max(sums.longestSeconds, age);
    }
    byQueue.set(id, sums);
  }
  return byQueue;
}

function metricSetFor(registry: Registry): MetricSet {
  const existing = metricSets.get(registry);
  if (existing) return existing;
  const registers = [registry];
  const labelNames: Label[] = ['name', 'controller'];
  const live = new Set<PrometheusQueueMetrics>();
  const set: MetricSet = {
    live,
    depth: new Gauge({
      name: 'workqueue_depth',
      help: 'Current depth of workqueue by workqueue and priority',
      labelNames: [...labelNames, 'priority'],
      registers,
    }),
    adds: new Counter({
      name: 'workqueue_adds_total',
      help: 'Total number of adds handled by workqueue',
      labelNames,
      registers,
    }),
    queueDuration: new Histogram({
      name: 'workqueue_queue_duration_seconds',
      help: 'How long in seconds an item stays in workqueue before being requested',
      labelNames,
      buckets: [...DURATION_BUCKETS],
      registers,
    }),
    workDuration: new Histogram({
      name: 'workqueue_work_duration_seconds',
      help: 'How long in seconds processing an item from workqueue takes.',
      labelNames,
      buckets: [...DURATION_BUCKETS],
      registers,
    }),
    // client-go refreshes these two every 500 ms from a goroutine; computing them when scraped
    // gives fresher values and needs no timer to stop.
    unfinished: new Gauge({
      name: 'workqueue_unfinished_work_seconds',
      help:
        "How many seconds of work has been done that is in progress and hasn't been observed by " +
        'work_duration. Large values indicate stuck threads. One can deduce the number of stuck ' +
        'threads by observing the rate at which this increases.',
      labelNames,
      registers,
      collect() {
        for (const queue of inFlightByQueue(live).values()) this.set(queue.labels, queue.totalSeconds);
      },
    }),
    longestRunning: new Gauge({
      name: 'workqueue_longest_running_processor_seconds',
      help: 'How many seconds has the longest running processor for workqueue been running.',
      labelNames,
      registers,
      collect() {
        for (const queue of inFlightByQueue(live).values()) this.set(queue.labels, queue.longestSeconds);
      },
    }),
    retries: new Counter({
      name: 'workqueue_retries_total',
      help: 'Total number of retries handled by workqueue',
      labelNames,
      registers,
    }),
  };
  metricSets.set(registry, set);
  return set;
}

/** Mirrors client-go's defaultQueueMetrics: timings start at the first add and at get. */
class PrometheusQueueMetrics implements QueueMetrics {
  private readonly addedAt = new Map<string, number>();
  private readonly startedAt = new Map<string, number>();
  private readonly depthLabels: QueueLabels & { priority: string };

  constructor(
    private readonly set: MetricSet,
    readonly labels: QueueLabels,
    private readonly clock: Clock,
  ) {
    // controller-runtime leaves priority empty for queues without priorities.
    this.depthLabels = { ...labels, priority: '' };
    // Series exist from the start, so "no adds yet" reads as 0 rather than as a missing metric.
    set.depth.set(this.depthLabels, 0);
    set.adds.inc(labels, 0);
    set.retries.inc(labels, 0);
    set.queueDuration.zero(labels);
    set.workDuration.zero(labels);
    set.unfinished.set(labels, 0);
    set.longestRunning.set(labels, 0);
    set.live.add(this);
  }

  add(key: string): void {
    this.set.adds.inc(this.labels);
    this.set.depth.inc(this.depthLabels);
    if (!this.addedAt.has(key)) this.addedAt.set(key, this.clock.now());
  }

  get(key: string): void {
    const now = this.clock.now();
    this.set.depth.dec(this.depthLabels);
    this.startedAt.set(key, now);
    const added = this.addedAt.get(key);
    if (added !== undefined) {
      this.set.queueDuration.observe(this.labels, secondsBetween(added, now));
      this.addedAt.delete(key);
    }
  }

  done(key: string): void {
    const started = this.startedAt.get(key);
    if (started === undefined) return;
    this.set.workDuration.observe(this.labels, secondsBetween(started, this.clock.now()));
    this.startedAt.delete(key);
  }

  retry(): void {
    this.set.retries.inc(this.labels);
  }

  release(): void {
    if (!this.set.live.delete(this)) return;
    // The gauges keep their last value once no collect() sets them: leave them at rest.
    this.set.unfinished.set(this.labels, 0);
    this.set.longestRunning.set(this.labels, 0);
  }

  processingAgesSeconds(): number[] {
    const now = this.clock.now();
    return [...this.startedAt.values()].map((started) => secondsBetween(started, now));
  }
}

function secondsBetween(fromMs: number, toMs: number): number {
  return Math.max(0, toMs - fromMs) / 1000;
}
