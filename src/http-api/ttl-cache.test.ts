import { expect } from 'chai';
import { FakeClock } from '../runtime/clock.js';
import { TtlCache } from './ttl-cache.js';

describe('the review cache (bounded, expiring)', () => {
  it('forgets an entry once its time to live has passed', () => {
    const clock = new FakeClock();
    const cache = new TtlCache<string>({ maxEntries: 10, clock });
    cache.set('token-a', 'alice', 10_000);
    clock.advance(9_999);
    expect(cache.get('token-a')).to.equal('alice');
    clock.advance(1);
    expect(cache.get('token-a')).to.equal(undefined);
    expect(cache.size).to.equal(0);
  });

  it('keeps at most maxEntries, dropping the least recently used first', () => {
    const cache = new TtlCache<number>({ maxEntries: 3, clock: new FakeClock() });
    for (const [i, key] of ['a', 'b', 'c'].entries()) cache.set(key, i, 60_000);
    expect(cache.get('a')).to.equal(0); // a is now the most recently used
    cache.set('d', 3, 60_000);
    expect([cache.get('a'), cache.get('b'), cache.get('c'), cache.get('d')]).to.deep.equal([
      0,
      undefined,
      2,
      3,
    ]);
    expect(cache.size).to.equal(3);
  });

  it('stays within its bound under a flood of distinct keys', () => {
    const cache = new TtlCache<boolean>({ maxEntries: 100, clock: new FakeClock() });
    for (let i = 0; i < 10_000; i++) cache.set(`garbage-${i}`, false, 10_000);
    expect(cache.size).to.equal(100);
    expect(cache.get('garbage-9999')).to.equal(false);
    expect(cache.get('garbage-0')).to.equal(undefined);
  });

  it('runs one load for concurrent callers of the same key and caches its result', async () => {
    const cache = new TtlCache<string>({ maxEntries: 10, clock: new FakeClock() });
    let loads = 0;
    const load = async (): Promise<{ value: string; ttlMs: number }> => {
      loads += 1;
      await new Promise((resolve) => setImmediate(resolve));
      return { value: 'bob', ttlMs: 1_000 };
    };
    const results = await Promise.all([cache.getOrLoad('k', load), cache.getOrLoad('k', load)]);
    expect(results.map((r) => r.value)).to.deep.equal(['bob', 'bob']);
    expect(loads).to.equal(1);
    expect(await cache.getOrLoad('k', load)).to.deep.equal({ value: 'bob', cached: true });
  });

  it('does not cache a failed load: the next caller tries again', async () => {
    const cache = new TtlCache<string>({ maxEntries: 10, clock: new FakeClock() });
    const failure = await cache
      .getOrLoad('k', () => Promise.reject(new Error('API server down')))
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(String(failure)).to.include('API server down');
    const next = await cache.getOrLoad('k', () => Promise.resolve({ value: 'carol', ttlMs: 1_000 }));
    expect(next).to.deep.equal({ value: 'carol', cached: false });
  });

  it('keeps nothing for a zero time to live', () => {
    const cache = new TtlCache<string>({ maxEntries: 10, clock: new FakeClock() });
    cache.set('k', 'v', 0);
    expect(cache.get('k')).to.equal(undefined);
  });
});
