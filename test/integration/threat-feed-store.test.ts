/** The threat-feed state and lists in a real PostgreSQL (migration 500 applied by the migrator). */
import { expect } from 'chai';
import { toCidrs } from '../../src/domain/threats/cidrs.js';
import { rangeSetVersion } from '../../src/domain/threats/feed-rules.js';
import { rangesOf } from '../../src/domain/threats/reserved.js';
import {
  ThreatFeedRepository,
  stateAfter,
  type RecordedAttempt,
} from '../../src/storage/threats/feed-repository.js';
import { migratedStore, type TestStore } from '../support/job-fixtures.js';

function accepted(cidrs: string[], etag?: string): RecordedAttempt {
  const ranges = rangesOf(cidrs);
  return {
    kind: 'accepted',
    version: rangeSetVersion(ranges),
    ranges,
    rangeCount: cidrs.length,
    entries: cidrs.length,
    reservedEntries: 0,
    etag,
    lastModified: 'Sat, 10 Jan 2026 16:14:42 GMT',
  };
}

describe('threat feed storage (real PostgreSQL)', function () {
  this.timeout(60_000);
  let test: TestStore;
  let repo: ThreatFeedRepository;
  const t = (minutes: number): Date => new Date(Date.UTC(2026, 0, 1, 0, minutes));

  beforeEach(async () => {
    test = await migratedStore('threat_feeds');
    repo = new ThreatFeedRepository(test.db, test.schema);
  });
  afterEach(() => test.db.close());

  it('keeps the list in service and its validators through failures, and counts the failures', async () => {
    const list = accepted(['45.0.0.0/24', '2a0e:1c80::/29'], '"abc"');
    await repo.record('edge/drop', 'uid-1', 'src-1', t(0), list, undefined);
    let state = await repo.get('edge/drop');
    await repo.record(
      'edge/drop',
      'uid-1',
      'src-1',
      t(60),
      { kind: 'failed', reason: 'Timeout', message: 'slow' },
      state,
    );
    state = await repo.get('edge/drop');
    await repo.record(
      'edge/drop',
      'uid-1',
      'src-1',
      t(75),
      { kind: 'failed', reason: 'HttpError', message: '500' },
      state,
    );
    state = await repo.get('edge/drop');
    expect(state).to.deep.include({
      failures: 2,
      lastReason: 'HttpError',
      lastMessage: '500',
      lastAttemptAt: t(75),
    });
    expect(state?.list).to.deep.include({
      version: list.kind === 'accepted' ? list.version : '',
      etag: '"abc"',
      entries: 2,
      refreshedAt: t(0),
      changedAt: t(0),
    });
    const ranges = await repo.loadList('edge/drop', state?.list?.version ?? '');
    expect(ranges && toCidrs(ranges)).to.deep.equal(['45.0.0.0/24', '2a0e:1c80::/29']);
  });

  it('moves the refresh time on a 304 and the change time only when the list changes', async () => {
    await repo.record('edge/drop', 'uid-1', 'src-1', t(0), accepted(['45.0.0.0/24']), undefined);
    await repo.record(
      'edge/drop',
      'uid-1',
      'src-1',
      t(60),
      { kind: 'not-modified' },
      await repo.get('edge/drop'),
    );
    await repo.record(
      'edge/drop',
      'uid-1',
      'src-1',
      t(120),
      accepted(['45.0.0.0/24']),
      await repo.get('edge/drop'),
    );
    let state = await repo.get('edge/drop');
    expect(state?.list).to.deep.include({ refreshedAt: t(120), changedAt: t(0) });
    expect(state).to.deep.include({ failures: 0, lastReason: 'Refreshed' });
    await repo.record('edge/drop', 'uid-1', 'src-1', t(180), accepted(['46.0.0.0/24']), state);
    state = await repo.get('edge/drop');
    expect(state?.list?.changedAt).to.deep.equal(t(180));
    expect(
      await repo.loadList('edge/drop', state?.list?.version ?? '').then((r) => r && toCidrs(r)),
    ).to.deep.equal(['46.0.0.0/24']);
  });

  it('leaves the state that stateAfter computes without the database', async () => {
    const attempts: [string, number, RecordedAttempt][] = [
      ['uid-1', 0, accepted(['45.0.0.0/24'], '"a"')],
      ['uid-1', 60, { kind: 'failed', reason: 'Shrunk', message: 'x'.repeat(3000) }],
      ['uid-1', 90, { kind: 'not-modified' }],
      ['uid-1', 120, accepted(['46.0.0.0/24'])],
      ['uid-2', 130, { kind: 'failed', reason: 'Timeout', message: 'slow' }],
    ];
    for (const [uid, minutes, attempt] of attempts) {
      const before = await repo.get('edge/drop');
      await repo.record('edge/drop', uid, 'src-1', t(minutes), attempt, before);
      expect(await repo.get('edge/drop')).to.deep.equal(
        stateAfter(before, 'edge/drop', uid, 'src-1', t(minutes), attempt),
      );
    }
  });

  it('starts afresh for a feed created again under the same name, and forgets a deleted one', async () => {
    await repo.record('edge/drop', 'uid-1', 'src-1', t(0), accepted(['45.0.0.0/24']), undefined);
    const old = await repo.get('edge/drop');
    await repo.record(
      'edge/drop',
      'uid-2',
      'src-1',
      t(5),
      { kind: 'failed', reason: 'Timeout', message: 'x' },
      old,
    );
    const state = await repo.get('edge/drop');
    expect(state).to.deep.include({ uid: 'uid-2', failures: 1 });
    expect(state?.list).to.equal(undefined);
    expect(await repo.loadList('edge/drop', old?.list?.version ?? '')).to.equal(undefined);
    await repo.delete('edge/drop');
    expect(await repo.get('edge/drop')).to.equal(undefined);
  });
});
