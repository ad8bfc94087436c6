import { expect } from 'chai';
import { deepEqual, isSubset } from './deep-equal.js';
import { applyMergePatch, createMergePatch } from './merge-patch.js';
import type { JsonObject } from './deep-equal.js';

describe('createMergePatch', () => {
  const cases: { name: string; current: unknown; desired: JsonObject; patch: JsonObject | undefined }[] = [
    {
      name: 'is undefined when nothing changed',
      current: { a: 1, b: { c: [1, 2] } },
      desired: { b: { c: [1, 2] }, a: 1 },
      patch: undefined,
    },
    {
      name: 'ignores undefined members on both sides',
      current: { a: 1, x: undefined },
      desired: { a: 1, y: undefined },
      patch: undefined,
    },
    { name: 'sets a changed scalar', current: { a: 1 }, desired: { a: 2 }, patch: { a: 2 } },
    {
      name: 'sets a removed key to null',
      current: { a: 1, gone: 'x' },
      desired: { a: 1 },
      patch: { gone: null },
    },
    {
      name: 'nulls a removed key inside a nested map instead of merging it away',
      current: { a: { keep: 1, gone: 2 } },
      desired: { a: { keep: 1 } },
      patch: { a: { gone: null } },
    },
    {
      name: 'replaces an array whole',
      current: { conditions: [{ type: 'A' }, { type: 'B' }] },
      desired: { conditions: [{ type: 'A' }] },
      patch: { conditions: [{ type: 'A' }] },
    },
    {
      name: 'writes everything when there was nothing',
      current: undefined,
      desired: { a: { b: 1 } },
      patch: { a: { b: 1 } },
    },
    {
      name: 'replaces a scalar by a map',
      current: { a: 1 },
      desired: { a: { b: 1 } },
      patch: { a: { b: 1 } },
    },
    { name: 'treats a wanted null as absent', current: { a: 1 }, desired: { a: null }, patch: { a: null } },
  ];
  for (const { name, current, desired, patch } of cases) {
    it(name, () => {
      expect(createMergePatch(current, desired)).to.deep.equal(patch);
      const withoutNulls = JSON.parse(
        JSON.stringify(desired, (_key, value: unknown) => value ?? undefined),
      ) as unknown;
      if (patch)
        expect(deepEqual(applyMergePatch(current, patch), withoutNulls), 'the patch yields desired').to.equal(
          true,
        );
    });
  }
});

describe('deepEqual', () => {
  it('ignores key order but not array order', () => {
    expect(deepEqual({ a: 1, b: [1, 2] }, { b: [1, 2], a: 1 })).to.equal(true);
    expect(deepEqual({ b: [2, 1] }, { b: [1, 2] })).to.equal(false);
  });

  it('tells a missing key from a different value', () => {
    expect(deepEqual({ a: 1 }, { a: 1, b: 2 })).to.equal(false);
    expect(deepEqual({ a: 1, b: undefined }, { a: 1 })).to.equal(true);
    expect(deepEqual({ a: null }, { a: undefined })).to.equal(false);
  });
});

describe('isSubset', () => {
  const cases: { name: string; want: unknown; have: unknown; result: boolean }[] = [
    {
      name: 'accepts extra keys on the server',
      want: { a: 1 },
      have: { a: 1, defaulted: true },
      result: true,
    },
    { name: 'refuses a different value', want: { a: 1 }, have: { a: 2 }, result: false },
    { name: 'refuses a missing key', want: { a: 1 }, have: {}, result: false },
    { name: 'compares array elements as subsets', want: [{ a: 1 }], have: [{ a: 1, b: 2 }], result: true },
    { name: 'refuses arrays of another length', want: [{ a: 1 }], have: [{ a: 1 }, { a: 2 }], result: false },
    { name: 'accepts an empty map the server did not store', want: { labels: {} }, have: {}, result: true },
    { name: 'accepts an empty list the server did not store', want: [], have: undefined, result: true },
  ];
  for (const { name, want, have, result } of cases) {
    it(name, () => {
      expect(isSubset(want, have)).to.equal(result);
    });
  }
});
