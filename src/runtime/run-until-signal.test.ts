import { EventEmitter } from 'node:events';
import { expect } from 'chai';
import { silentLogger } from './logger.js';
import { runUntilSignal, type Lifecycle } from './run-until-signal.js';

interface Harness {
  signals: EventEmitter;
  exits: number[];
  calls: string[];
  run(target: Lifecycle): Promise<number>;
}

function harness(): Harness {
  const signals = new EventEmitter();
  const exits: number[] = [];
  return {
    signals,
    exits,
    calls: [],
    run: (target) =>
      runUntilSignal(target, silentLogger, {
        signals,
        exit: (code) => exits.push(code),
        shutdownTimeoutMs: 30,
      }),
  };
}

const never = new Promise<void>(() => undefined);
const tick = () => new Promise((resolve) => setImmediate(resolve));

function lifecycle(
  h: Harness,
  behaviour: { start?: () => Promise<void>; stop?: () => Promise<void> } = {},
): Lifecycle {
  return {
    start: () => {
      h.calls.push('start');
      return behaviour.start ? behaviour.start() : Promise.resolve();
    },
    stop: () => {
      h.calls.push('stop');
      return behaviour.stop ? behaviour.stop() : Promise.resolve();
    },
  };
}

describe('runUntilSignal', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`stops on ${signal}, returns 0 and removes its signal listeners`, async () => {
      const h = harness();
      const done = h.run(lifecycle(h));
      await tick();
      expect(h.signals.listenerCount(signal)).to.equal(1);
      h.signals.emit(signal, signal);
      expect(await done).to.equal(0);
      expect(h.calls).to.deep.equal(['start', 'stop']);
      expect(h.signals.listenerCount('SIGTERM') + h.signals.listenerCount('SIGINT')).to.equal(0);
      expect(h.exits).to.deep.equal([]);
    });
  }

  it('stops a target whose start is still running when the signal arrives', async () => {
    const h = harness();
    const done = h.run(lifecycle(h, { start: () => never }));
    await tick();
    h.signals.emit('SIGTERM', 'SIGTERM');
    expect(await done).to.equal(0);
    expect(h.calls).to.deep.equal(['start', 'stop']);
  });

  it('stops what started and returns 1 when start fails', async () => {
    const h = harness();
    const code = await h.run(lifecycle(h, { start: () => Promise.reject(new Error('no API server')) }));
    expect(code).to.equal(1);
    expect(h.calls).to.deep.equal(['start', 'stop']);
  });

  it('returns 1 when stop fails', async () => {
    const h = harness();
    const done = h.run(lifecycle(h, { stop: () => Promise.reject(new Error('stuck')) }));
    await tick();
    h.signals.emit('SIGTERM', 'SIGTERM');
    expect(await done).to.equal(1);
  });

  it('forces exit 1 when stop does not finish before the deadline', async () => {
    const h = harness();
    void h.run(lifecycle(h, { stop: () => never }));
    await tick();
    h.signals.emit('SIGTERM', 'SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(h.exits).to.deep.equal([1]);
  });

  it('exits at once with 1 on a second signal during shutdown', async () => {
    const h = harness();
    void h.run(lifecycle(h, { stop: () => never }));
    await tick();
    h.signals.emit('SIGTERM', 'SIGTERM');
    h.signals.emit('SIGINT', 'SIGINT');
    expect(h.exits).to.deep.equal([1]);
  });
});
