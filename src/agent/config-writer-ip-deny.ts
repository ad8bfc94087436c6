/**
 * IP_DENY_LIST: shards of IP deny lists (threat feeds, decisions) united into the ip_blacklist
 * of waf-ip-lists.yaml, beside the WAF rule sets' own lists (ip-lists-file.ts). Each shard is a
 * binary range list (domain/threats/range-codec.ts) named `<source>#<family>-<first start>`; a
 * shard received before with the same bytes is not decoded again, so an incremental update of
 * one shard costs one shard's decoding plus the union and the file.
 */
import type { ResourceError } from '../generated/gateway/worker/v1/agent.js';
import { sweepV4, sweepV6, type RangeSet } from '../domain/threats/ip-ranges.js';
import { decodeRanges, type DecodedRanges } from '../domain/threats/range-codec.js';
import { SOURCE_ID } from '../domain/threats/deny-shards.js';
import type { ConfigWriterFactory } from './config-writer.js';

const SHARD_NAME = /^(.+)#([46])-([0-9a-f]{8}|[0-9a-f]{32})$/;

interface Decoded {
  readonly payload: Buffer;
  readonly ranges: DecodedRanges;
}

/** The shard's ranges, or why the agent refuses it. */
function decodeShard(name: string, payload: Buffer): DecodedRanges | string {
  const match = SHARD_NAME.exec(name);
  if (!match || !SOURCE_ID.test(match[1] ?? '')) {
    return 'the name must be <source>#<4|6>-<first address in hex>, e.g. feed:edge/drop#4-010a1000';
  }
  const decoded = decodeRanges(payload);
  if (typeof decoded === 'string') return decoded;
  if (String(decoded.family) !== match[2])
    return `the name says IPv${match[2]}, the payload holds IPv${decoded.family}`;
  return decoded;
}

/** Every shard's ranges united: overlapping sources (two feeds, a feed and a decision) merge. */
export function uniteShards(shards: readonly DecodedRanges[]): RangeSet {
  let v4Count = 0;
  const v6Starts: bigint[] = [];
  const v6Ends: bigint[] = [];
  for (const shard of shards) if (shard.family === 4) v4Count += shard.pairs.length / 2;
  const starts = new Float64Array(v4Count);
  const ends = new Float64Array(v4Count);
  let at = 0;
  for (const shard of shards) {
    if (shard.family === 4) {
      for (let i = 0; i < shard.pairs.length; i += 2) {
        starts[at] = shard.pairs[i] as number;
        ends[at] = (shard.pairs[i + 1] as number) + 1;
        at += 1;
      }
    } else {
      for (let i = 0; i < shard.pairs.length; i += 2) {
        v6Starts.push(shard.pairs[i] as bigint);
        v6Ends.push((shard.pairs[i + 1] as bigint) + 1n);
      }
    }
  }
  return { v4: sweepV4(starts, ends), v6: sweepV6(v6Starts, v6Ends) };
}

export const ipDenyWriter: ConfigWriterFactory = ({ ipLists }) => {
  let applied = new Map<string, Decoded>();
  return {
    loadVersion: () => ipLists.ipDenyVersion(),
    check(version, resources) {
      const errors: ResourceError[] = [];
      const next = new Map<string, Decoded>();
      for (const r of resources) {
        const payload = Buffer.from(r.payload.buffer, r.payload.byteOffset, r.payload.byteLength);
        const before = applied.get(r.name);
        const ranges = before?.payload.equals(payload) ? before.ranges : decodeShard(r.name, payload);
        if (typeof ranges === 'string') errors.push({ name: r.name, message: ranges });
        else next.set(r.name, { payload, ranges });
      }
      if (errors.length > 0) return { errors };
      const ranges = uniteShards([...next.values()].map((d) => d.ranges));
      return {
        write: async () => {
          await ipLists.writeIpDeny(version, ranges);
          applied = next;
        },
      };
    },
  };
};
