import { expect } from 'chai';
import { toCidrs } from './cidrs.js';
import { activeBans, mergeDecision, nextExpiry, normalizeValue, type DecisionRequest } from './decisions.js';

const HOUR = 3_600_000;
const request: DecisionRequest = {
  scope: 'ip',
  value: '203.0.113.7',
  type: 'ban',
  origin: 'scenario',
  scenario: 'default/p/sqli',
  reason: 'sqli overflowed',
  response: { durationMs: HOUR, maxDurationMs: 4 * HOUR, escalationWindowMs: 24 * HOUR },
};

describe('decisions', () => {
  it('a first offence lasts the base duration', () => {
    const d = mergeDecision(undefined, request, 0);
    expect([d.offences, d.untilMs, d.createdAtMs]).to.deep.equal([1, HOUR, 0]);
  });

  it('a repeat after expiry, within the window, doubles up to the maximum', () => {
    let d = mergeDecision(undefined, request, 0);
    const untils: number[] = [];
    for (let i = 0; i < 4; i += 1) {
      const now = d.untilMs + 1000;
      d = mergeDecision(d, request, now);
      untils.push(d.untilMs - now);
    }
    expect(untils).to.deep.equal([2 * HOUR, 4 * HOUR, 4 * HOUR, 4 * HOUR]);
  });

  it('a repeat after the window starts over', () => {
    const first = mergeDecision(undefined, request, 0);
    const later = mergeDecision(first, request, first.untilMs + 25 * HOUR);
    expect(later.offences).to.equal(1);
    expect(later.untilMs - (first.untilMs + 25 * HOUR)).to.equal(HOUR);
  });

  it('merges into the decision in force: never shorter, a ban stays a ban', () => {
    const ban = mergeDecision(
      undefined,
      { ...request, response: { ...request.response, maxDurationMs: undefined } },
      0,
    );
    const limit = mergeDecision(
      ban,
      {
        ...request,
        type: 'rate_limit',
        response: { durationMs: 60_000, maxDurationMs: undefined, escalationWindowMs: 0 },
      },
      1000,
    );
    expect([limit.type, limit.untilMs, limit.createdAtMs]).to.deep.equal(['ban', HOUR, 0]);
  });

  it('pushes only the bans in force, aggregated', () => {
    const decisions = [
      mergeDecision(undefined, { ...request, value: '198.51.100.1' }, 0),
      mergeDecision(undefined, { ...request, value: '198.51.100.0/24', scope: 'range' }, 0),
      mergeDecision(undefined, { ...request, value: '192.0.2.1', type: 'rate_limit' }, 0),
      mergeDecision(
        undefined,
        { ...request, value: '203.0.113.9', response: { ...request.response, durationMs: 10 } },
        0,
      ),
    ];
    expect(toCidrs(activeBans(decisions, 100))).to.deep.equal(['198.51.100.0/24']);
    expect(nextExpiry(decisions, 100)).to.equal(HOUR);
    expect(toCidrs(activeBans(decisions, HOUR))).to.deep.equal([]);
  });

  it('reads what a user types, and says what is wrong', () => {
    expect(normalizeValue(' 203.0.113.7 ')).to.deep.equal({ scope: 'ip', value: '203.0.113.7' });
    expect(normalizeValue('203.0.113.0/24')).to.deep.equal({ scope: 'range', value: '203.0.113.0/24' });
    expect(normalizeValue('2001:DB8::/32')).to.deep.equal({ scope: 'range', value: '2001:db8::/32' });
    expect(normalizeValue('203.0.113.7/24')).to.have.property('problem').that.includes('203.0.113.0/24');
    expect(normalizeValue('example.com')).to.have.property('problem').that.includes('not an IPv4 or IPv6');
  });
});
