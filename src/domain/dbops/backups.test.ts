import { expect } from 'chai';
import {
  backupId,
  backupKeys,
  backupsToDelete,
  compareRowCounts,
  describeMismatches,
  humanBytes,
  isBackupId,
  type StoredBackup,
} from './backups.js';

const day = 86_400_000;
const now = new Date('2024-05-31T00:00:00Z');
const backup = (
  id: string,
  daysAgo: number,
  verification: StoredBackup['verification'] = 'Verified',
): StoredBackup => ({
  id,
  finishedAt: new Date(now.getTime() - daysAgo * day),
  verification,
});

describe('backups', () => {
  it('ids are the resource name, the time and a random suffix, and keys sit under the resource', () => {
    const id = backupId('nightly', new Date('2024-05-01T02:00:00.123Z'), '0a1f');
    expect(id).to.equal('nightly-20240501T020000Z-0a1f');
    expect(isBackupId(id)).to.equal(true);
    expect(isBackupId('../etc/passwd')).to.equal(false);
    expect(backupKeys('gw', 'nightly', id)).to.deep.equal({
      dump: 'database-backups/gw/nightly/nightly-20240501T020000Z-0a1f.dump',
      manifest: 'database-backups/gw/nightly/nightly-20240501T020000Z-0a1f.json',
    });
  });

  it('keeps the newest N backups', () => {
    const all = [backup('a', 1), backup('b', 2), backup('c', 3), backup('d', 4)];
    expect(backupsToDelete(all, { count: 2 }, now).map((b) => b.id)).to.deep.equal(['c', 'd']);
  });

  it('removes backups older than the maximum age, whatever the count', () => {
    const all = [backup('a', 1), backup('b', 10), backup('c', 40)];
    expect(backupsToDelete(all, { count: 10, maxAgeMs: 30 * day }, now).map((b) => b.id)).to.deep.equal([
      'c',
    ]);
  });

  it('never removes the newest verified backup, however old or far down the list', () => {
    const all = [backup('a', 1, 'Failed'), backup('b', 2, 'Failed'), backup('c', 90)];
    expect(backupsToDelete(all, { count: 1, maxAgeMs: 30 * day }, now).map((b) => b.id)).to.deep.equal(['b']);
  });

  it('compares row counts per table, naming missing tables on either side', () => {
    const mismatches = compareRowCounts(
      { 'public.a': 10, 'public.b': 5 },
      { 'public.a': 10, 'public.b': 4, 'public.c': 1 },
    );
    expect(mismatches).to.deep.equal([
      { table: 'public.b', expected: 5, restored: 4 },
      { table: 'public.c', expected: undefined, restored: 1 },
    ]);
    expect(describeMismatches(mismatches)).to.equal(
      'public.b: 5 in the snapshot, 4 restored; public.c: absent in the snapshot, 1 restored',
    );
    expect(compareRowCounts({ 'public.a': 3 }, { 'public.a': 3 })).to.deep.equal([]);
  });

  it('prints sizes in binary units', () => {
    expect([0, 1023, 1536, 5 * 1024 * 1024, 1.5 * 1024 ** 3].map(humanBytes)).to.deep.equal([
      '0 B',
      '1023 B',
      '1.5 KiB',
      '5.0 MiB',
      '1.5 GiB',
    ]);
  });
});
