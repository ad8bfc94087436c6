/** Splits a type's resources into messages that stay well under gRPC's 4 MiB receive limit. */
import type { ConfigResource } from '../domain/snapshot/snapshot.js';

export const MAX_CHUNK_BYTES = 3 * 1024 * 1024;

export interface Chunk {
  readonly index: number;
  readonly count: number;
  readonly bytes: number;
  readonly resources: readonly ConfigResource[];
}

export function chunkResources(resources: readonly ConfigResource[], maxBytes = MAX_CHUNK_BYTES): Chunk[] {
  const groups: { bytes: number; resources: ConfigResource[] }[] = [{ bytes: 0, resources: [] }];
  for (const resource of resources) {
    const size = resource.payload.byteLength + resource.name.length + resource.version.length + 16;
    let current = groups[groups.length - 1] as { bytes: number; resources: ConfigResource[] };
    if (current.resources.length > 0 && current.bytes + size > maxBytes) {
      current = { bytes: 0, resources: [] };
      groups.push(current);
    }
    current.resources.push(resource);
    current.bytes += size;
  }
  return groups.map((g, index) => ({ index, count: groups.length, bytes: g.bytes, resources: g.resources }));
}
