import { expect } from 'chai';
import { IssuanceSlots } from './issuance-slots.js';

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('issuance slots (at most N ACME attempts at once)', () => {
  it('lets N in at once and the rest in order as slots free up', async () => {
    const slots = new IssuanceSlots(2);
    const entered: number[] = [];
    const signal = new AbortController().signal;
    for (const n of [1, 2, 3, 4]) void slots.acquire(signal).then(() => entered.push(n));
    await settle();
    expect(entered).to.deep.equal([1, 2]);
    expect(slots.queued).to.equal(2);
    slots.release();
    await settle();
    expect(entered).to.deep.equal([1, 2, 3]);
    slots.release();
    slots.release();
    await settle();
    expect(entered).to.deep.equal([1, 2, 3, 4]);
  });

  it('drops a waiting attempt that is aborted, without losing its place to anyone', async () => {
    const slots = new IssuanceSlots(1);
    const none = new AbortController().signal;
    await slots.acquire(none);
    const aborted = new AbortController();
    const waiting = slots.acquire(aborted.signal).then(
      () => 'entered',
      (error: unknown) => (error as Error).message,
    );
    const next = slots.acquire(none).then(() => 'entered');
    aborted.abort(new Error('shutting down'));
    expect(await waiting).to.equal('shutting down');
    slots.release();
    expect(await next).to.equal('entered');
    expect(slots.queued).to.equal(0);
  });
});
