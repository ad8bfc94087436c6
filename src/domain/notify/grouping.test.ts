import { expect } from 'chai';
import { alertOf, type Alert } from './event.js';
import { flushGroup, insertAlert, needsUpdate, type GroupState, type LogEntry } from './grouping.js';
import { DEFAULT_TIMING, groupOf, type PolicyView } from './policy.js';

const T0 = Date.UTC(2026, 0, 1);
const S = 1000;
const M = 60 * S;
const H = 60 * M;
const timing = DEFAULT_TIMING;
const options = { timing, sendResolved: true };

const policy: PolicyView = {
  key: 'ops/all',
  namespace: 'ops',
  eventTypes: [],
  severities: [],
  matchers: [],
  groupBy: ['alertname'],
  timing,
  sendResolved: true,
  channels: ['ops/hook'],
};

function expiring(
  name: string,
  at: number,
  status: 'firing' | 'resolved' = 'firing',
  previous?: Alert,
): Alert {
  return alertOf(
    { type: 'CertificateExpiring', labels: { namespace: 'a', name, secret: name }, status },
    at,
    previous,
  );
}

function insert(group: GroupState | undefined, alert: Alert, now: number): GroupState | undefined {
  return insertAlert(group, { policy: policy.key, ...groupOf(policy, alert) }, alert, timing, now);
}

function flush(group: GroupState, logs: Map<string, LogEntry | undefined>, now: number) {
  const result = flushGroup(group, ['ops/hook'], logs, options, now);
  for (const [channel, entry] of result.logs) logs.set(channel, entry);
  return result;
}

describe('aggregation groups (Alertmanager semantics)', () => {
  it('waits groupWait before the first notification, and sends the alerts gathered meanwhile together', () => {
    let group = insert(undefined, expiring('c1', T0), T0);
    expect(group?.nextFlushAt).to.equal(T0 + 30 * S);
    group = insert(group, expiring('c2', T0 + 10 * S), T0 + 10 * S);
    expect(group?.nextFlushAt).to.equal(T0 + 30 * S);
    const result = flush(group!, new Map(), T0 + 30 * S);
    expect(result.sends).to.have.length(1);
    expect(result.sends[0]?.firing.map((a) => a.labels.name)).to.deep.equal(['c1', 'c2']);
    expect(result.group?.nextFlushAt).to.equal(T0 + 30 * S + 5 * M);
  });

  it('flushes at once when an alert started longer than groupWait ago', () => {
    const old = alertOf(
      { type: 'CertificateExpiring', labels: { namespace: 'a', name: 'c', secret: 'c' }, startsAt: T0 },
      T0 + H,
    );
    expect(insert(undefined, old, T0 + H)?.nextFlushAt).to.equal(T0 + H);
  });

  it('sends nothing at the next interval when nothing changed, and repeats after repeatInterval', () => {
    const logs = new Map<string, LogEntry | undefined>();
    let group = insert(undefined, expiring('c1', T0), T0)!;
    let now = T0 + 30 * S;
    group = flush(group, logs, now).group!;
    now += 5 * M;
    const quiet = flush(group, logs, now);
    expect(quiet.sends).to.deep.equal([]);
    group = quiet.group!;
    // Every interval up to 4 h after the first notification stays quiet; the first one past it repeats.
    let sent = 0;
    while (now < T0 + 30 * S + 4 * H) {
      now = group.nextFlushAt;
      const r = flush(group, logs, now);
      sent += r.sends.length;
      group = r.group!;
      if (r.sends.length > 0) break;
    }
    expect(sent).to.equal(1);
    expect(now).to.be.at.least(T0 + 30 * S + 4 * H);
    expect(now).to.be.below(T0 + 30 * S + 4 * H + 5 * M);
  });

  it('notifies a new firing alert at the next interval, with the others of the group', () => {
    const logs = new Map<string, LogEntry | undefined>();
    let group = insert(undefined, expiring('c1', T0), T0)!;
    group = flush(group, logs, T0 + 30 * S).group!;
    group = insert(group, expiring('c2', T0 + M), T0 + M)!;
    expect(group.nextFlushAt, 'a flushed group keeps its interval').to.equal(T0 + 30 * S + 5 * M);
    const r = flush(group, logs, group.nextFlushAt);
    expect(r.sends[0]?.firing.map((a) => a.labels.name)).to.deep.equal(['c1', 'c2']);
  });

  it('sends a resolved message, then deletes the empty group', () => {
    const logs = new Map<string, LogEntry | undefined>();
    const firing = expiring('c1', T0);
    let group = insert(undefined, firing, T0)!;
    group = flush(group, logs, T0 + 30 * S).group!;
    group = insert(group, expiring('c1', T0 + M, 'resolved', firing), T0 + M)!;
    const r = flush(group, logs, group.nextFlushAt);
    expect(r.sends).to.have.length(1);
    expect(r.sends[0]?.firing).to.deep.equal([]);
    expect(r.sends[0]?.resolved.map((a) => [a.labels.name, a.status, a.startsAt, a.endsAt])).to.deep.equal([
      ['c1', 'resolved', T0, T0 + M],
    ]);
    expect(r.group).to.equal(undefined);
  });

  it('does not send resolved alerts to a policy without sendResolved, yet clears its log', () => {
    const logs = new Map<string, LogEntry | undefined>();
    const firing = expiring('c1', T0);
    let group = insert(undefined, firing, T0)!;
    const first = flushGroup(group, ['ops/hook'], logs, { timing, sendResolved: false }, T0 + 30 * S);
    for (const [channel, entry] of first.logs) logs.set(channel, entry);
    group = first.group!;
    group = insert(group, expiring('c1', T0 + M, 'resolved', firing), T0 + M)!;
    const r = flushGroup(group, ['ops/hook'], logs, { timing, sendResolved: false }, group.nextFlushAt);
    expect(r.sends).to.deep.equal([]);
    expect(r.logs.get('ops/hook')?.firing).to.deep.equal([]);
  });

  it('tells nobody about an alert that fired and resolved before the first flush', () => {
    const firing = expiring('c1', T0);
    let group = insert(undefined, firing, T0)!;
    group = insert(group, expiring('c1', T0 + 5 * S, 'resolved', firing), T0 + 5 * S)!;
    const r = flushGroup(group, ['ops/hook'], new Map(), options, T0 + 30 * S);
    expect(r.sends).to.deep.equal([]);
    expect(r.group).to.equal(undefined);
  });

  it('ignores a resolution for an alert no group holds', () => {
    expect(insert(undefined, expiring('c1', T0, 'resolved'), T0)).to.equal(undefined);
  });

  it('sends one-off events once, never repeats them and never resolves them', () => {
    const logs = new Map<string, LogEntry | undefined>();
    const job = alertOf(
      { type: 'JobFailed', labels: { job_kind: 'db.backup', target: 'a/b', job: '1' } },
      T0,
    );
    const group = insert(undefined, job, T0)!;
    const r = flush(group, logs, T0 + 30 * S);
    expect(r.sends[0]?.firing.map((a) => a.type)).to.deep.equal(['JobFailed']);
    expect(r.group, 'nothing left to track').to.equal(undefined);
  });

  it('keeps notifying each channel by its own log', () => {
    const group = insert(undefined, expiring('c1', T0), T0)!;
    const logs = new Map<string, LogEntry | undefined>([
      [
        'ops/told',
        { firing: [group.alerts[Object.keys(group.alerts)[0]!]!.fingerprint], resolved: [], notifiedAt: T0 },
      ],
    ]);
    const r = flushGroup(group, ['ops/told', 'ops/new'], logs, options, T0 + 30 * S);
    expect(r.sends.map((s) => s.channel)).to.deep.equal(['ops/new']);
  });
});

describe("Alertmanager's needsUpdate", () => {
  const entry = (firing: string[], resolved: string[] = [], notifiedAt = T0): LogEntry => ({
    firing,
    resolved,
    notifiedAt,
  });
  const cases: [string, LogEntry | undefined, string[], string[], boolean, number, boolean][] = [
    ['first notification with firing alerts', undefined, ['a'], [], true, T0, true],
    ['first notification with only resolved alerts', undefined, [], ['a'], true, T0, false],
    ['a new firing alert', entry(['a']), ['a', 'b'], [], true, T0, true],
    ['fewer firing alerts, none resolved to tell', entry(['a', 'b']), ['a'], [], true, T0, false],
    ['a newly resolved alert with sendResolved', entry(['a', 'b']), ['a'], ['b'], true, T0, true],
    ['a newly resolved alert without sendResolved', entry(['a', 'b']), ['a'], ['b'], false, T0, false],
    ['everything resolved, without sendResolved', entry(['a']), [], ['a'], false, T0, true],
    ['nothing changed, before the repeat interval', entry(['a']), ['a'], [], true, T0 + 4 * H - 1, false],
    ['nothing changed, at the repeat interval', entry(['a']), ['a'], [], true, T0 + 4 * H, true],
  ];
  for (const [name, log, firing, resolved, sendResolved, now, expected] of cases) {
    it(`${expected ? 'notifies' : 'stays quiet'} for ${name}`, () => {
      expect(needsUpdate(log, new Set(firing), new Set(resolved), sendResolved, 4 * H, now)).to.equal(
        expected,
      );
    });
  }
});
