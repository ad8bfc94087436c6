import { expect } from 'chai';
import { FakeClock } from '../runtime/clock.js';
import { AcmeError } from './errors.js';
import { pollUntil, type PollOptions, type Polled } from './poll.js';

/** The AcmeError `promise` rejects with (fails the test if it resolves or rejects otherwise). */
async function failure(promise: Promise<unknown>): Promise<AcmeError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, 'expected an AcmeError').to.be.instanceOf(AcmeError);
  return error as AcmeError;
}

const OPTIONS: PollOptions = {
  initialDelayMs: 100,
  maxDelayMs: 400,
  timeoutMs: 10_000,
  maxRetryAfterMs: 60_000,
};

/** Lets the poller run, moving the fake clock to each timer it sets; returns the result. */
async function run<T>(clock: FakeClock, work: Promise<T>): Promise<T> {
  const state = { settled: false };
  const done = work.finally(() => (state.settled = true)).catch(() => undefined);
  while (!state.settled) {
    await new Promise((resolve) => setImmediate(resolve));
    if (clock.pendingTimers > 0) clock.advance(1);
  }
  await done;
  return work;
}

/** A status source answering `answers` in turn, recording when it was asked. */
function source(
  clock: FakeClock,
  answers: readonly Polled<string>[],
): { fetch: () => Promise<Polled<string>>; times: number[] } {
  const times: number[] = [];
  let i = 0;
  return {
    times,
    fetch: () => {
      times.push(clock.now());
      const answer = answers[Math.min(i, answers.length - 1)];
      i += 1;
      return Promise.resolve(answer ?? { value: 'pending' });
    },
  };
}

describe('polling an ACME resource', () => {
  it('backs off exponentially up to the maximum', async () => {
    const clock = new FakeClock(0);
    const s = source(clock, [...Array<Polled<string>>(5).fill({ value: 'pending' }), { value: 'valid' }]);
    const value = await run(
      clock,
      pollUntil({ what: 'order', fetch: s.fetch, settled: (v) => v !== 'pending', clock, options: OPTIONS }),
    );
    expect(value).to.equal('valid');
    expect(s.times).to.deep.equal([0, 100, 300, 700, 1100, 1500]);
  });

  it('asks again no sooner than Retry-After, to the millisecond', async () => {
    const clock = new FakeClock(0);
    const s = source(clock, [
      { value: 'processing', retryAfter: new Date(3_000) },
      { value: 'processing', retryAfter: new Date(3_050) },
      { value: 'valid' },
    ]);
    await run(
      clock,
      pollUntil({ what: 'order', fetch: s.fetch, settled: (v) => v === 'valid', clock, options: OPTIONS }),
    );
    // 3 s as asked; then 50 ms asked but the backoff (200 ms) is longer.
    expect(s.times).to.deep.equal([0, 3_000, 3_200]);
  });

  it("starts from a response already in hand, such as finalize's, and its Retry-After", async () => {
    const clock = new FakeClock(0);
    const s = source(clock, [{ value: 'valid' }]);
    const value = await run(
      clock,
      pollUntil({
        what: 'order',
        fetch: s.fetch,
        settled: (v) => v === 'valid',
        clock,
        options: OPTIONS,
        initial: { value: 'processing', retryAfter: new Date(2_000) },
      }),
    );
    expect(value).to.equal('valid');
    expect(s.times).to.deep.equal([2_000]);
  });

  it('hands a far Retry-After back to the caller instead of holding on', async () => {
    const clock = new FakeClock(0);
    const far = new Date(3_600_000);
    const s = source(clock, [{ value: 'processing', retryAfter: far }]);
    const error = await failure(
      run(
        clock,
        pollUntil({
          what: 'order X',
          fetch: s.fetch,
          settled: (v) => v === 'valid',
          clock,
          options: OPTIONS,
        }),
      ),
    );
    expect(error.code).to.equal('timeout');
    expect(error.retryAfter).to.equal(far);
    expect(error.retryable).to.equal(true);
    expect(s.times).to.deep.equal([0]);
  });

  it('gives up at the deadline with a timeout error', async () => {
    const clock = new FakeClock(0);
    const s = source(clock, [{ value: 'pending' }]);
    const error = await failure(
      run(
        clock,
        pollUntil({
          what: 'authorization of a.example',
          fetch: s.fetch,
          settled: (v) => v !== 'pending',
          clock,
          options: {
            ...OPTIONS,
            timeoutMs: 1_000,
          },
        }),
      ),
    );
    expect(error.code).to.equal('timeout');
    expect(error.detail).to.equal('authorization of a.example did not finish within 1 s');
    expect(s.times.at(-1)).to.be.at.most(1_000);
  });

  it('stops waiting when cancelled', async () => {
    const clock = new FakeClock(0);
    const stop = new AbortController();
    const s = source(clock, [{ value: 'pending' }]);
    const polling = pollUntil({
      what: 'order',
      fetch: s.fetch,
      settled: (v) => v !== 'pending',
      clock,
      options: OPTIONS,
      signal: stop.signal,
    });
    await new Promise((resolve) => setImmediate(resolve));
    stop.abort();
    const error = await failure(polling);
    expect(error.code).to.equal('aborted');
    expect(clock.pendingTimers).to.equal(0);
  });
});
