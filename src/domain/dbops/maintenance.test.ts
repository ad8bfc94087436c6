import { expect } from 'chai';
import {
  activityFindings,
  estimateIndexBloat,
  indexFindings,
  normalizeQuery,
  qualified,
  tableFindings,
  type IndexStats,
  type MaintenanceThresholds,
  type TableStats,
} from './maintenance.js';

const thresholds: MaintenanceThresholds = {
  deadTupleRatio: 0.2,
  minDeadTuples: 1000,
  staleStatisticsRatio: 0.2,
  minModifiedRows: 1000,
  indexBloatRatio: 0.5,
  minIndexBytes: 1024 * 1024,
  unusedIndexMinStatsAgeMs: 7 * 86_400_000,
  longQueryMs: 300_000,
};

const table = (overrides: Partial<TableStats>): TableStats => ({
  schema: 'public',
  table: 'request_logs',
  liveTuples: 100_000,
  deadTuples: 0,
  modifiedSinceAnalyze: 0,
  lastAnalyzed: new Date(0),
  ...overrides,
});

/** A bigint btree over 1M rows: about 2,745 pages when packed at the default fillfactor. */
const index = (overrides: Partial<IndexStats>): IndexStats => ({
  schema: 'public',
  table: 'request_logs',
  index: 'idx_request_logs_timestamp',
  sizeBytes: 2745 * 8192,
  pages: 2745,
  scans: 10,
  unique: false,
  primary: false,
  valid: true,
  method: 'btree',
  signature: '2|3124',
  tuples: 1_000_000,
  keyWidth: 8,
  fillfactor: 90,
  blockSize: 8192,
  ...overrides,
});

describe('maintenance findings', () => {
  it('a table with many dead tuples needs VACUUM (ANALYZE), quoted', () => {
    const [finding, ...rest] = tableFindings([table({ deadTuples: 50_000 })], thresholds);
    expect(rest).to.deep.equal([]);
    expect(finding?.kind).to.equal('DeadTuples');
    expect(finding?.action).to.equal('VACUUM (ANALYZE) "public"."request_logs"');
    expect(finding?.detail).to.equal('50000 dead tuples, 33 % of the table');
  });

  it('a table changed a lot since its last ANALYZE, or never analyzed, needs ANALYZE', () => {
    const findings = tableFindings(
      [table({ modifiedSinceAnalyze: 30_000 }), table({ table: 'gateway_stats', lastAnalyzed: undefined })],
      thresholds,
    );
    expect(findings.map((f) => [f.kind, f.object, f.action])).to.deep.equal([
      ['StaleStatistics', 'public.request_logs', 'ANALYZE "public"."request_logs"'],
      ['StaleStatistics', 'public.gateway_stats', 'ANALYZE "public"."gateway_stats"'],
    ]);
  });

  it('small or healthy tables need nothing', () => {
    expect(tableFindings([table({ deadTuples: 500, liveTuples: 100 }), table({})], thresholds)).to.deep.equal(
      [],
    );
  });

  it('estimates a packed btree as not bloated and one holding a tenth of its rows as bloated', () => {
    expect(estimateIndexBloat(index({}))).to.be.lessThan(0.05);
    expect(estimateIndexBloat(index({ tuples: 100_000 }))).to.be.greaterThan(0.85);
    expect(estimateIndexBloat(index({ keyWidth: undefined }))).to.equal(undefined);
    expect(estimateIndexBloat(index({ method: 'gin' }))).to.equal(undefined);
  });

  it('a bloated index is rebuilt concurrently; an invalid one too', () => {
    const findings = indexFindings(
      [index({ tuples: 100_000 }), index({ index: 'idx_broken', valid: false, signature: 'x' })],
      thresholds,
      undefined,
    );
    expect(findings.map((f) => [f.kind, f.action])).to.deep.equal([
      ['BloatedIndex', 'REINDEX INDEX CONCURRENTLY "public"."idx_request_logs_timestamp"'],
      ['InvalidIndex', 'REINDEX INDEX CONCURRENTLY "public"."idx_broken"'],
    ]);
  });

  it('unused indexes are only recommended, and only on statistics old enough to judge', () => {
    const unused = index({ scans: 0 });
    expect(indexFindings([unused], thresholds, 86_400_000)).to.deep.equal([]);
    const [finding] = indexFindings([unused], thresholds, 30 * 86_400_000);
    expect(finding?.kind).to.equal('UnusedIndex');
    expect(finding?.action).to.equal(undefined);
    expect(finding?.recommendation).to.match(
      /DROP INDEX CONCURRENTLY "public"\."idx_request_logs_timestamp"/,
    );
    expect(indexFindings([index({ scans: 0, unique: true })], thresholds, 30 * 86_400_000)).to.deep.equal([]);
  });

  it('a duplicate index is named against the one that enforces something', () => {
    const findings = indexFindings(
      [index({ index: 'a_dup' }), index({ index: 'z_unique', unique: true })],
      thresholds,
      undefined,
    );
    expect(findings.map((f) => [f.kind, f.object, f.detail])).to.deep.equal([
      ['DuplicateIndex', 'public.a_dup', 'indexes the same as z_unique'],
    ]);
  });

  it('reports long-running queries, idle transactions and lock waits, with nothing run for them', () => {
    const findings = activityFindings(
      [
        {
          pid: 1,
          state: 'active',
          runningMs: 600_000,
          query: 'SELECT  pg_sleep(900)',
          waitingForLock: false,
          blockedBy: [],
        },
        {
          pid: 2,
          state: 'idle in transaction',
          runningMs: 400_000,
          query: 'UPDATE t SET x = 1',
          waitingForLock: false,
          blockedBy: [],
        },
        {
          pid: 3,
          state: 'active',
          runningMs: 5_000,
          query: 'ALTER TABLE t ADD c int',
          waitingForLock: true,
          blockedBy: [2],
        },
        {
          pid: 4,
          state: 'active',
          runningMs: 1_000,
          query: 'SELECT 1',
          waitingForLock: false,
          blockedBy: [],
        },
      ],
      thresholds,
    );
    expect(findings.map((f) => [f.kind, f.object, f.action])).to.deep.equal([
      ['LongRunningQuery', 'pid 1', undefined],
      ['LongRunningQuery', 'pid 2', undefined],
      ['LockWait', 'pid 3', undefined],
    ]);
    expect(findings[0]?.detail).to.equal('running for 600 s: SELECT pg_sleep(?)');
    expect(findings[1]?.recommendation).to.match(/open transaction holds back VACUUM/);
    expect(findings[2]?.detail).to.match(/held by pid 2: ALTER TABLE t ADD c int$/);
  });

  it('shows queries without their values', () => {
    expect(normalizeQuery("UPDATE users SET password_hash = 'secret', n = 42 WHERE id = $1")).to.equal(
      'UPDATE users SET password_hash = ?, n = ? WHERE id = $1',
    );
  });

  it('quotes identifiers, doubling quotes inside them', () => {
    expect(qualified('my schema', 'a"b')).to.equal('"my schema"."a""b"');
  });
});
