import { expect } from 'chai';
import type { PushStatus } from './push-status.js';
import { gatewaysStatus, syncedCondition } from './status-fields.js';

const now = new Date('2026-11-28T12:00:00Z');
function push(
  selected: number,
  synced: number,
  failures: { gateway: string; message: string }[] = [],
): PushStatus {
  return { selected, synced, failed: failures.length, summary: `${synced}/${selected}`, failures };
}

describe('push status fields', () => {
  const cases: [string, PushStatus, string, string, RegExp][] = [
    ['every gateway applied it', push(3, 3), 'True', 'Synced', /^All 3 selected gateways applied/],
    ['some are still applying', push(3, 1), 'False', 'Pending', /^1 of 3 gateways applied/],
    ['no gateway is selected', push(0, 0), 'False', 'NoGateways', /No gateway pod matches/],
    [
      'a gateway rejected it',
      push(3, 2, [{ gateway: 'edge/gw-1', message: 'rule r4: bad regex' }]),
      'False',
      'Rejected',
      /1 of 3 gateways rejected .*edge\/gw-1: rule r4: bad regex/,
    ],
  ];
  for (const [name, status, expectedStatus, reason, message] of cases) {
    it(`Synced=${expectedStatus} (${reason}) when ${name}`, () => {
      const [condition] = syncedCondition(undefined, status, 4, now);
      expect(condition).to.include({ type: 'Synced', status: expectedStatus, reason, observedGeneration: 4 });
      expect(condition?.message).to.match(message);
    });
  }

  it('lists at most five refusing gateways and counts the rest', () => {
    const failures = Array.from({ length: 8 }, (_, i) => ({ gateway: `gw-${i}`, message: 'no' }));
    const [condition] = syncedCondition(undefined, push(8, 0, failures), 1, now);
    expect(condition?.message).to.contain('gw-4: no; and 3 more');
    expect(condition?.message).to.not.contain('gw-5');
  });

  it('keeps lastTransitionTime while the state holds', () => {
    const first = syncedCondition(undefined, push(3, 1), 1, now);
    const later = syncedCondition(first, push(3, 2), 1, new Date('2026-11-28T12:05:00Z'));
    expect(later[0]?.lastTransitionTime).to.equal(first[0]?.lastTransitionTime);
  });

  it('gives kubectl its "synced/selected" summary', () => {
    expect(gatewaysStatus(push(3, 2))).to.deep.equal({ selected: 3, synced: 2, failed: 0, summary: '2/3' });
  });
});
