/**
 * Gateways with the same labels receive the same resources; at 5,000 RouteConfigs that is 9 MiB
 * of protobuf per gateway per update. The resources are chunked and encoded once per snapshot
 * and shared: a protobuf message may carry its fields in any order, and two encodings
 * concatenated parse as one message, so each gateway's update is its own envelope (type,
 * version, nonce, chunk) followed by the shared bytes of its resources.
 */
import { makeGenericClientConstructor } from '@grpc/grpc-js';
import type { ConfigResource } from '../domain/snapshot/snapshot.js';
import {
  GatewayAgentClient,
  GatewayAgentService,
  SyncConfigRequest,
} from '../generated/gateway/worker/v1/agent.js';
import type { Resource } from '../generated/gateway/worker/v1/resources.js';
import { chunkResources } from './chunks.js';

export interface EncodableChunk {
  readonly index: number;
  readonly count: number;
  readonly bytes: number;
  /** The same array for every gateway that is sent this chunk: the key of its encoding. */
  readonly resources: Resource[];
}

const chunked = new WeakMap<readonly ConfigResource[], readonly EncodableChunk[]>();
const encoded = new WeakMap<readonly Resource[], Buffer>();

/** The chunks of a group's resources, the same objects for as long as the group is. */
export function chunksOf(resources: readonly ConfigResource[]): readonly EncodableChunk[] {
  let chunks = chunked.get(resources);
  if (chunks === undefined) {
    chunks = chunkResources(resources).map((chunk) => ({
      index: chunk.index,
      count: chunk.count,
      bytes: chunk.bytes,
      resources: chunk.resources.map((r) => ({
        name: r.name,
        version: r.version,
        // A view, not a copy: payloads can be megabytes.
        payload: Buffer.from(r.payload.buffer, r.payload.byteOffset, r.payload.byteLength),
      })),
    }));
    chunked.set(resources, chunks);
  }
  return chunks;
}

export function serializeSyncConfig(request: SyncConfigRequest): Buffer {
  let body = encoded.get(request.resources);
  if (!body) {
    // Only the repeated field: proto3 leaves every other (default) field out.
    body = Buffer.from(
      SyncConfigRequest.encode(SyncConfigRequest.fromPartial({ resources: request.resources })).finish(),
    );
    encoded.set(request.resources, body);
  }
  const envelope = SyncConfigRequest.encode({ ...request, resources: [] }).finish();
  return Buffer.concat([envelope, body]);
}

/** The generated client, with SyncConfig updates serialized through the shared encodings. */
export const SharedEncodingAgentClient = makeGenericClientConstructor(
  {
    ...GatewayAgentService,
    syncConfig: { ...GatewayAgentService.syncConfig, requestSerialize: serializeSyncConfig },
  },
  'gateway.worker.v1.GatewayAgent',
) as unknown as typeof GatewayAgentClient;
