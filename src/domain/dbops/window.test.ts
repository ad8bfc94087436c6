import { expect } from 'chai';
import { windowState } from './window.js';

const hours = (n: number): number => n * 3_600_000;

describe('maintenance window', () => {
  const nightly = { schedule: '0 2 * * *', timeZone: 'UTC', durationMs: hours(3) };

  it('is open from its start for its duration', () => {
    expect(windowState(nightly, new Date('2024-05-01T02:00:00Z'))).to.deep.equal({
      open: true,
      closesAt: new Date('2024-05-01T05:00:00Z'),
    });
    expect(windowState(nightly, new Date('2024-05-01T04:59:59Z')).open).to.equal(true);
  });

  it('is closed outside, and says when it opens next', () => {
    expect(windowState(nightly, new Date('2024-05-01T05:00:00Z'))).to.deep.equal({
      open: false,
      opensAt: new Date('2024-05-02T02:00:00Z'),
    });
  });

  it('crosses midnight', () => {
    const late = { schedule: '0 23 * * *', timeZone: 'UTC', durationMs: hours(3) };
    expect(windowState(late, new Date('2024-05-02T01:30:00Z')).open).to.equal(true);
  });

  it('is read in its time zone', () => {
    const saoPaulo = { schedule: '0 2 * * *', timeZone: 'America/Sao_Paulo', durationMs: hours(1) };
    // 02:30 in São Paulo (UTC−3) is 05:30 UTC.
    expect(windowState(saoPaulo, new Date('2024-05-01T05:30:00Z')).open).to.equal(true);
    expect(windowState(saoPaulo, new Date('2024-05-01T02:30:00Z')).open).to.equal(false);
  });

  it('honours days of the week', () => {
    const weekends = { schedule: '0 2 * * 6,0', timeZone: 'UTC', durationMs: hours(2) };
    // 2024-05-01 is a Wednesday; the next Saturday is 2024-05-04.
    expect(windowState(weekends, new Date('2024-05-01T02:30:00Z'))).to.deep.equal({
      open: false,
      opensAt: new Date('2024-05-04T02:00:00Z'),
    });
  });
});
