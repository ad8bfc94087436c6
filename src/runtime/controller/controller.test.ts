import { expect } from 'chai';
import { FakeClock } from '../clock.js';
import { silentLogger, type Logger } from '../logger.js';
import { createMetricsRegistry } from '../metrics.js';
import { Controller, TerminalError, type ReconcileContext, type ReconcileResult } from './controller.js';

/** Lets the workers run everything that is ready now (no timers involved). */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
}

function harness(behaviour: (attempt: number) => ReconcileResult | undefined) {
  const clock = new FakeClock(0);
  const registry = createMetricsRegistry();
  const runs: number[] = [];
  const controller = new Controller({
    name: 'test',
    workers: 2,
    logger: silentLogger,
    registry,
    clock,
    reconcile: () => {
      runs.push(clock.now());
      return Promise.resolve(behaviour(runs.length));
    },
  });
  return { clock, registry, runs, controller };
}

async function counter(
  registry: ReturnType<typeof createMetricsRegistry>,
  name: string,
  labels: Record<string, string>,
) {
  const metric = await registry.getSingleMetric(name)?.get();
  return metric?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value ?? 0;
}

describe('controller reconcile results (injected clock)', () => {
  it('retries an error after 5, 10, 20 ms and forgets the failures on success', async () => {
    const { clock, runs, controller, registry } = harness((n) => {
      if (n <= 3) throw new Error('API server said no');
      return undefined;
    });
    await controller.start();
    controller.enqueue('ns/a');
    await settle();
    for (const step of [4, 1, 9, 1, 19, 1]) {
      clock.advance(step);
      await settle();
    }
    expect(runs).to.deep.equal([0, 5, 15, 35]);
    expect(
      await counter(registry, 'controller_runtime_reconcile_errors_total', { controller: 'test' }),
    ).to.equal(3);
    expect(
      await counter(registry, 'controller_runtime_reconcile_total', {
        controller: 'test',
        result: 'success',
      }),
    ).to.equal(1);
    clock.advance(10_000_000);
    await settle();
    expect(runs).to.have.length(4);
    await controller.stop();
  });

  it('runs again after requeueAfter and not before', async () => {
    const { clock, runs, controller } = harness(() => ({ requeueAfterMs: 60_000 }));
    await controller.start();
    controller.enqueue('ns/a');
    await settle();
    clock.advance(59_999);
    await settle();
    expect(runs).to.deep.equal([0]);
    clock.advance(1);
    await settle();
    expect(runs).to.deep.equal([0, 60_000]);
    await controller.stop();
  });

  it('does not retry a terminal error until the key is queued again', async () => {
    const { clock, runs, controller, registry } = harness(() => {
      throw new TerminalError('spec.dnsNames[0]: not a DNS name');
    });
    await controller.start();
    controller.enqueue('ns/a');
    await settle();
    clock.advance(10_000_000);
    await settle();
    expect(runs).to.have.length(1);
    expect(
      await counter(registry, 'controller_runtime_terminal_reconcile_errors_total', { controller: 'test' }),
    ).to.equal(1);
    controller.enqueue('ns/a');
    await settle();
    expect(runs).to.have.length(2);
    await controller.stop();
  });

  it('keeps the schedule a terminal error carries, without back-off retries', async () => {
    const { clock, runs, controller } = harness(() => {
      throw new TerminalError('acme.email: the CA refuses it', { requeueAfterMs: 60_000 });
    });
    await controller.start();
    controller.enqueue('ns/a');
    await settle();
    clock.advance(59_999);
    await settle();
    expect(runs).to.deep.equal([0]);
    clock.advance(1);
    await settle();
    expect(runs).to.deep.equal([0, 60_000]);
    await controller.stop();
  });

  it('gives each reconcile a logger naming the object and the reconcile, and a signal that aborts at the timeout', async () => {
    const clock = new FakeClock(0);
    const lines: { msg: string; fields: Record<string, unknown> }[] = [];
    const logger: Logger = {
      ...silentLogger,
      info: (msg, fields = {}) => lines.push({ msg, fields: { ...fields } }),
      child: (base) => {
        const child: Logger = {
          ...silentLogger,
          info: (msg, fields = {}) => lines.push({ msg, fields: { ...base, ...fields } }),
          child: (more) => logger.child({ ...base, ...more }),
        };
        return child;
      },
    };
    let seen: ReconcileContext | undefined;
    let release: () => void = () => undefined;
    const controller = new Controller({
      name: 'test',
      workers: 1,
      logger,
      clock,
      reconcileTimeoutMs: 30_000,
      reconcile: (_request, context) => {
        seen = context;
        context.logger.info('deciding');
        return new Promise((resolve) => {
          release = () => resolve(undefined);
        });
      },
    });
    await controller.start();
    controller.enqueue('ns/a');
    await settle();
    const line = lines.find((l) => l.msg === 'deciding');
    expect(line?.fields).to.include({ controller: 'test', namespace: 'ns', name: 'a' });
    expect(line?.fields.reconcileID).to.equal(seen?.reconcileID).and.to.be.a('string');
    expect(seen?.signal.aborted).to.equal(false);
    clock.advance(30_000);
    expect(seen?.signal.aborted).to.equal(true);
    expect(String(seen?.signal.reason)).to.match(/timed out after 30000 ms/);
    release();
    await controller.stop();
  });

  it('survives a panic (a thrown non-Error), counts it and retries with backoff', async () => {
    const { clock, runs, controller, registry } = harness((n) => {
      if (n === 1) throw 'boom' as unknown as Error;
      return undefined;
    });
    await controller.start();
    controller.enqueue('ns/a');
    await settle();
    clock.advance(5);
    await settle();
    expect(runs).to.deep.equal([0, 5]);
    expect(
      await counter(registry, 'controller_runtime_reconcile_panics_total', { controller: 'test' }),
    ).to.equal(1);
    await controller.stop();
  });

  it('reports max concurrent reconciles and idle workers', async () => {
    const { controller, registry } = harness(() => undefined);
    expect(
      await counter(registry, 'controller_runtime_max_concurrent_reconciles', { controller: 'test' }),
    ).to.equal(2);
    expect(await counter(registry, 'controller_runtime_active_workers', { controller: 'test' })).to.equal(0);
    await controller.start();
    await controller.stop();
  });

  it('finishes its initial pass once every key queued before the start has been reconciled, a failed one on its retry', async () => {
    const { controller, clock } = harness((n) => {
      if (n === 1) throw new Error('first one fails');
      if (n === 2) throw new TerminalError('a spec no retry can fix');
      return undefined;
    });
    let done = false;
    void controller.initialPass.then(() => (done = true));
    controller.enqueue('ns/a');
    controller.enqueue('ns/b');
    controller.enqueue('ns/c');
    await controller.start();
    controller.enqueue('ns/later');
    await settle();
    expect(done, 'the failed key waits for its retry').to.equal(false);
    clock.advance(5);
    await settle();
    expect(done).to.equal(true);
    await controller.stop();
  });

  it('does not finish its initial pass while a key from before the start is still running', async () => {
    let release: () => void = () => undefined;
    const controller = new Controller({
      name: 'slow',
      workers: 1,
      logger: silentLogger,
      reconcile: ({ key }) =>
        key === 'ns/slow'
          ? new Promise((resolve) => (release = () => resolve(undefined)))
          : Promise.resolve(undefined),
    });
    let done = false;
    void controller.initialPass.then(() => (done = true));
    controller.enqueue('ns/slow');
    await controller.start();
    await settle();
    expect(done).to.equal(false);
    release();
    await settle();
    expect(done).to.equal(true);
    await controller.stop();
  });

  it('has nothing to wait for when nothing was queued before the start', async () => {
    const { controller } = harness(() => undefined);
    await controller.start();
    await controller.initialPass;
    await controller.stop();
  });
});
