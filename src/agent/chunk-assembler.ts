/**
 * Reassembles a SyncConfig update the worker split into chunks to stay under gRPC's 4 MiB message
 * limit. Chunks of one update share type, version and chunk_count and arrive in index order on
 * one stream; anything else is a broken update, and applying part of it would be worse than
 * applying nothing.
 */
import type { SyncConfigRequest } from '../generated/gateway/worker/v1/agent.js';
import type { Resource, ResourceType } from '../generated/gateway/worker/v1/resources.js';

/** 1,024 chunks of ~3 MiB is far beyond any real configuration; more is a runaway sender. */
export const MAX_CHUNKS = 1024;

export type Assembled =
  | {
      readonly kind: 'complete';
      readonly version: string;
      readonly nonce: string;
      readonly resources: Resource[];
      /** Set for an incremental update (see SyncConfigRequest.base_version). */
      readonly delta?: Delta;
    }
  | { readonly kind: 'partial' }
  | { readonly kind: 'broken'; readonly message: string };

export interface Delta {
  readonly baseVersion: string;
  readonly removed: readonly string[];
}

interface Pending {
  readonly version: string;
  readonly delta: Delta | undefined;
  readonly count: number;
  next: number;
  readonly resources: Resource[];
}

/** One per stream: chunks never continue across streams. */
export class ChunkAssembler {
  private readonly pending = new Map<ResourceType, Pending>();

  add(request: SyncConfigRequest): Assembled {
    const { type, version, nonce, chunkIndex: index } = request;
    // proto3 sends 0 for an unset count: an unchunked update.
    const count = Math.max(request.chunkCount, 1);
    if (count > MAX_CHUNKS)
      return this.broken(type, `chunk_count ${count} is over the limit of ${MAX_CHUNKS}`);
    if (index >= count) return this.broken(type, `chunk_index ${index} is not below chunk_count ${count}`);
    if (index === 0) {
      // A new first chunk supersedes an update the worker abandoned half-way.
      const { baseVersion, removed } = request;
      this.pending.set(type, {
        version,
        delta: baseVersion ? { baseVersion, removed } : undefined,
        count,
        next: 1,
        resources: [...request.resources],
      });
    } else {
      const pending = this.pending.get(type);
      if (!pending || pending.version !== version || pending.count !== count || pending.next !== index) {
        const expected = pending
          ? `chunk ${pending.next} of ${pending.count} for version ${pending.version}`
          : 'a first chunk (index 0)';
        return this.broken(
          type,
          `out-of-order chunk ${index} of ${count} for version ${version}; expected ${expected}`,
        );
      }
      pending.resources.push(...request.resources);
      pending.next += 1;
    }
    const current = this.pending.get(type) as Pending;
    if (current.next < count) return { kind: 'partial' };
    this.pending.delete(type);
    return {
      kind: 'complete',
      version,
      nonce,
      resources: current.resources,
      ...(current.delta ? { delta: current.delta } : {}),
    };
  }

  private broken(type: ResourceType, message: string): Assembled {
    this.pending.delete(type);
    return { kind: 'broken', message };
  }
}
