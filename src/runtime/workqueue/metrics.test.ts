import { expect } from 'chai';
import { Registry } from 'prom-client';
import { FakeClock } from '../clock.js';
import { DURATION_BUCKETS } from './metrics.js';
import { WorkQueue } from './queue.js';

const NAMES = [
  'workqueue_depth',
  'workqueue_adds_total',
  'workqueue_queue_duration_seconds',
  'workqueue_work_duration_seconds',
  'workqueue_unfinished_work_seconds',
  'workqueue_longest_running_processor_seconds',
  'workqueue_retries_total',
];

/** The value of one series of `metric` (for histograms, `metricName` picks _sum, _count...). */
async function valueOf(
  registry: Registry,
  metric: string,
  queue: string,
  metricName: string = metric,
): Promise<number | undefined> {
  const values = (await registry.getSingleMetric(metric)?.get())?.values ?? [];
  const series = values.find(
    (v) => v.labels.name === queue && ('metricName' in v ? v.metricName === metricName : true),
  );
  return series?.value;
}

function setup(name = 'certificates'): { clock: FakeClock; registry: Registry; queue: WorkQueue } {
  const clock = new FakeClock();
  const registry = new Registry();
  return { clock, registry, queue: new WorkQueue({ name, clock, registry }) };
}

describe('WorkQueue metrics', () => {
  for (const name of NAMES) {
    it(`exposes ${name} labelled with queue and controller`, async () => {
      const { registry } = setup();
      const text = await registry.metrics();
      expect(text).to.include(`# TYPE ${name} `);
      expect(text).to.match(
        new RegExp(`^${name}(_sum|_count)?\\{[^}]*name="certificates",controller="certificates"`, 'm'),
      );
    });
  }

  it('moves depth up on add and down on get', async () => {
    const { registry, queue } = setup();
    queue.add('ns/a');
    queue.add('ns/b');
    queue.add('ns/a');
    expect(await valueOf(registry, 'workqueue_depth', 'certificates')).to.equal(2);
    expect(await valueOf(registry, 'workqueue_adds_total', 'certificates')).to.equal(2);
    await queue.get();
    expect(await valueOf(registry, 'workqueue_depth', 'certificates')).to.equal(1);
  });

  it('counts every delayed or rate-limited add as a retry', async () => {
    const { registry, queue } = setup();
    queue.addRateLimited('ns/a');
    queue.addRateLimited('ns/a');
    queue.addAfter('ns/b', 0);
    expect(await valueOf(registry, 'workqueue_retries_total', 'certificates')).to.equal(3);
  });

  it('observes time in queue and time at work in seconds', async () => {
    const { clock, registry, queue } = setup();
    queue.add('ns/a');
    clock.advance(2000);
    await queue.get();
    clock.advance(500);
    queue.done('ns/a');
    const sum = (metric: string) => valueOf(registry, metric, 'certificates', `${metric}_sum`);
    expect(await sum('workqueue_queue_duration_seconds')).to.equal(2);
    expect(await sum('workqueue_work_duration_seconds')).to.equal(0.5);
  });

  it('reports unfinished work and the longest running processor when scraped', async () => {
    const { clock, registry, queue } = setup();
    queue.add('ns/a');
    queue.add('ns/b');
    await queue.get();
    clock.advance(1000);
    await queue.get();
    clock.advance(2000);
    expect(await valueOf(registry, 'workqueue_unfinished_work_seconds', 'certificates')).to.equal(5);
    expect(await valueOf(registry, 'workqueue_longest_running_processor_seconds', 'certificates')).to.equal(
      3,
    );
    queue.done('ns/a');
    queue.done('ns/b');
    expect(await valueOf(registry, 'workqueue_unfinished_work_seconds', 'certificates')).to.equal(0);
  });

  it('shares one set of metrics between the queues of one registry', async () => {
    const clock = new FakeClock();
    const registry = new Registry();
    const certs = new WorkQueue({ name: 'certificates', clock, registry });
    const routes = new WorkQueue({ name: 'routeconfigs', clock, registry });
    certs.add('ns/a');
    routes.add('ns/a');
    routes.add('ns/b');
    expect(await valueOf(registry, 'workqueue_depth', 'certificates')).to.equal(1);
    expect(await valueOf(registry, 'workqueue_depth', 'routeconfigs')).to.equal(2);
  });

  it('buckets durations from 10 ns to 1000 s in steps of ten', async () => {
    const { registry } = setup();
    const text = await registry.metrics();
    const bounds = [...text.matchAll(/^workqueue_queue_duration_seconds_bucket\{le="([^"]+)"/gm)].map(
      (m) => m[1],
    );
    expect(bounds).to.deep.equal([...DURATION_BUCKETS.map(String), '+Inf']);
  });

  it('labels depth with an empty priority, as controller-runtime does', async () => {
    const { registry } = setup();
    expect(await registry.metrics()).to.include(
      'workqueue_depth{name="certificates",controller="certificates",priority=""} 0',
    );
  });

  it('stops counting in-flight work of a queue that has shut down and drained', async () => {
    const { clock, registry, queue } = setup();
    queue.add('ns/a');
    await queue.get();
    const drained = queue.shutDownWithDrain();
    clock.advance(4000);
    expect(await valueOf(registry, 'workqueue_longest_running_processor_seconds', 'certificates')).to.equal(
      4,
    );
    queue.done('ns/a');
    await drained;
    clock.advance(4000);
    expect(await valueOf(registry, 'workqueue_longest_running_processor_seconds', 'certificates')).to.equal(
      0,
    );
  });
});
