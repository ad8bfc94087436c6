import { expect } from 'chai';
import { eventProblem } from '../event.js';
import { certificateAlerts } from './certificate-alerts.js';
import { gatewayAlerts, trackGateways } from './gateway-alerts.js';
import { databaseOperationEvents, decisionEvent, feedEvents, incidentEvent } from './hook-events.js';
import { HOUR_MS, trafficAnomalies, WEEK_MS, type TrafficPoint } from './traffic-anomalies.js';
import { wafAlerts } from './waf-alerts.js';

const NOW = Date.UTC(2026, 5, 1, 12);
const DAY = 86_400_000;
const cond = (type: string, status: string, reason = 'R', message = 'm') => ({
  type,
  status,
  reason,
  message,
});

describe('certificate events', () => {
  const base = { namespace: 'a', name: 'web', secretName: 'web-tls' };
  it('fire when the certificate expires within the threshold, and not before', () => {
    const soon = certificateAlerts([{ ...base, notAfter: new Date(NOW + 13 * DAY).toISOString() }], NOW, {
      expiryDays: 14,
    });
    expect(soon.map((e) => [e.type, e.annotations?.summary])).to.deep.equal([
      ['CertificateExpiring', 'Certificate a/web expires in 13 days'],
    ]);
    expect(
      certificateAlerts([{ ...base, notAfter: new Date(NOW + 15 * DAY).toISOString() }], NOW, {
        expiryDays: 14,
      }),
    ).to.deep.equal([]);
  });

  it('say so when the certificate has already expired', () => {
    const [event] = certificateAlerts([{ ...base, notAfter: new Date(NOW - DAY).toISOString() }], NOW, {
      expiryDays: 14,
    });
    expect(event?.annotations?.summary).to.equal('Certificate a/web has expired');
  });

  it('report a temporary certificate instead of its (short) expiry', () => {
    const events = certificateAlerts(
      [{ ...base, notAfter: new Date(NOW + 2 * DAY).toISOString(), conditions: [cond('Temporary', 'True')] }],
      NOW,
      { expiryDays: 14 },
    );
    expect(events.map((e) => e.type)).to.deep.equal(['CertificateTemporary']);
  });

  it('report failing issuance with the last failure', () => {
    const [event] = certificateAlerts(
      [{ ...base, failedIssuanceAttempts: 2, lastFailureMessage: 'rate limited' }],
      NOW,
      { expiryDays: 14 },
    );
    expect(event).to.deep.include({ type: 'CertificateIssuanceFailing' });
    expect(event?.annotations?.description).to.equal('rate limited');
  });
});

describe('WAF events', () => {
  it('tell a roll-back from a rejection with nothing to roll back to', () => {
    const events = wafAlerts([
      { namespace: 'a', name: 'rb', revision: 3, conditions: [cond('Degraded', 'True', 'RolledBack')] },
      { namespace: 'a', name: 'rj', conditions: [cond('Degraded', 'True', 'Rejected')] },
      { namespace: 'a', name: 'ok', revision: 1, conditions: [cond('Degraded', 'False', 'AsExpected')] },
    ]);
    expect(events.map((e) => [e.type, e.labels.name, e.labels.revision])).to.deep.equal([
      ['WafRevisionRolledBack', 'rb', '3'],
      ['WafRevisionRejected', 'rj', ''],
    ]);
  });
});

describe('gateway events', () => {
  const thresholds = { goneAfterMs: 5 * 60_000, unsyncedAfterMs: 10 * 60_000 };
  it('fire only once a state has lasted the threshold, and forget a gateway that recovers', () => {
    let tracks = trackGateways(
      new Map(),
      [
        { name: 'gw/p1', connected: false, synced: false },
        { name: 'gw/p2', connected: true, synced: false },
      ],
      NOW,
    );
    expect(gatewayAlerts(tracks, NOW + 4 * 60_000, thresholds)).to.deep.equal([]);
    tracks = trackGateways(
      tracks,
      [
        { name: 'gw/p1', connected: false, synced: false },
        { name: 'gw/p2', connected: true, synced: false },
      ],
      NOW + 5 * 60_000,
    );
    expect(
      gatewayAlerts(tracks, NOW + 5 * 60_000, thresholds).map((e) => [e.type, e.labels.pod, e.startsAt]),
    ).to.deep.equal([['GatewayGone', 'p1', NOW]]);
    expect(gatewayAlerts(tracks, NOW + 10 * 60_000, thresholds).map((e) => e.type)).to.deep.equal([
      'GatewayGone',
      'GatewayNotSynced',
    ]);
    tracks = trackGateways(tracks, [{ name: 'gw/p1', connected: true, synced: true }], NOW + 11 * 60_000);
    expect(gatewayAlerts(tracks, NOW + 11 * 60_000, thresholds)).to.deep.equal([]);
  });
});

describe('traffic anomalies over hourly rollups', () => {
  const hour = Date.UTC(2026, 5, 1, 10);
  const thresholds = { errorRatePercent: 5, p95LatencyMs: 800, dropPercent: 50, minRequests: 100 };
  const point = (over: Partial<TrafficPoint>): TrafficPoint => ({
    hourStartMs: hour,
    host: 'api.example.com',
    route: 'orders',
    requests: 1000,
    serverErrors: 0,
    p95LatencyMs: 100,
    ...over,
  });

  it('fires on a 5xx rate over the threshold, summing the status classes of a route', () => {
    const events = trafficAnomalies(
      [point({ serverErrors: 30 }), point({ requests: 200, serverErrors: 40 })],
      hour,
      thresholds,
    );
    expect(events.map((e) => [e.type, e.annotations?.value])).to.deep.equal([
      ['TrafficErrorRateHigh', '5.8'],
    ]);
  });

  it('fires on a p95 latency over the threshold', () => {
    expect(
      trafficAnomalies([point({ p95LatencyMs: 950 })], hour, thresholds).map((e) => e.type),
    ).to.deep.equal(['TrafficLatencyHigh']);
  });

  it('compares with the same hour last week, including a route that went silent', () => {
    const series = [
      point({ requests: 400 }),
      point({ hourStartMs: hour - WEEK_MS, requests: 1000 }),
      point({ hourStartMs: hour - WEEK_MS, route: 'silent', requests: 500 }),
      point({ hourStartMs: hour - HOUR_MS, requests: 10 }),
    ];
    const events = trafficAnomalies(series, hour, thresholds);
    expect(events.map((e) => [e.type, e.labels.route, e.annotations?.value])).to.deep.equal([
      ['TrafficDropped', 'orders', '40'],
      ['TrafficDropped', 'silent', '0'],
    ]);
  });

  it('judges nothing on too few requests', () => {
    expect(
      trafficAnomalies([point({ requests: 50, serverErrors: 40, p95LatencyMs: 5000 })], hour, thresholds),
    ).to.deep.equal([]);
    expect(
      trafficAnomalies(
        [point({ requests: 0 }), point({ hourStartMs: hour - WEEK_MS, requests: 99 })],
        hour,
        thresholds,
      ),
    ).to.deep.equal([]);
  });
});

describe('hook events', () => {
  it('carry every label their type requires', () => {
    const events = [
      incidentEvent({ namespace: 'sec', name: 'i1', severity: 'high', title: 'credential stuffing' }, true),
      incidentEvent({ namespace: 'sec', name: 'i1', severity: 'high', title: 'credential stuffing' }, false),
      decisionEvent({
        namespace: 'sec',
        incident: 'i1',
        decision: 'd1',
        action: 'block',
        target: '203.0.113.7',
      }),
      ...feedEvents([
        { namespace: 'sec', name: 'f', degraded: { message: 'HTTP 500' }, stale: { maxAge: '6h' } },
      ]),
      ...databaseOperationEvents([
        {
          namespace: 'db',
          name: 'nightly',
          resourceKind: 'DatabaseBackup',
          operation: 'backup',
          message: 'disk full',
        },
      ]),
    ];
    expect(events.map((e) => eventProblem(e))).to.deep.equal(events.map(() => undefined));
    expect(events.map((e) => e.type)).to.deep.equal([
      'IncidentOpened',
      'IncidentOpened',
      'DecisionTaken',
      'FeedDegraded',
      'FeedStale',
      'DatabaseOperationFailed',
    ]);
    expect(events[1]?.status).to.equal('resolved');
  });
});
