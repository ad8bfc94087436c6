/**
 * Threat-feed refreshes, run on the leader beside the controller rather than inside a reconcile:
 * a download may take minutes (spec.timeout), and a reconcile must stay short. At most a few run
 * at once (parsing a million lines is CPU work). Each reads the auth header's Secret, downloads
 * conditionally, parses, judges the result by the last-good rules, records the attempt (and a new
 * list) in storage, and hands the outcome back to the controller, which publishes and reports.
 */
import type { ThreatFeed } from '../../api/v1alpha1/index.js';
import { parseFeed } from '../../domain/threats/feed-parse.js';
import { judgeDownload, type DownloadOutcome, type Verdict } from '../../domain/threats/feed-rules.js';
import { rangeCount, type RangeSet } from '../../domain/threats/ip-ranges.js';
import type { Clock } from '../../runtime/clock.js';
import { isNotFound } from '../../runtime/kube/errors.js';
import type { KubeClient } from '../../runtime/kube/client.js';
import { CoreTypes, type KubeObject } from '../../runtime/kube/resource.js';
import type { Logger } from '../../runtime/logger.js';
import {
  stateAfter,
  type RecordedAttempt,
  type StoredFeedState,
  type ThreatFeedRepository,
} from '../../storage/threats/feed-repository.js';
import { fetchFeed, type FeedResponse } from '../../threats/feed-fetch.js';
import type { ThreatMetrics } from '../../threats/metrics.js';
import type { FeedSource } from './source.js';

export interface RefreshRequest {
  readonly key: string;
  readonly feed: ThreatFeed;
  readonly source: FeedSource;
  readonly previous: StoredFeedState | undefined;
}

export interface RefreshResult {
  readonly state: StoredFeedState;
  /** The new list, when the download was accepted. */
  readonly ranges: RangeSet | undefined;
  readonly verdict: Verdict;
}

export interface RefresherOptions {
  readonly client: KubeClient;
  readonly repository: () => ThreatFeedRepository | undefined;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics?: ThreatMetrics;
  readonly concurrency?: number;
  readonly onDone: (key: string, result: RefreshResult) => void;
}

type Secret = KubeObject & { data?: Record<string, string> };

export class FeedRefresher {
  private readonly running = new Map<string, AbortController>();
  private readonly waiting: RefreshRequest[] = [];
  private active = 0;

  constructor(private readonly options: RefresherOptions) {}

  /** Whether a refresh of this feed is queued or running. */
  busy(key: string): boolean {
    return this.running.has(key);
  }

  start(request: RefreshRequest): void {
    if (this.running.has(request.key)) return;
    this.running.set(request.key, new AbortController());
    this.waiting.push(request);
    this.next();
  }

  /** Abandons a refresh (its feed is gone). */
  cancel(key: string): void {
    this.running.get(key)?.abort();
    this.running.delete(key);
  }

  stop(): void {
    for (const aborter of this.running.values()) aborter.abort();
    this.running.clear();
    this.waiting.length = 0;
  }

  private next(): void {
    while (this.active < (this.options.concurrency ?? 2)) {
      const request = this.waiting.shift();
      if (!request) return;
      const aborter = this.running.get(request.key);
      if (!aborter) continue;
      this.active += 1;
      void this.run(request, aborter.signal)
        .then(
          (result) => {
            if (this.running.get(request.key) !== aborter) return;
            this.running.delete(request.key);
            this.options.onDone(request.key, result);
          },
          (error: unknown) => {
            if (this.running.get(request.key) === aborter) this.running.delete(request.key);
            this.options.logger.error('threat feed refresh failed unexpectedly', {
              feed: request.key,
              err: error,
            });
          },
        )
        .finally(() => {
          this.active -= 1;
          this.next();
        });
    }
  }

  private async run(request: RefreshRequest, signal: AbortSignal): Promise<RefreshResult> {
    const { key, feed, source, previous } = request;
    const { clock, logger, metrics } = this.options;
    const started = clock.now();
    const uid = feed.metadata.uid ?? '';
    const kept = previous?.uid === uid ? previous : undefined;
    const inService = kept?.list;
    const sameSource = inService?.sourceHash === source.hash;
    const outcome = await this.download(request, sameSource ? inService : undefined, signal);
    const verdict = judgeDownload(
      outcome.outcome,
      inService ? { entries: inService.entries, sameSource } : undefined,
      source.limits,
    );
    const attempt = recorded(verdict, outcome.response);
    const at = new Date(clock.now());
    const state = stateAfter(kept, key, uid, source.hash, at, attempt);
    const repository = this.options.repository();
    try {
      if (!repository) throw new Error('the store is not connected');
      await repository.record(key, uid, source.hash, at, attempt, previous);
    } catch (error) {
      // Served from memory until the next attempt; a restart before then loses only this one.
      logger.warn('could not store a threat feed refresh; serving it from memory', {
        feed: key,
        error: (error as Error).message,
      });
    }
    const outcomeLabel =
      verdict.kind === 'rejected'
        ? verdict.reason
        : verdict.kind === 'accepted'
          ? 'Refreshed'
          : 'NotModified';
    metrics?.refreshes.inc({ outcome: outcomeLabel });
    metrics?.refreshSeconds.observe((clock.now() - started) / 1000);
    logger.info('threat feed refreshed', {
      feed: key,
      outcome: outcomeLabel,
      ...(verdict.kind === 'rejected' ? { reason: verdict.message } : {}),
      ...(verdict.kind === 'accepted'
        ? { entries: verdict.list.entries, ranges: rangeCount(verdict.list.ranges) }
        : {}),
      ms: clock.now() - started,
    });
    return { state, ranges: verdict.kind === 'accepted' ? verdict.list.ranges : undefined, verdict };
  }

  private async download(
    { feed, source }: RefreshRequest,
    validators: { etag?: string | undefined; lastModified?: string | undefined } | undefined,
    signal: AbortSignal,
  ): Promise<{ outcome: DownloadOutcome; response?: FeedResponse }> {
    const header = await this.authHeader(feed);
    if (typeof header === 'string') {
      return { outcome: { kind: 'failed', reason: 'AuthSecretNotFound', message: header } };
    }
    const response = await fetchFeed({
      url: feed.spec.url,
      ...(header ? { header } : {}),
      ...(validators?.etag ? { etag: validators.etag } : {}),
      ...(validators?.lastModified ? { lastModified: validators.lastModified } : {}),
      timeoutMs: source.timeoutMs,
      maxBytes: feed.spec.maxBytes,
      signal,
    });
    if (response.kind !== 'body') return { outcome: response, response };
    return { outcome: { kind: 'body', parsed: parseFeed(response.body, source.format) }, response };
  }

  /** The header from its Secret, or what is wrong with the reference (never the value). */
  private async authHeader(
    feed: ThreatFeed,
  ): Promise<{ readonly name: string; readonly value: string } | undefined | string> {
    const auth = feed.spec.authHeader;
    if (!auth) return undefined;
    const { name, key } = auth.secretRef;
    let secret: Secret;
    try {
      secret = await this.options.client.get<Secret>(CoreTypes.secret, feed.metadata.namespace, name);
    } catch (error) {
      if (isNotFound(error)) return `Secret ${name} (spec.authHeader.secretRef) was not found`;
      throw error;
    }
    const encoded = secret.data?.[key];
    if (encoded === undefined) return `Secret ${name} has no key ${key} (spec.authHeader.secretRef)`;
    // A trailing newline (echo > file; kubectl create secret --from-file) is never part of a header.
    const value = Buffer.from(encoded, 'base64')
      .toString('utf8')
      .replace(/\r?\n$/, '');
    if (/[\r\n]/.test(value)) return `Secret ${name}, key ${key}: a header value cannot span lines`;
    return { name: auth.name, value };
  }
}

function recorded(verdict: Verdict, response: FeedResponse | undefined): RecordedAttempt {
  if (verdict.kind === 'rejected')
    return { kind: 'failed', reason: verdict.reason, message: verdict.message };
  if (verdict.kind === 'not-modified') return { kind: 'not-modified' };
  const body = response?.kind === 'body' ? response : undefined;
  return {
    kind: 'accepted',
    version: verdict.list.version,
    ranges: verdict.list.ranges,
    rangeCount: rangeCount(verdict.list.ranges),
    entries: verdict.list.entries,
    reservedEntries: verdict.list.reservedEntries,
    etag: body?.etag,
    lastModified: body?.lastModified,
  };
}
