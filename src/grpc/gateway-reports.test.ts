import { expect } from 'chai';
import type { ReportStatusRequest } from '../generated/gateway/worker/v1/worker.js';
import { FakeClock } from '../runtime/clock.js';
import { GatewayReports } from './gateway-reports.js';

function report(gateway: string, healthy = true): ReportStatusRequest {
  return { gateway, healthy, timeUnix: 100, versions: { waf: 'abc' }, counters: { blocked: 2 } };
}

describe('GatewayReports', () => {
  it('keeps only the latest report of each gateway, with the time it was received', () => {
    const clock = new FakeClock();
    const reports = new GatewayReports({ clock });
    reports.record(report('gw-1', true));
    clock.advance(5_000);
    reports.record(report('gw-1', false));
    expect(reports.latest('gw-1')).to.deep.equal({
      gateway: 'gw-1',
      healthy: false,
      timeUnix: 100,
      versions: { waf: 'abc' },
      counters: { blocked: 2 },
      receivedAtMs: clock.now(),
    });
    expect(reports.latest('gw-2')).to.equal(undefined);
  });

  it('lists every gateway sorted by name', () => {
    const reports = new GatewayReports();
    for (const name of ['gw-b', 'gw-a', 'gw-c']) reports.record(report(name));
    expect(reports.all().map((r) => r.gateway)).to.deep.equal(['gw-a', 'gw-b', 'gw-c']);
  });

  it('forgets the gateway that reported least recently once it holds too many', () => {
    const reports = new GatewayReports({ maxGateways: 2 });
    reports.record(report('gw-a'));
    reports.record(report('gw-b'));
    reports.record(report('gw-a'));
    reports.record(report('gw-c'));
    expect(reports.all().map((r) => r.gateway)).to.deep.equal(['gw-a', 'gw-c']);
  });

  it('does not share maps with the request it recorded', () => {
    const reports = new GatewayReports();
    const request = report('gw-a');
    reports.record(request);
    request.counters.blocked = 99;
    expect(reports.latest('gw-a')?.counters).to.deep.equal({ blocked: 2 });
  });
});
