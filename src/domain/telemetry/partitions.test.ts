import { expect } from 'chai';
import { expiredPartitions, parsePartition, partitionFor, partitionsBetween } from './partitions.js';

const at = (iso: string) => Date.parse(iso);

describe('rollup partitions', () => {
  it('names and bounds a day and a month in UTC', () => {
    expect(partitionFor('traffic_minute', at('2026-01-05T23:59:59Z'), 'day')).to.deep.equal({
      name: 'traffic_minute_p20260105',
      fromMs: at('2026-01-05T00:00:00Z'),
      toMs: at('2026-01-06T00:00:00Z'),
    });
    expect(partitionFor('traffic_hour', at('2026-12-31T10:00:00Z'), 'month')).to.deep.equal({
      name: 'traffic_hour_p202612',
      fromMs: at('2026-12-01T00:00:00Z'),
      toMs: at('2027-01-01T00:00:00Z'),
    });
  });

  it('reads names back, and refuses other shapes', () => {
    const p = partitionFor('waf_minute', at('2026-02-28T00:00:00Z'), 'day');
    expect(parsePartition('waf_minute', p.name, 'day')).to.deep.equal(p);
    expect(parsePartition('waf_minute', 'waf_minute_p20260230', 'day')).to.equal(undefined);
    expect(parsePartition('waf_minute', 'waf_minute_default', 'day')).to.equal(undefined);
  });

  it('keeps a partition until every row in it has passed the retention', () => {
    const days = partitionsBetween('t', at('2026-01-01T00:00:00Z'), at('2026-01-20T00:00:00Z'), 'day');
    expect(days).to.have.length(19);
    const now = at('2026-01-16T12:00:00Z');
    const expired = expiredPartitions(days, now, 14 * 86_400_000);
    // The cut-off is 2026-01-02T12:00: only 01-01 ends before it.
    expect(expired.map((p) => p.name)).to.deep.equal(['t_p20260101']);
  });
});
