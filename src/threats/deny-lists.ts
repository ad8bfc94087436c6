/**
 * The IP deny lists the operator pushes, from every source, in one place: threat feeds publish
 * here, and so will decisions. Whatever a source hands in, what reaches the gateways is its
 * ranges minus private and reserved space (unless the source is explicitly allowed part of it)
 * minus every ThreatAllowlist — no source can get around either — cut into `ip-deny` shards
 * (domain/threats/deny-shards.ts) and published under the source's own owner, so its push status
 * comes back to it. An allowlist change re-publishes every source.
 *
 * Adding a source is one call per change of its ranges:
 *
 *   denyLists.set({ id: 'decisions', owner: pushOwner('ThreatPolicy', 'decisions'), selector, ranges });
 *
 * A set that differs from the last by one range changes one or two shards, and the push layer
 * sends only those (an incremental update) to gateways that hold the previous state.
 */
import type { LabelSelector } from '../api/meta/label-selector.js';
import { parseCidr } from '../domain/threats/cidrs.js';
import { shardRanges, SOURCE_ID } from '../domain/threats/deny-shards.js';
import { rangeSetVersion } from '../domain/threats/feed-rules.js';
import {
  EMPTY_RANGES,
  containsV4,
  containsV6,
  countTouched,
  rangeCount,
  sameRanges,
  subtract,
  type RangeSet,
} from '../domain/threats/ip-ranges.js';
import { RESERVED_RANGES } from '../domain/threats/reserved.js';
import { contentVersion, type ConfigResource } from '../domain/snapshot/snapshot.js';
import type { PublisherRef } from '../controllers/publisher.js';
import type { Logger } from '../runtime/logger.js';

export interface DenyListSource {
  /** `feed:<namespace>/<name>`, `decisions`, ...: unique, and the prefix of its shards' names. */
  readonly id: string;
  /** The pusher owner (pushOwner(kind, key)) its push status is routed to. */
  readonly owner: string;
  /** Which gateways; unset: every gateway the operator pushes to. */
  readonly selector: LabelSelector | undefined;
  readonly ranges: RangeSet;
  /** Content hash of `ranges`, if the source has it already (it saves hashing a large list). */
  readonly version?: string;
  /**
   * Reserved space this source may deny anyway, because its owner said so explicitly (a
   * decision policy that allows private ranges). Feeds have none: they never deny reserved space.
   */
  readonly allowReserved?: RangeSet;
}

/** What was published for a source. */
export interface PublishedDenyList {
  /** Ranges pushed, after reserved space and allowlists were taken out. */
  readonly ranges: number;
  /** Ranges of the source that allowlists cut or removed. */
  readonly allowlistedRanges: number;
  readonly shards: number;
  /** Content hash of the ranges pushed. */
  readonly version: string;
}

interface Entry {
  readonly source: DenyListSource;
  readonly version: string;
  readonly allowlistVersion: string;
  readonly resources: ConfigResource[];
  readonly published: PublishedDenyList;
}

export interface DenyListsOptions {
  readonly publisher: PublisherRef;
  /** Every ThreatAllowlist united, as it is now. */
  readonly allowlist: () => RangeSet;
  readonly logger: Logger;
  /** Called after each publication, e.g. for metrics. */
  readonly onPublished?: (id: string, published: PublishedDenyList) => void;
}

export class DenyLists {
  private readonly entries = new Map<string, Entry>();
  private allowlistRanges: RangeSet = EMPTY_RANGES;
  private allowlistVersion = rangeSetVersion(EMPTY_RANGES);

  constructor(private readonly options: DenyListsOptions) {}

  /** Publishes (or re-publishes) a source's list; cheap when nothing changed. */
  set(source: DenyListSource): PublishedDenyList {
    if (!SOURCE_ID.test(source.id)) throw new RangeError(`"${source.id}" is not a deny-list source id`);
    this.allowlistChanged();
    const version = source.version ?? rangeSetVersion(source.ranges);
    const before = this.entries.get(source.id);
    const entry =
      before?.version === version &&
      before.allowlistVersion === this.allowlistVersion &&
      sameReserved(before.source.allowReserved, source.allowReserved)
        ? { ...before, source }
        : this.compute(source, version);
    this.entries.set(source.id, entry);
    // The pusher compares with what the owner published before: an unchanged list costs nothing.
    this.options.publisher().publish(source.owner, source.selector, entry.resources);
    this.options.onPublished?.(source.id, entry.published);
    return entry.published;
  }

  remove(id: string): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    this.entries.delete(id);
    this.options.publisher().withdraw(entry.source.owner);
  }

  /** What was published for a source, if it is known. */
  published(id: string): PublishedDenyList | undefined {
    return this.entries.get(id)?.published;
  }

  /**
   * The allowlists may have changed (a ThreatAllowlist or its ConfigMap did): when they did, every
   * source is published again without what they now hold.
   */
  allowlistChanged(): void {
    if (!this.refreshAllowlist()) return;
    this.options.logger.info('allowlists changed; publishing every deny list again', {
      sources: this.entries.size,
      allowlistRanges: rangeCount(this.allowlistRanges),
    });
    for (const entry of [...this.entries.values()]) {
      const next = this.compute(entry.source, entry.version);
      this.entries.set(entry.source.id, next);
      this.options.publisher().publish(entry.source.owner, entry.source.selector, next.resources);
      this.options.onPublished?.(entry.source.id, next.published);
    }
  }

  /**
   * Whether no deny list may hold this address: allowlisted, or reserved space (unless
   * `allowReserved` covers it). Decisions ask before they decide.
   */
  isProtected(address: string, allowReserved: RangeSet = EMPTY_RANGES): boolean {
    this.refreshAllowlist();
    const cidr = parseCidr(address);
    if (!cidr) return false;
    const protectedRanges = [this.allowlistRanges, subtract(RESERVED_RANGES, allowReserved)];
    return protectedRanges.some((ranges) =>
      cidr.family === 4 ? containsV4(ranges, cidr.network) : containsV6(ranges, cidr.network),
    );
  }

  /** Re-reads the allowlists; true when they changed. */
  private refreshAllowlist(): boolean {
    const next = this.options.allowlist();
    if (sameRanges(next, this.allowlistRanges)) return false;
    this.allowlistRanges = next;
    this.allowlistVersion = rangeSetVersion(next);
    return true;
  }

  private compute(source: DenyListSource, version: string): Entry {
    const reserved = source.allowReserved ? subtract(RESERVED_RANGES, source.allowReserved) : RESERVED_RANGES;
    const withoutReserved = subtract(source.ranges, reserved);
    const ranges = subtract(withoutReserved, this.allowlistRanges);
    const resources = shardRanges(source.id, ranges).map((shard): ConfigResource => ({
      type: 'ip-deny',
      name: shard.name,
      version: contentVersion(shard.payload),
      payload: shard.payload,
    }));
    const published: PublishedDenyList = {
      ranges: rangeCount(ranges),
      allowlistedRanges: countTouched(withoutReserved, this.allowlistRanges),
      shards: resources.length,
      version: rangeSetVersion(ranges),
    };
    return { source, version, allowlistVersion: this.allowlistVersion, resources, published };
  }
}

function sameReserved(a: RangeSet | undefined, b: RangeSet | undefined): boolean {
  return sameRanges(a ?? EMPTY_RANGES, b ?? EMPTY_RANGES);
}
