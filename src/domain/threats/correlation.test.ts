import { expect } from 'chai';
import { CorrelationEngine } from './correlation.js';
import { compilePolicy } from './policy.js';
import { escalatedDuration, rangeOf, type CorrelationEvent, type Scenario } from './scenario.js';
import type { ThreatPolicySpec, ThreatScenarioSpec } from '../../api/v1alpha1/index.js';

function event(overrides: Partial<CorrelationEvent> = {}): CorrelationEvent {
  return {
    timeMs: 1_000_000,
    gatewayId: 'gw-1',
    logType: 'security',
    clientIp: '203.0.113.7',
    threatType: 'sql_injection',
    ruleId: 'sqli-1',
    action: 'blocked',
    statusCode: 403,
    path: '/login',
    host: 'api.example.com',
    route: 'default/api/login',
    asn: 'AS64500',
    ...overrides,
  };
}

function scenario(
  overrides: Partial<ThreatScenarioSpec> = {},
  mode: ThreatPolicySpec['mode'] = 'Enforce',
): Scenario {
  const spec: ThreatPolicySpec = {
    mode,
    scenarios: [
      {
        name: 's',
        groupBy: { key: 'ip' },
        bucket: { capacity: 3, leakSpeed: '1s' },
        response: { type: 'ban', duration: '1h', scope: 'ip' },
        ...overrides,
      },
    ],
  };
  const [compiled] = compilePolicy('default/p', spec);
  if (!compiled) throw new Error('no scenario');
  return compiled;
}

describe('the correlation engine', () => {
  it('overflows on the event past capacity, not before, and empties the bucket', () => {
    const engine = new CorrelationEngine([scenario()]);
    const events = [0, 1, 2, 3].map((i) => event({ timeMs: 1_000_000 + i * 10 }));
    expect(engine.ingest(events.slice(0, 3))).to.have.length(0);
    const [overflow, ...rest] = engine.ingest(events.slice(3));
    expect(rest).to.have.length(0);
    expect(overflow?.value).to.equal('203.0.113.7');
    expect(overflow?.events).to.equal(4);
    expect(overflow?.firstSeenMs).to.equal(1_000_000);
    expect(overflow?.lastSeenMs).to.equal(1_000_030);
    expect(overflow?.hosts).to.deep.equal(['api.example.com']);
    expect(overflow?.routes).to.deep.equal(['default/api/login']);
    expect(engine.counters().get('default/p/s')).to.deep.equal({ matched: 4, overflows: 1, buckets: 0 });
  });

  it('leaks one event per leakSpeed, so a slow source never overflows', () => {
    const engine = new CorrelationEngine([scenario()]);
    const slow = Array.from({ length: 50 }, (_, i) => event({ timeMs: 1_000_000 + i * 1000 }));
    expect(engine.ingest(slow)).to.have.length(0);
  });

  it('counts events from every gateway in the same bucket', () => {
    const engine = new CorrelationEngine([scenario()]);
    const spread = ['gw-1', 'gw-2', 'gw-3', 'gw-1'].map((gatewayId, i) =>
      event({ gatewayId, timeMs: 1_000_000 + i }),
    );
    expect(engine.ingest(spread)).to.have.length(1);
  });

  it('keeps one bucket per source', () => {
    const engine = new CorrelationEngine([scenario()]);
    const two = [0, 1, 2, 3].flatMap((i) => [
      event({ clientIp: '198.51.100.1', timeMs: 1_000_000 + i }),
      event({ clientIp: '198.51.100.2', timeMs: 1_000_000 + i }),
    ]);
    expect(engine.ingest(two).map((o) => o.value)).to.deep.equal(['198.51.100.1', '198.51.100.2']);
  });

  it('ignores events outside the filter', () => {
    const engine = new CorrelationEngine([
      scenario({ filter: { threatTypes: ['xss'], statusCodes: [403], pathPrefixes: ['/admin'] } }),
    ]);
    const wrongType = [0, 1, 2, 3].map((i) => event({ timeMs: 1_000_000 + i, path: '/admin/x' }));
    const wrongPath = [0, 1, 2, 3].map((i) => event({ timeMs: 1_000_000 + i, threatType: 'xss' }));
    expect(engine.ingest([...wrongType, ...wrongPath])).to.have.length(0);
    const right = [0, 1, 2, 3].map((i) =>
      event({ timeMs: 1_000_000 + i, threatType: 'xss', path: '/admin/x' }),
    );
    expect(engine.ingest(right)).to.have.length(1);
  });

  it('groups a /24 and decides the range', () => {
    const engine = new CorrelationEngine([
      scenario({ groupBy: { key: 'range' }, response: { type: 'ban', duration: '1h', scope: 'range' } }),
    ]);
    const scan = [1, 2, 3, 4].map((host) =>
      event({ clientIp: `192.0.2.${host * 10}`, timeMs: 1_000_000 + host }),
    );
    const [overflow] = engine.ingest(scan);
    expect(overflow?.key).to.equal('192.0.2.0/24');
    expect(overflow?.value).to.equal('192.0.2.0/24');
  });

  it('with distinct, counts only new values', () => {
    const engine = new CorrelationEngine([scenario({ distinct: 'path' })]);
    const same = Array.from({ length: 10 }, (_, i) => event({ timeMs: 1_000_000 + i, path: '/a' }));
    expect(engine.ingest(same)).to.have.length(0);
    const distinct = ['/b', '/c', '/d'].map((path, i) => event({ timeMs: 1_000_020 + i, path }));
    expect(engine.ingest(distinct)).to.have.length(1);
  });

  it('groups by ASN and by a header, deciding the address of the event that overflowed', () => {
    const byAsn = new CorrelationEngine([scenario({ groupBy: { key: 'asn' } })]);
    const asn = [1, 2, 3, 4].map((i) => event({ clientIp: `198.51.100.${i}`, timeMs: 1_000_000 + i }));
    expect(byAsn.ingest(asn).map((o) => [o.key, o.value])).to.deep.equal([['AS64500', '198.51.100.4']]);
    const byHeader = new CorrelationEngine([scenario({ groupBy: { key: 'header', header: 'X-Api-Key' } })]);
    const keyed = [1, 2, 3, 4].map((i) => event({ timeMs: 1_000_000 + i, headers: { 'x-api-key': 'k1' } }));
    const bare = [1, 2, 3, 4].map((i) => event({ timeMs: 1_000_000 + i }));
    expect(byHeader.ingest(bare)).to.have.length(0);
    expect(byHeader.ingest(keyed).map((o) => o.key)).to.deep.equal(['k1']);
  });

  it('keeps the buckets of an unchanged scenario when the scenarios are replaced', () => {
    const engine = new CorrelationEngine([scenario()]);
    engine.ingest([0, 1, 2].map((i) => event({ timeMs: 1_000_000 + i })));
    engine.setScenarios([scenario()]);
    expect(engine.ingest([event({ timeMs: 1_000_003 })])).to.have.length(1);
    engine.ingest([0, 1, 2].map((i) => event({ timeMs: 1_000_010 + i })));
    engine.setScenarios([scenario({ bucket: { capacity: 3, leakSpeed: '2s' } })]);
    expect(engine.ingest([event({ timeMs: 1_000_013 })])).to.have.length(0);
  });

  it('sweeps buckets that leaked dry', () => {
    const engine = new CorrelationEngine([scenario()]);
    engine.ingest([event({ clientIp: '198.51.100.9' })]);
    engine.sweep(1_000_000 + 500);
    expect(engine.counters().get('default/p/s')?.buckets).to.equal(1);
    engine.sweep(1_000_000 + 1000);
    expect(engine.counters().get('default/p/s')?.buckets).to.equal(0);
  });
});

describe('scenario helpers', () => {
  it('finds the /24 and /64 of an address, and nothing for a CIDR or garbage', () => {
    expect(rangeOf('203.0.113.77')).to.equal('203.0.113.0/24');
    expect(rangeOf('2001:db8:1:2:3:4:5:6')).to.equal('2001:db8:1:2::/64');
    expect(rangeOf('203.0.113.0/24')).to.equal(undefined);
    expect(rangeOf('nope')).to.equal(undefined);
  });

  it('doubles the duration per repeat offence, up to the maximum', () => {
    const response = {
      type: 'ban',
      durationMs: 1000,
      maxDurationMs: 5000,
      escalationWindowMs: 0,
      scope: 'ip',
    } as const;
    expect([0, 1, 2, 3, 40].map((n) => escalatedDuration(response, n))).to.deep.equal([
      1000, 2000, 4000, 5000, 5000,
    ]);
    expect(escalatedDuration({ ...response, maxDurationMs: undefined }, 3)).to.equal(1000);
  });
});
