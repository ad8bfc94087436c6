import { expect } from 'chai';
import {
  anotherBatchFits,
  archiveKey,
  csvLine,
  parsePartitionBound,
  partitionsToDrop,
  retentionCutoff,
  type PartitionInfo,
} from './retention.js';

describe('retention', () => {
  it('the cutoff is now minus what is kept', () => {
    expect(retentionCutoff(new Date('2024-05-31T00:00:00Z'), 30 * 86_400_000).toISOString()).to.equal(
      '2024-05-01T00:00:00.000Z',
    );
  });

  const bounds: [string, ReturnType<typeof parsePartitionBound>][] = [
    [
      "FOR VALUES FROM ('2024-01-01 00:00:00+00') TO ('2024-02-01 00:00:00+00')",
      { kind: 'range', from: '2024-01-01 00:00:00+00', to: '2024-02-01 00:00:00+00' },
    ],
    ["FOR VALUES FROM (MINVALUE) TO ('2024-01-01')", { kind: 'range', from: 'MINVALUE', to: '2024-01-01' }],
    ["FOR VALUES FROM ('2024-01-01') TO (MAXVALUE)", { kind: 'range', from: '2024-01-01', to: 'MAXVALUE' }],
    ["FOR VALUES FROM ('it''s') TO ('z')", { kind: 'range', from: "it's", to: 'z' }],
    ['DEFAULT', { kind: 'default' }],
    ["FOR VALUES IN ('a', 'b')", { kind: 'other' }],
    ['FOR VALUES WITH (modulus 4, remainder 0)', { kind: 'other' }],
    ["FOR VALUES FROM ('2024-01-01', 1) TO ('2024-02-01', 1)", { kind: 'other' }],
  ];
  for (const [expression, expected] of bounds) {
    it(`reads the partition bound ${expression}`, () => {
      expect(parsePartitionBound(expression)).to.deep.equal(expected);
    });
  }

  it('drops whole range partitions that end before the cutoff, never the default or open-ended one', () => {
    const partitions: PartitionInfo[] = [
      { name: 'p_jan', bound: { kind: 'range', from: 'MINVALUE', to: '2024-02-01' }, endsBeforeCutoff: true },
      {
        name: 'p_feb',
        bound: { kind: 'range', from: '2024-02-01', to: '2024-03-01' },
        endsBeforeCutoff: false,
      },
      { name: 'p_max', bound: { kind: 'range', from: '2024-03-01', to: 'MAXVALUE' }, endsBeforeCutoff: true },
      { name: 'p_default', bound: { kind: 'default' }, endsBeforeCutoff: true },
    ];
    expect(partitionsToDrop(partitions).map((p) => p.name)).to.deep.equal(['p_jan']);
  });

  it('starts another batch only while the slowest batch still fits the budget', () => {
    expect(anotherBatchFits(50_000, 9_000, 60_000)).to.equal(true);
    expect(anotherBatchFits(50_000, 11_000, 60_000)).to.equal(false);
  });

  it('names archives by resource, table, day, run and batch', () => {
    const at = new Date('2024-05-01T03:04:05.678Z');
    const base = { namespace: 'gw', name: 'logs', table: 'public.request_logs', runStartedAt: at };
    expect(archiveKey({ ...base, sequence: 7, format: 'NDJSON' })).to.equal(
      'database-archives/gw/logs/public.request_logs/2024/05/01/20240501T030405Z-000007.ndjson.gz',
    );
    expect(archiveKey({ ...base, sequence: 1, format: 'CSV', partition: 'request_logs_2024_04' })).to.equal(
      'database-archives/gw/logs/public.request_logs/2024/05/01/20240501T030405Z-partition-request_logs_2024_04.csv.gz',
    );
  });

  it('writes CSV as RFC 4180, telling NULL (empty) from an empty string ("")', () => {
    expect(csvLine(['a', null, '', 'say "hi"', 'x,y', 'two\nlines'])).to.equal(
      'a,,"","say ""hi""","x,y","two\nlines"',
    );
  });
});
