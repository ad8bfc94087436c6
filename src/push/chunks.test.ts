import { expect } from 'chai';
import type { ConfigResource } from '../domain/snapshot/snapshot.js';
import { chunkResources } from './chunks.js';

const resource = (name: string, bytes: number): ConfigResource => ({
  type: 'routes',
  name,
  version: 'v',
  payload: new Uint8Array(bytes),
});

describe('chunking an update', () => {
  it('keeps a small update in one message', () => {
    const chunks = chunkResources([resource('a', 10), resource('b', 10)], 1_000);
    expect(chunks.map((c) => [c.index, c.count, c.resources.length])).to.deep.equal([[0, 1, 2]]);
  });

  it('splits at the size limit, in order, numbering every chunk with the total', () => {
    const chunks = chunkResources([resource('a', 600), resource('b', 600), resource('c', 100)], 1_000);
    expect(chunks.map((c) => c.resources.map((r) => r.name))).to.deep.equal([['a'], ['b', 'c']]);
    expect(chunks.map((c) => [c.index, c.count])).to.deep.equal([
      [0, 2],
      [1, 2],
    ]);
  });

  it('sends a resource larger than the limit alone rather than dropping it', () => {
    const chunks = chunkResources([resource('huge', 5_000), resource('b', 1)], 1_000);
    expect(chunks.map((c) => c.resources.map((r) => r.name))).to.deep.equal([['huge'], ['b']]);
  });

  it('still sends one (empty) message for an empty state, so removals reach the gateway', () => {
    expect(chunkResources([], 1_000)).to.deep.equal([{ index: 0, count: 1, bytes: 0, resources: [] }]);
  });
});
