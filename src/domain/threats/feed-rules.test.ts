import { expect } from 'chai';
import { toCidrs } from './cidrs.js';
import { parseFeed } from './feed-parse.js';
import { judgeDownload, type DownloadOutcome, type FeedLimits, type ListInService } from './feed-rules.js';
import { isStale, nextAttemptAt, RETRY_INITIAL_MS } from './feed-schedule.js';

const limits: FeedLimits = { maxEntries: 1000, maxShrinkPercent: 50 };
const HOUR = 3_600_000;

function body(lines: string[]): DownloadOutcome {
  return { kind: 'body', parsed: parseFeed(lines.join('\n'), { type: 'plain' }) };
}

/** `n` distinct public /32s. */
function hosts(n: number): string[] {
  return Array.from(
    { length: n },
    (_, i) => `45.${Math.floor(i / 65536) % 256}.${Math.floor(i / 256) % 256}.${i % 256}`,
  );
}

describe('the last-good rules of a threat feed', () => {
  const inService: ListInService = { entries: 100, sameSource: true };
  const cases: { name: string; outcome: DownloadOutcome; before?: ListInService; reason: string }[] = [
    {
      name: 'a failed download keeps the list, with its reason',
      outcome: { kind: 'failed', reason: 'Timeout', message: 'no answer within 30s' },
      before: inService,
      reason: 'Timeout',
    },
    {
      name: 'more than 1 % unreadable entries',
      outcome: body([...hosts(98), 'x', 'y']),
      before: inService,
      reason: 'ParseErrors',
    },
    { name: 'more entries than maxEntries', outcome: body(hosts(1001)), reason: 'TooManyEntries' },
    { name: 'an empty body', outcome: body(['# nothing today']), reason: 'Empty' },
    {
      name: 'nothing but private and reserved space',
      outcome: body(['10.0.0.0/8', '192.168.1.1']),
      reason: 'Empty',
    },
    { name: 'a 90 % shrink', outcome: body(hosts(10)), before: inService, reason: 'Shrunk' },
    {
      name: 'a 304 with no list of this source to keep',
      outcome: { kind: 'not-modified' },
      before: { entries: 100, sameSource: false },
      reason: 'FetchFailed',
    },
  ];
  for (const { name, outcome, before, reason } of cases) {
    it(`refuses ${name}`, () => {
      const verdict = judgeDownload(outcome, before, limits);
      expect(verdict.kind).to.equal('rejected');
      if (verdict.kind === 'rejected') expect(verdict.reason).to.equal(reason);
    });
  }

  it('accepts exactly 1 % unreadable entries, and a shrink to exactly half', () => {
    expect(judgeDownload(body([...hosts(99), 'x']), inService, limits).kind).to.equal('accepted');
    expect(judgeDownload(body(hosts(50)), inService, limits).kind).to.equal('accepted');
    expect(judgeDownload(body(hosts(49)), inService, limits).kind).to.equal('rejected');
  });

  it('skips the shrink check when the source changed, or when maxShrinkPercent is 100', () => {
    expect(judgeDownload(body(hosts(10)), { entries: 100, sameSource: false }, limits).kind).to.equal(
      'accepted',
    );
    expect(judgeDownload(body(hosts(10)), inService, { ...limits, maxShrinkPercent: 100 }).kind).to.equal(
      'accepted',
    );
  });

  it('strips reserved space from an accepted list and versions it by content', () => {
    const a = judgeDownload(body(['10.0.0.0/8', '45.0.0.0/24', '45.0.1.0/24']), undefined, limits);
    const b = judgeDownload(body(['45.0.1.0/24', '45.0.0.0/23']), undefined, limits);
    if (a.kind !== 'accepted' || b.kind !== 'accepted') throw new Error('expected accepted');
    expect(toCidrs(a.list.ranges)).to.deep.equal(['45.0.0.0/23']);
    expect(a.list).to.include({ entries: 3, reservedEntries: 1 });
    expect(a.list.version).to.equal(b.list.version);
  });

  it('keeps the list on a 304 of the same source', () => {
    expect(judgeDownload({ kind: 'not-modified' }, inService, limits)).to.deep.equal({
      kind: 'not-modified',
    });
  });
});

describe('the refresh schedule of a threat feed', () => {
  it('fetches at once the first time and after a source change, then every interval', () => {
    expect(nextAttemptAt({ lastAttemptAt: undefined, failures: 0, sourceChanged: false }, HOUR)).to.equal(
      -Infinity,
    );
    expect(nextAttemptAt({ lastAttemptAt: 5, failures: 0, sourceChanged: true }, HOUR)).to.equal(-Infinity);
    expect(nextAttemptAt({ lastAttemptAt: 5, failures: 0, sourceChanged: false }, HOUR)).to.equal(5 + HOUR);
  });

  it('retries a failure after 15 minutes, doubling, never later than the interval', () => {
    const at = (failures: number): number =>
      nextAttemptAt({ lastAttemptAt: 0, failures, sourceChanged: false }, 2 * HOUR);
    expect([1, 2, 3, 4, 9].map(at)).to.deep.equal([
      RETRY_INITIAL_MS,
      2 * RETRY_INITIAL_MS,
      HOUR,
      2 * HOUR,
      2 * HOUR,
    ]);
  });

  it('calls a list stale once it was last confirmed longer ago than allowed', () => {
    expect(isStale(0, 0, 3 * HOUR, 3 * HOUR)).to.equal(false);
    expect(isStale(0, 0, 3 * HOUR, 3 * HOUR + 1)).to.equal(true);
    expect(isStale(undefined, 10, HOUR, HOUR + 11)).to.equal(true);
  });
});
