/**
 * The last-good rules of a threat feed: a refresh replaces the list in service only when it is
 * whole and plausible. It is refused — and the last good list stays in service, with the reason
 * in the feed's Degraded condition — when the download failed, timed out, was cut short or too
 * large, when more than 1 % of its entries do not parse, when it holds nothing (or nothing but
 * reserved space), or when it shrank by more than the feed allows (half, by default) against the
 * list in service. Pure: the outcome of a download in, a verdict out.
 */
import { contentVersion } from '../snapshot/snapshot.js';
import { isEmpty, rangeCount, subtract, type RangeSet } from './ip-ranges.js';
import type { LineProblem, ParsedFeed } from './feed-parse.js';
import { RESERVED_RANGES } from './reserved.js';
import { encodeRangeSet } from './range-codec.js';

/** Why a refresh did not replace the list; each is a condition reason. */
export const FEED_FAILURE_REASONS = [
  'FetchFailed',
  'HttpError',
  'Timeout',
  'TooLarge',
  'Truncated',
  'AuthSecretNotFound',
  'ParseErrors',
  'TooManyEntries',
  'Empty',
  'Shrunk',
] as const;
export type FeedFailureReason = (typeof FEED_FAILURE_REASONS)[number];

/** What a download gave. */
export type DownloadOutcome =
  | { readonly kind: 'not-modified' }
  | { readonly kind: 'body'; readonly parsed: ParsedFeed }
  | { readonly kind: 'failed'; readonly reason: FeedFailureReason; readonly message: string };

/** A list good enough to serve. */
export interface FeedList {
  /** Aggregated, reserved space stripped. */
  readonly ranges: RangeSet;
  /** Valid entries the feed listed. */
  readonly entries: number;
  /** Of those, entries that reached into reserved space (and were cut out of `ranges`). */
  readonly reservedEntries: number;
  /** Content hash of `ranges`. */
  readonly version: string;
}

export interface FeedLimits {
  readonly maxEntries: number;
  /** A refresh with fewer entries than (100 - this) % of the list in service is refused. */
  readonly maxShrinkPercent: number;
}

/** More invalid entries than this share means the body is not the list it should be. */
export const MAX_INVALID_SHARE = 0.01;

export type Verdict =
  | { readonly kind: 'accepted'; readonly list: FeedList }
  /** The server says the list in service is current. */
  | { readonly kind: 'not-modified' }
  | { readonly kind: 'rejected'; readonly reason: FeedFailureReason; readonly message: string };

export interface ListInService {
  readonly entries: number;
  /** False when the feed's source settings changed since it was fetched: no shrink check then. */
  readonly sameSource: boolean;
}

export function judgeDownload(
  outcome: DownloadOutcome,
  inService: ListInService | undefined,
  limits: FeedLimits,
): Verdict {
  if (outcome.kind === 'failed')
    return { kind: 'rejected', reason: outcome.reason, message: outcome.message };
  if (outcome.kind === 'not-modified') {
    if (inService?.sameSource) return { kind: 'not-modified' };
    return {
      kind: 'rejected',
      reason: 'FetchFailed',
      message: 'the server answered 304 Not Modified, but there is no list of this source to keep',
    };
  }
  const parsed = outcome.parsed;
  if (parsed.unreadable !== undefined) {
    return {
      kind: 'rejected',
      reason: 'ParseErrors',
      message: `the body could not be read: ${parsed.unreadable}`,
    };
  }
  const total = parsed.entries + parsed.invalid;
  if (parsed.invalid > total * MAX_INVALID_SHARE) {
    const share = ((parsed.invalid / total) * 100).toFixed(1);
    return {
      kind: 'rejected',
      reason: 'ParseErrors',
      message: `${parsed.invalid} of ${total} entries (${share} %) are not addresses or CIDRs, more than the 1 % a good list may have: ${describe(parsed.problems)}`,
    };
  }
  if (parsed.entries > limits.maxEntries) {
    return {
      kind: 'rejected',
      reason: 'TooManyEntries',
      message: `the feed lists ${parsed.entries} entries, more than spec.maxEntries (${limits.maxEntries})`,
    };
  }
  if (parsed.entries === 0) {
    return {
      kind: 'rejected',
      reason: 'Empty',
      message: 'the feed lists no entries; an empty list is never pushed',
    };
  }
  const floor = inService?.sameSource ? inService.entries * (1 - limits.maxShrinkPercent / 100) : 0;
  if (inService?.sameSource && parsed.entries < floor) {
    const shrink = (((inService.entries - parsed.entries) / inService.entries) * 100).toFixed(0);
    return {
      kind: 'rejected',
      reason: 'Shrunk',
      message: `the feed lists ${parsed.entries} entries, ${shrink} % fewer than the ${inService.entries} of the list in service, more than spec.maxShrinkPercent (${limits.maxShrinkPercent} %) allows; if the provider really shrank it, raise maxShrinkPercent`,
    };
  }
  const ranges = subtract(parsed.ranges, RESERVED_RANGES);
  if (isEmpty(ranges)) {
    return {
      kind: 'rejected',
      reason: 'Empty',
      message: `all ${parsed.entries} entries are in private or reserved space, which is never pushed; an empty list is never pushed`,
    };
  }
  return {
    kind: 'accepted',
    list: {
      ranges,
      entries: parsed.entries,
      reservedEntries: parsed.reservedEntries,
      version: rangeSetVersion(ranges),
    },
  };
}

export function rangeSetVersion(ranges: RangeSet): string {
  const { v4, v6 } = encodeRangeSet(ranges);
  return contentVersion(Buffer.concat([v4, Buffer.from([0]), v6]));
}

function describe(problems: readonly LineProblem[]): string {
  return problems.map((p) => `line ${p.line}: ${p.message}`).join('; ');
}

/** Ranges in a list, for messages and status. */
export function listRanges(list: FeedList): number {
  return rangeCount(list.ranges);
}
