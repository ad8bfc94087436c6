import { expect } from 'chai';
import { contentVersion, type ConfigResource } from '../domain/snapshot/snapshot.js';
import { SyncConfigRequest } from '../generated/gateway/worker/v1/agent.js';
import { ResourceType } from '../generated/gateway/worker/v1/resources.js';
import { chunksOf, serializeSyncConfig } from './shared-encoding.js';

function resource(i: number, size: number): ConfigResource {
  const payload = new TextEncoder().encode(JSON.stringify({ i, filler: 'x'.repeat(size) }));
  return { type: 'routes', name: `ns/rc-${i}`, version: contentVersion(payload), payload };
}

describe('shared encoding of SyncConfig updates', () => {
  const resources = Array.from({ length: 40 }, (_, i) => resource(i, 200_000));

  it('chunks a group once: every gateway gets the same chunk objects, under 4 MiB each', () => {
    const chunks = chunksOf(resources);
    expect(chunksOf(resources)).to.equal(chunks);
    expect(chunks.length).to.be.greaterThan(1);
    expect(chunks.flatMap((c) => c.resources.map((r) => r.name))).to.deep.equal(resources.map((r) => r.name));
    for (const chunk of chunks) expect(chunk.count).to.equal(chunks.length);
  });

  it('serializes to exactly what the generated decoder reads back, envelope and resources', () => {
    const [chunk] = chunksOf(resources);
    if (!chunk) throw new Error('no chunk');
    for (const nonce of ['nonce-a', 'nonce-b']) {
      const request: SyncConfigRequest = {
        type: ResourceType.RESOURCE_TYPE_ROUTES,
        version: 'v1',
        nonce,
        resources: chunk.resources,
        chunkIndex: chunk.index,
        chunkCount: chunk.count,
        baseVersion: '',
        removed: [],
      };
      const bytes = serializeSyncConfig(request);
      expect(bytes.length).to.be.below(4 * 1024 * 1024);
      expect(SyncConfigRequest.decode(bytes)).to.deep.equal(request);
    }
  });

  it('gives a message with no resources the same bytes as the generated encoder', () => {
    const request: SyncConfigRequest = {
      type: ResourceType.RESOURCE_TYPE_WAF_RULES,
      version: 'v2',
      nonce: 'n',
      resources: [],
      chunkIndex: 0,
      chunkCount: 1,
      baseVersion: 'v1',
      removed: ['ns/gone'],
    };
    expect(serializeSyncConfig(request)).to.deep.equal(
      Buffer.from(SyncConfigRequest.encode(request).finish()),
    );
  });
});
