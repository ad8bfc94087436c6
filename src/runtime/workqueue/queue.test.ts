import { expect } from 'chai';
import { FakeClock } from '../clock.js';
import { WorkQueue } from './queue.js';

/** Whether `promise` has settled once pending callbacks had their turn; nothing sleeps. */
async function hasSettled(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  void promise.then(() => (settled = true));
  await new Promise<void>((resolve) => setImmediate(resolve));
  return settled;
}

async function drainReady(queue: WorkQueue): Promise<string[]> {
  const keys: string[] = [];
  while (queue.len() > 0) {
    const key = await queue.get();
    if (key === undefined) break;
    keys.push(key);
  }
  return keys;
}

function newQueue(clock = new FakeClock()): WorkQueue {
  return new WorkQueue({ name: 'test', clock });
}

describe('WorkQueue', () => {
  const dedup: { adds: string[]; order: string[] }[] = [
    { adds: ['ns/a', 'ns/a'], order: ['ns/a'] },
    { adds: ['ns/a', 'ns/b', 'ns/a'], order: ['ns/a', 'ns/b'] },
    { adds: ['ns/b', 'ns/a', 'ns/b', 'ns/a', 'ns/c'], order: ['ns/b', 'ns/a', 'ns/c'] },
  ];
  for (const { adds, order } of dedup) {
    it(`runs ${order.join(', ')} once each after adds ${adds.join(', ')}`, async () => {
      const queue = newQueue();
      for (const key of adds) queue.add(key);
      expect(queue.len()).to.equal(order.length);
      expect(await drainReady(queue)).to.deep.equal(order);
    });
  }

  it('hands keys to waiting getters in the order they asked', async () => {
    const queue = newQueue();
    const first = queue.get();
    const second = queue.get();
    queue.add('ns/a');
    queue.add('ns/b');
    expect([await first, await second]).to.deep.equal(['ns/a', 'ns/b']);
  });

  it('never hands a key to a second worker while the first holds it', async () => {
    const queue = newQueue();
    queue.add('ns/a');
    expect(await queue.get()).to.equal('ns/a');
    queue.add('ns/a');
    expect(queue.len()).to.equal(0);
    const second = queue.get();
    expect(await hasSettled(second)).to.equal(false);
    queue.done('ns/a');
    expect(await second).to.equal('ns/a');
  });

  it('runs a key re-added while held exactly once more after done', async () => {
    const queue = newQueue();
    queue.add('ns/a');
    await queue.get();
    for (let i = 0; i < 3; i++) queue.add('ns/a');
    queue.done('ns/a');
    expect(queue.len()).to.equal(1);
    expect(await queue.get()).to.equal('ns/a');
    queue.done('ns/a');
    expect(queue.len()).to.equal(0);
  });

  it('ignores done for a key nobody holds', async () => {
    const queue = newQueue();
    queue.add('ns/a');
    queue.done('ns/a');
    expect(queue.len()).to.equal(1);
    await queue.get();
    queue.done('ns/a');
    queue.done('ns/a');
    expect(queue.len()).to.equal(0);
  });

  it('keeps order across many keys', async () => {
    const queue = newQueue();
    const keys = Array.from({ length: 3000 }, (_, i) => `ns/k${i}`);
    for (const key of keys) queue.add(key);
    expect(await drainReady(queue)).to.deep.equal(keys);
  });

  it('adds a rate-limited key after the backoff and forgets it on request', () => {
    const clock = new FakeClock();
    const queue = newQueue(clock);
    queue.addRateLimited('ns/a');
    expect(queue.numRequeues('ns/a')).to.equal(1);
    clock.advance(4);
    expect(queue.len()).to.equal(0);
    clock.advance(1);
    expect(queue.len()).to.equal(1);
    queue.addRateLimited('ns/a');
    expect(queue.numRequeues('ns/a')).to.equal(2);
    queue.forget('ns/a');
    expect(queue.numRequeues('ns/a')).to.equal(0);
  });
});

describe('WorkQueue.addAfter', () => {
  it('adds the key once its delay has passed', () => {
    const clock = new FakeClock();
    const queue = newQueue(clock);
    queue.addAfter('ns/a', 50);
    clock.advance(49);
    expect(queue.len()).to.equal(0);
    clock.advance(1);
    expect(queue.len()).to.equal(1);
  });

  const twice: { delays: [number, number]; firesAt: number }[] = [
    { delays: [100, 50], firesAt: 50 },
    { delays: [50, 100], firesAt: 50 },
    { delays: [70, 70], firesAt: 70 },
  ];
  for (const { delays, firesAt } of twice) {
    it(`adds once at ${firesAt} ms when delayed by ${delays.join(' then ')} ms`, async () => {
      const clock = new FakeClock();
      const queue = newQueue(clock);
      for (const ms of delays) queue.addAfter('ns/a', ms);
      clock.advance(firesAt - 1);
      expect(queue.len()).to.equal(0);
      clock.advance(1);
      expect(queue.len()).to.equal(1);
      await queue.get();
      queue.done('ns/a');
      clock.advance(1000);
      expect(queue.len()).to.equal(0);
      expect(clock.pendingTimers).to.equal(0);
    });
  }

  it('reaches deadlines beyond the longest timer Node can set', () => {
    const clock = new FakeClock();
    const queue = newQueue(clock);
    const thirtyDays = 30 * 24 * 3600 * 1000;
    queue.addAfter('ns/a', thirtyDays);
    clock.advance(thirtyDays - 1);
    expect(queue.len()).to.equal(0);
    clock.advance(1);
    expect(queue.len()).to.equal(1);
  });

  it('adds at once when the delay is not positive', () => {
    const queue = newQueue();
    queue.addAfter('ns/a', 0);
    queue.addAfter('ns/b', -5);
    expect(queue.len()).to.equal(2);
  });

  it('does not queue a delayed key twice when it is already ready', () => {
    const clock = new FakeClock();
    const queue = newQueue(clock);
    queue.add('ns/a');
    queue.addAfter('ns/a', 10);
    clock.advance(10);
    expect(queue.len()).to.equal(1);
  });
});
