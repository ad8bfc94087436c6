import { expect } from 'chai';
import { alertOf, eventProblem, fingerprintOf, type NotificationEvent } from './event.js';
import { matcherProblem, matches } from './matchers.js';
import { DEFAULT_TIMING, groupOf, policyMatches, type PolicyView } from './policy.js';

const T0 = Date.UTC(2026, 0, 1);

function policy(overrides: Partial<PolicyView> = {}): PolicyView {
  return {
    key: 'team-a/p',
    namespace: 'team-a',
    eventTypes: [],
    severities: [],
    matchers: [],
    groupBy: ['alertname', 'namespace'],
    timing: DEFAULT_TIMING,
    sendResolved: true,
    channels: ['team-a/c'],
    ...overrides,
  };
}

const cert = (namespace: string): NotificationEvent => ({
  type: 'CertificateExpiring',
  labels: { namespace, name: 'web', secret: 'web-tls' },
});
const gone: NotificationEvent = {
  type: 'GatewayGone',
  labels: { gateway: 'gw/p1', namespace: 'gw', pod: 'p1' },
};

describe('events', () => {
  it('refuse unknown types, missing identifying labels, reserved labels and resolving one-off events', () => {
    expect(eventProblem({ type: 'Nope' as 'JobFailed', labels: {} })).to.match(/unknown event type/);
    expect(eventProblem({ type: 'CertificateExpiring', labels: { namespace: 'a' } })).to.equal(
      'CertificateExpiring: missing label(s) name, secret',
    );
    expect(eventProblem({ ...cert('a'), labels: { ...cert('a').labels, severity: 'x' } })).to.match(
      /set by the notifier/,
    );
    expect(eventProblem({ ...cert('a'), labels: { ...cert('a').labels, 'bad-name': 'x' } })).to.match(
      /label name/,
    );
    expect(
      eventProblem({
        type: 'JobFailed',
        labels: { job_kind: 'k', target: '', job: '1' },
        status: 'resolved',
      }),
    ).to.match(/cannot resolve/);
    expect(eventProblem(cert('a'))).to.equal(undefined);
  });

  it('identify an alert by its labels, whatever their order', () => {
    expect(fingerprintOf({ a: '1', b: '2' })).to.equal(fingerprintOf({ b: '2', a: '1' }));
    expect(fingerprintOf({ a: '1', b: '2' })).not.to.equal(fingerprintOf({ a: '1', b: '3' }));
    const alert = alertOf(cert('a'), T0);
    expect(alert.labels).to.deep.equal({
      alertname: 'CertificateExpiring',
      name: 'web',
      namespace: 'a',
      secret: 'web-tls',
      severity: 'warning',
    });
  });

  it('keep the start of a state that keeps firing, and start again after it resolved', () => {
    const first = alertOf(cert('a'), T0);
    const again = alertOf(cert('a'), T0 + 60_000, first);
    expect(again.startsAt).to.equal(T0);
    const resolved = alertOf({ ...cert('a'), status: 'resolved' }, T0 + 120_000, again);
    expect([resolved.startsAt, resolved.endsAt]).to.deep.equal([T0, T0 + 120_000]);
    const refired = alertOf(cert('a'), T0 + 180_000, resolved);
    expect([refired.startsAt, refired.endsAt]).to.deep.equal([T0 + 180_000, undefined]);
  });
});

describe('label matchers', () => {
  const labels = { namespace: 'team-a', name: 'web-1' };
  const cases: [string, Parameters<typeof matches>[0], boolean][] = [
    ['= equal', { label: 'namespace', operator: '=', value: 'team-a' }, true],
    ['= different', { label: 'namespace', operator: '=', value: 'team-b' }, false],
    ['!= different', { label: 'namespace', operator: '!=', value: 'team-b' }, true],
    ['=~ anchored match', { label: 'name', operator: '=~', value: 'web-.*' }, true],
    ['=~ is anchored: a substring does not match', { label: 'name', operator: '=~', value: 'web' }, false],
    ['!~ non-match', { label: 'name', operator: '!~', value: 'api-.*' }, true],
    ['= "" on a missing label', { label: 'team', operator: '=', value: '' }, true],
    ['!= "" on a missing label', { label: 'team', operator: '!=', value: '' }, false],
  ];
  for (const [name, matcher, expected] of cases)
    it(name, () => expect(matches(matcher, labels)).to.equal(expected));

  it('say which regular expression does not compile', () => {
    expect(matcherProblem({ label: 'a', operator: '=~', value: '(' })).to.match(
      /not a valid regular expression/,
    );
    expect(matcherProblem({ label: 'a', operator: '=', value: '(' })).to.equal(undefined);
  });
});

describe('policy routing', () => {
  it("keeps a team's policy to events of its own namespace", () => {
    expect(policyMatches(policy(), alertOf(cert('team-a'), T0), 'ops')).to.equal(true);
    expect(policyMatches(policy(), alertOf(cert('team-b'), T0), 'ops')).to.equal(false);
    expect(policyMatches(policy(), alertOf(gone, T0), 'ops')).to.equal(false);
  });

  it("lets a policy in the operator's namespace see every event, fleet-wide ones included", () => {
    const admin = policy({ key: 'ops/p', namespace: 'ops' });
    expect(policyMatches(admin, alertOf(cert('team-b'), T0), 'ops')).to.equal(true);
    expect(policyMatches(admin, alertOf(gone, T0), 'ops')).to.equal(true);
  });

  it('filters by event type, severity and matchers', () => {
    const a = alertOf(cert('team-a'), T0);
    expect(policyMatches(policy({ eventTypes: ['GatewayGone'] }), a, 'ops')).to.equal(false);
    expect(policyMatches(policy({ severities: ['critical'] }), a, 'ops')).to.equal(false);
    expect(policyMatches(policy({ severities: ['warning'] }), a, 'ops')).to.equal(true);
    expect(
      policyMatches(policy({ matchers: [{ label: 'name', operator: '=~', value: 'api.*' }] }), a, 'ops'),
    ).to.equal(false);
  });

  it('never routes test messages', () => {
    const test = alertOf(
      { type: 'NotificationTest', labels: { channel: 'team-a/c', namespace: 'team-a' } },
      T0,
    );
    expect(policyMatches(policy(), test, 'ops')).to.equal(false);
  });

  it('groups by the named labels, or by all of them with ...', () => {
    const a = alertOf(cert('team-a'), T0);
    expect(groupOf(policy(), a)).to.deep.equal({
      key: 'team-a/p:{alertname="CertificateExpiring",namespace="team-a"}',
      labels: { alertname: 'CertificateExpiring', namespace: 'team-a' },
    });
    expect(Object.keys(groupOf(policy({ groupBy: ['...'] }), a).labels)).to.have.length(5);
  });
});
