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

describe('WorkQueue shutdown', () => {
  it('answers undefined to getters waiting when the queue shuts down', async () => {
    const queue = new WorkQueue({ name: 'test', clock: new FakeClock() });
    const waiting = [queue.get(), queue.get()];
    queue.shutDown();
    expect(await Promise.all(waiting)).to.deep.equal([undefined, undefined]);
    expect(await queue.get()).to.equal(undefined);
    expect(queue.shuttingDown()).to.equal(true);
  });

  it('still hands out keys already ready, then undefined', async () => {
    const queue = new WorkQueue({ name: 'test', clock: new FakeClock() });
    queue.add('ns/a');
    queue.shutDown();
    expect(await queue.get()).to.equal('ns/a');
    expect(await queue.get()).to.equal(undefined);
  });

  it('ignores every kind of add after shutdown', () => {
    const clock = new FakeClock();
    const queue = new WorkQueue({ name: 'test', clock });
    queue.shutDown();
    queue.add('ns/a');
    queue.addAfter('ns/b', 10);
    queue.addRateLimited('ns/c');
    clock.advance(1000);
    expect(queue.len()).to.equal(0);
    expect(queue.numRequeues('ns/c')).to.equal(0);
  });

  it('drops keys still waiting for their delay', () => {
    const clock = new FakeClock();
    const queue = new WorkQueue({ name: 'test', clock });
    queue.addAfter('ns/a', 100);
    queue.shutDown();
    expect(clock.pendingTimers).to.equal(0);
    clock.advance(100);
    expect(queue.len()).to.equal(0);
  });

  it('drains: resolves only once every held key is done', async () => {
    const queue = new WorkQueue({ name: 'test', clock: new FakeClock() });
    queue.add('ns/a');
    queue.add('ns/b');
    await queue.get();
    await queue.get();
    const drained = queue.shutDownWithDrain();
    expect(await hasSettled(drained)).to.equal(false);
    queue.done('ns/a');
    expect(await hasSettled(drained)).to.equal(false);
    queue.done('ns/b');
    expect(await hasSettled(drained)).to.equal(true);
  });

  it('drains at once when no key is held', async () => {
    const queue = new WorkQueue({ name: 'test', clock: new FakeClock() });
    expect(await hasSettled(queue.shutDownWithDrain())).to.equal(true);
  });

  it('releases a pending drain when shutDown is called', async () => {
    const queue = new WorkQueue({ name: 'test', clock: new FakeClock() });
    queue.add('ns/a');
    await queue.get();
    const drained = queue.shutDownWithDrain();
    queue.shutDown();
    expect(await hasSettled(drained)).to.equal(true);
  });
});
