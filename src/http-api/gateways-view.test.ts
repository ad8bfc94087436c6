import { expect } from 'chai';
import { GatewayReports } from '../grpc/gateway-reports.js';
import { FakeClock } from '../runtime/clock.js';
import { listGateways, type GatewaySources } from './gateways-view.js';

describe('GET /api/v1/gateways on a replica that is not pushing', () => {
  const clock = new FakeClock(Date.UTC(2026, 0, 1));
  const reports = new GatewayReports({ clock });
  reports.record({
    gateway: 'gateway-b',
    healthy: true,
    timeUnix: Date.UTC(2026, 0, 1) / 1000 - 2,
    versions: { RESOURCE_TYPE_WAF_RULES: 'v7' },
    counters: { requests: 10 },
  });
  reports.record({ gateway: 'gateway-a', healthy: false, timeUnix: 0, versions: {}, counters: {} });
  const sources: GatewaySources = {
    connections: () => [],
    reports: () => reports.all(),
    replica: () => ({ name: 'worker-1', leader: false }),
  };

  it('shows what each gateway reported, sorted by name, and says this is not the leader’s view', () => {
    expect(listGateways(sources)).to.deep.equal({
      replica: { name: 'worker-1', leader: false },
      items: [
        {
          name: 'gateway-a',
          report: { healthy: false, versions: {}, receivedAt: '2026-01-01T00:00:00.000Z' },
        },
        {
          name: 'gateway-b',
          report: {
            healthy: true,
            versions: { RESOURCE_TYPE_WAF_RULES: 'v7' },
            reportedAt: '2025-12-31T23:59:58.000Z',
            receivedAt: '2026-01-01T00:00:00.000Z',
          },
        },
      ],
    });
  });

  it('filters: a report alone has no namespace and no open stream', () => {
    expect(listGateways(sources, { namespace: 'edge' }).items).to.deep.equal([]);
    expect(listGateways(sources, { connected: true }).items).to.deep.equal([]);
    expect(listGateways(sources, { connected: false }).items).to.have.length(2);
  });

  it('leaves out a reported time no date can hold', () => {
    const odd = new GatewayReports({ clock });
    odd.record({ gateway: 'g', healthy: true, timeUnix: 1e16, versions: {}, counters: {} });
    const [item] = listGateways({ ...sources, reports: () => odd.all() }).items;
    expect(item?.report).to.not.have.property('reportedAt');
  });
});
