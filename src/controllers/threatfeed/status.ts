/**
 * The status a ThreatFeed shows, from what the reconcile found: the list in service and where it
 * came from, whether the last refresh failed or was refused (Degraded, while the last good list
 * stays in service and Ready stays True), whether the list is stale, and how many gateways
 * applied it. Pure.
 */
import { statusOf, type ThreatFeed, type ThreatFeedStatus } from '../../api/v1alpha1/index.js';
import { gatewaysStatus, syncedCondition } from '../../push/status-fields.js';
import type { PushStatus } from '../../push/push-status.js';
import { findCondition, setCondition, type ConditionInput } from '../../runtime/status/conditions.js';
import type { StoredFeedState } from '../../storage/threats/feed-repository.js';
import type { PublishedDenyList } from '../../threats/deny-lists.js';

export interface FeedView {
  /** What storage (or memory) holds for the feed; undefined before its first attempt. */
  readonly state: StoredFeedState | undefined;
  /** What the gateways are sent, when a good list is in service. */
  readonly published: PublishedDenyList | undefined;
  readonly refreshing: boolean;
  /** Why the store cannot be used, when it cannot. */
  readonly storeProblem: string | undefined;
  readonly nextRefreshAt: number | undefined;
  readonly stale: boolean;
  readonly staleAfterMs: number;
  readonly push: PushStatus;
}

export function threatFeedStatus(feed: ThreatFeed, view: FeedView, now: Date): ThreatFeedStatus {
  const generation = feed.metadata.generation;
  const list = view.published ? view.state?.list : undefined;
  let conditions = setCondition(statusOf(feed)?.conditions, degraded(view, generation), now);
  conditions = view.published
    ? syncedCondition(conditions, view.push, generation, now)
    : setCondition(
        conditions,
        {
          type: 'Synced',
          status: 'False',
          reason: 'NoList',
          message: 'No good list yet, so nothing is pushed.',
          observedGeneration: generation,
        },
        now,
      );
  conditions = setCondition(conditions, ready(view, conditions, generation), now);
  const iso = (date: Date | number | undefined): string | undefined =>
    date === undefined || !Number.isFinite(Number(date)) ? undefined : new Date(date).toISOString();
  const times = {
    lastRefreshTime: iso(list?.refreshedAt),
    lastChangeTime: iso(list?.changedAt),
    lastAttemptTime: iso(view.state?.lastAttemptAt),
    nextRefreshTime: iso(view.refreshing ? undefined : view.nextRefreshAt),
  };
  return {
    conditions,
    ...(list && view.published
      ? {
          entries: list.entries,
          ranges: view.published.ranges,
          reservedEntries: list.reservedEntries,
          allowlistedRanges: view.published.allowlistedRanges,
          listVersion: list.version,
        }
      : {}),
    ...Object.fromEntries(Object.entries(times).filter(([, v]) => v !== undefined)),
    gateways: gatewaysStatus(view.push),
  };
}

function since(date: Date): string {
  return date.toISOString();
}

function degraded(view: FeedView, observedGeneration: number | undefined): ConditionInput {
  const { state } = view;
  const list = view.published ? state?.list : undefined;
  const staleNote = view.stale
    ? ` The list is stale: ${list ? `last confirmed ${since(list.refreshedAt)}` : 'never confirmed'}, longer ago than staleAfter (${hours(view.staleAfterMs)}).`
    : '';
  if (state && state.failures > 0) {
    const serving = list
      ? `The last good list (${list.entries} entries, last confirmed ${since(list.refreshedAt)}) stays in service.`
      : 'No list was ever good, so nothing is pushed.';
    const at = state.lastAttemptAt ? ` at ${since(state.lastAttemptAt)}` : '';
    const times = state.failures > 1 ? ` (${state.failures} attempts in a row)` : '';
    return {
      type: 'Degraded',
      status: 'True',
      reason: state.lastReason ?? 'FetchFailed',
      message: `The refresh${at} was refused${times}: ${state.lastMessage ?? 'no reason recorded'}. ${serving}${staleNote}`,
      observedGeneration,
    };
  }
  if (view.stale) {
    return {
      type: 'Degraded',
      status: 'True',
      reason: 'Stale',
      message: `No refresh could run${view.storeProblem ? ` (${view.storeProblem})` : ''}.${staleNote}`,
      observedGeneration,
    };
  }
  const last = state?.lastAttemptAt
    ? `The last refresh at ${since(state.lastAttemptAt)} ${state.lastReason === 'NotModified' ? 'found the list unchanged (304 Not Modified)' : 'was good'}.`
    : 'No refresh has run yet.';
  return { type: 'Degraded', status: 'False', reason: 'AsExpected', message: last, observedGeneration };
}

function ready(
  view: FeedView,
  conditions: ReturnType<typeof setCondition>,
  observedGeneration: number | undefined,
): ConditionInput {
  if (!view.published) {
    const { state } = view;
    if (view.storeProblem && !state) {
      return {
        type: 'Ready',
        status: 'False',
        reason: 'StoreUnavailable',
        message: `Waiting for the store, where feed lists are kept: ${view.storeProblem}`,
        observedGeneration,
      };
    }
    if (state && state.failures > 0) {
      const degradedNow = findCondition(conditions, 'Degraded');
      return {
        type: 'Ready',
        status: 'False',
        reason: degradedNow?.reason ?? 'FetchFailed',
        message: degradedNow?.message ?? 'The first download failed.',
        observedGeneration,
      };
    }
    return {
      type: 'Ready',
      status: 'False',
      reason: 'Pending',
      message: view.refreshing
        ? 'Downloading the list for the first time.'
        : 'Waiting for the first download.',
      observedGeneration,
    };
  }
  const synced = findCondition(conditions, 'Synced');
  if (synced && synced.status !== 'True') {
    return {
      type: 'Ready',
      status: 'False',
      reason: synced.reason,
      message: synced.message,
      observedGeneration,
    };
  }
  const list = view.state?.list;
  return {
    type: 'Ready',
    status: 'True',
    reason: 'Ready',
    message: `${view.published.ranges} ranges from ${list?.entries ?? 0} entries are applied by ${view.push.summary} gateways.`,
    observedGeneration,
  };
}

function hours(ms: number): string {
  const h = ms / 3_600_000;
  return Number.isInteger(h) ? `${h}h` : `${Math.round(ms / 60_000)}m`;
}
