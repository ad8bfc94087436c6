/**
 * Aggregation groups, with Alertmanager's semantics (its dispatch.go and DedupStage), as pure
 * functions over plain state so the notifier can store the state and replay it after a restart:
 *
 * - a new group waits `groupWait` for more alerts, then flushes; it flushes at once when an
 *   alert in it started more than `groupWait` ago (nothing is gained by waiting);
 * - after that it flushes every `groupInterval`;
 * - a flush notifies a channel only when something changed since the last notification to it
 *   (a new firing alert, or a resolved one when `sendResolved`), when everything resolved, or
 *   when `repeatInterval` passed — the notification log (one entry per group and channel) is
 *   what it compares with;
 * - resolved alerts leave the group once flushed, and an empty group is deleted.
 *
 * One-off events (a job that died, a decision taken) have no "resolved": they are sent in the
 * next flush and then leave the group; they never repeat.
 */
import type { Alert } from './event.js';
import type { GroupTiming } from './policy.js';

export interface GroupState {
  readonly policy: string;
  readonly key: string;
  readonly labels: Readonly<Record<string, string>>;
  /** By fingerprint. */
  readonly alerts: Readonly<Record<string, Alert>>;
  readonly nextFlushAt: number;
  readonly flushed: boolean;
  readonly createdAt: number;
}

/** What was last sent to one channel about one group (Alertmanager's notification log). */
export interface LogEntry {
  readonly firing: readonly string[];
  readonly resolved: readonly string[];
  readonly notifiedAt: number;
}

export interface GroupSend {
  readonly channel: string;
  readonly firing: readonly Alert[];
  readonly resolved: readonly Alert[];
}

export interface FlushResult {
  /** Undefined: the group is now empty and is deleted, with its log entries. */
  readonly group: GroupState | undefined;
  readonly sends: readonly GroupSend[];
  /** The log entry to store per channel, for channels whose entry changed. */
  readonly logs: ReadonlyMap<string, LogEntry>;
}

/**
 * The group after `alert` arrived in it; undefined when there is nothing to track (a resolved
 * alert the group never held, or for which no group exists: nobody was told it fired).
 */
export function insertAlert(
  group: GroupState | undefined,
  identity: {
    readonly policy: string;
    readonly key: string;
    readonly labels: Readonly<Record<string, string>>;
  },
  alert: Alert,
  timing: GroupTiming,
  now: number,
): GroupState | undefined {
  if (alert.status === 'resolved' && group?.alerts[alert.fingerprint] === undefined) return group;
  const base: GroupState = group ?? {
    ...identity,
    alerts: {},
    nextFlushAt: now + timing.groupWaitMs,
    flushed: false,
    createdAt: now,
  };
  const waitOver = !base.flushed && alert.startsAt + timing.groupWaitMs <= now;
  return {
    ...base,
    alerts: { ...base.alerts, [alert.fingerprint]: alert },
    nextFlushAt: waitOver ? Math.min(base.nextFlushAt, now) : base.nextFlushAt,
  };
}

/** Alertmanager's DedupStage.needsUpdate, over fingerprints. */
export function needsUpdate(
  entry: LogEntry | undefined,
  firing: ReadonlySet<string>,
  resolved: ReadonlySet<string>,
  sendResolved: boolean,
  repeatIntervalMs: number,
  now: number,
): boolean {
  if (!entry) return firing.size > 0;
  if (!isSubset(firing, entry.firing)) return true;
  // Everything resolved: clear the log even when resolved messages are not sent.
  if (firing.size === 0) return entry.firing.length > 0;
  if (sendResolved && !isSubset(resolved, entry.resolved)) return true;
  return entry.notifiedAt + repeatIntervalMs <= now;
}

export function flushGroup(
  group: GroupState,
  channels: readonly string[],
  logs: ReadonlyMap<string, LogEntry | undefined>,
  options: { readonly timing: GroupTiming; readonly sendResolved: boolean },
  now: number,
): FlushResult {
  const alerts = Object.values(group.alerts).sort(byStartThenFingerprint);
  const firingState = alerts.filter((a) => a.lifecycle === 'state' && a.status === 'firing');
  const oneshots = alerts.filter((a) => a.lifecycle === 'oneshot');
  const resolved = alerts.filter((a) => a.status === 'resolved');
  const firingSet = new Set(firingState.map((a) => a.fingerprint));
  const resolvedSet = new Set(resolved.map((a) => a.fingerprint));
  const sends: GroupSend[] = [];
  const written = new Map<string, LogEntry>();
  for (const channel of channels) {
    const entry = logs.get(channel);
    const due =
      oneshots.length > 0 ||
      needsUpdate(entry, firingSet, resolvedSet, options.sendResolved, options.timing.repeatIntervalMs, now);
    if (!due) continue;
    const firing = [...firingState, ...oneshots];
    const told = options.sendResolved ? resolved : [];
    if (firing.length > 0 || told.length > 0) sends.push({ channel, firing, resolved: told });
    written.set(channel, { firing: [...firingSet], resolved: [...resolvedSet], notifiedAt: now });
  }
  const remaining: Record<string, Alert> = {};
  for (const alert of firingState) remaining[alert.fingerprint] = alert;
  const next =
    firingState.length === 0
      ? undefined
      : { ...group, alerts: remaining, flushed: true, nextFlushAt: now + options.timing.groupIntervalMs };
  return { group: next, sends, logs: written };
}

function isSubset(items: ReadonlySet<string>, of: readonly string[]): boolean {
  if (items.size === 0) return true;
  const set = new Set(of);
  for (const item of items) if (!set.has(item)) return false;
  return true;
}

function byStartThenFingerprint(a: Alert, b: Alert): number {
  return (
    a.startsAt - b.startsAt || (a.fingerprint < b.fingerprint ? -1 : a.fingerprint > b.fingerprint ? 1 : 0)
  );
}
