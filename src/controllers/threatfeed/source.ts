/**
 * A ThreatFeed's spec as the refresher needs it: what is downloaded and how it is read (and the
 * hash of those settings, so a change is fetched at once and never judged against a list of
 * another source), its limits, and its times in milliseconds.
 */
import type { ThreatFeedSpec } from '../../api/v1alpha1/index.js';
import { durationMillis } from '../../api/v1alpha1/checks/duration.js';
import type { FeedFormat } from '../../domain/threats/feed-parse.js';
import type { FeedLimits } from '../../domain/threats/feed-rules.js';
import { contentVersion } from '../../domain/snapshot/snapshot.js';

export interface FeedSource {
  /** Hash of URL, format and auth header reference: what decides the list downloaded. */
  readonly hash: string;
  readonly format: FeedFormat;
  readonly limits: FeedLimits;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly staleAfterMs: number;
}

export function feedSource(spec: ThreatFeedSpec): FeedSource {
  const format = feedFormat(spec);
  const intervalMs = durationMillis(spec.refreshInterval);
  return {
    hash: contentVersion(JSON.stringify([spec.url, format, spec.authHeader ?? null])),
    format,
    limits: { maxEntries: spec.maxEntries, maxShrinkPercent: spec.maxShrinkPercent },
    intervalMs,
    timeoutMs: durationMillis(spec.timeout),
    staleAfterMs: spec.staleAfter === undefined ? 3 * intervalMs : durationMillis(spec.staleAfter),
  };
}

function feedFormat(spec: ThreatFeedSpec): FeedFormat {
  switch (spec.format) {
    case 'plain':
    case 'netset':
      return { type: spec.format };
    case 'csv': {
      const csv = spec.csv;
      return {
        type: 'csv',
        column: csv?.columnName ?? csv?.column ?? 1,
        delimiter: csv?.delimiter ?? ',',
        header: csv?.header ?? false,
      };
    }
    case 'json':
      return { type: 'json', path: spec.json?.path ?? '', lines: spec.json?.lines ?? false };
  }
}
