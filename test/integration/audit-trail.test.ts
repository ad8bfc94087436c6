/**
 * The audit trail on a real PostgreSQL: two writers appending at once extend one chain; `audit
 * verify` names an edited, a deleted and a reordered entry; trimming keeps the rest verifiable.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { AuditEvent } from '../../src/domain/telemetry/audit-chain.js';
import { main, type Output } from '../../src/cli/main.js';
import { identifier } from '../../src/storage/database.js';
import { DirectoryObjectStore } from '../../src/storage/object-store-directory.js';
import { readArchive } from '../../src/telemetry/archive.js';
import { AuditStore } from '../../src/telemetry/audit-store.js';
import { migratedStore, postgresAt, type TestStore } from '../support/job-fixtures.js';
import { sharedDatabaseUrl } from '../support/shared-postgres.js';

const event = (i: number, actor = 'writer'): AuditEvent => ({
  timeMs: Date.UTC(2026, 0, 1) + i * 1000,
  action: 'update',
  actor,
  kind: 'RouteConfig',
  namespace: 'shop',
  name: `r${i}`,
  generation: i,
  summary: `changed spec.routes[${i}]`,
  details: { i },
});

function capture(): Output & { text: { stdout: string; stderr: string } } {
  const text = { stdout: '', stderr: '' };
  return { text, stdout: (t) => (text.stdout += t), stderr: (t) => (text.stderr += t) };
}

describe('audit trail (real PostgreSQL)', function () {
  this.timeout(60_000);
  let test: TestStore;
  let url: string;

  beforeEach(async () => {
    test = await migratedStore('audit');
    url = await sharedDatabaseUrl();
  });
  afterEach(async () => {
    await test.db.close();
  });

  const cli = async (...args: string[]) => {
    const out = capture();
    const code = await main(['audit', ...args], { DATABASE_URL: url, DATABASE_SCHEMA: test.schema }, out);
    return { code, ...out.text };
  };

  it('two replicas appending at the same time extend one chain, without a fork', async () => {
    const other = postgresAt(url, test.schema);
    try {
      const a = new AuditStore(test.db, test.schema);
      const b = new AuditStore(other, test.schema);
      await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          (i % 2 === 0 ? a : b).append([event(i, i % 2 === 0 ? 'a' : 'b')]),
        ),
      );
    } finally {
      await other.close();
    }
    const result = await new AuditStore(test.db, test.schema).verify();
    expect(result.problems).to.deep.equal([]);
    expect(result.checked).to.equal(40);
    expect(result.head?.sequence).to.equal(40);
    const verify = await cli('verify');
    expect(verify.code, verify.stderr).to.equal(0);
    expect(verify.stdout).to.match(
      /^audit trail intact: 40 entries checked; last entry 40, hash [0-9a-f]{64}\n$/,
    );
  });

  describe('tampering', () => {
    beforeEach(async () => {
      await new AuditStore(test.db, test.schema).append(Array.from({ length: 6 }, (_, i) => event(i + 1)));
    });

    it('an edited entry is named', async () => {
      await test.db.query(
        `UPDATE ${identifier(test.schema)}.audit_log SET actor = 'mallory' WHERE sequence = 3`,
      );
      const verify = await cli('verify');
      expect(verify.code).to.equal(1);
      expect(verify.stderr).to.include('entry 3 was edited');
      expect(verify.stderr).to.include('TAMPERED: 1 problem(s) in 6 entries');
    });

    it('a deleted entry is named', async () => {
      await test.db.query(`DELETE FROM ${identifier(test.schema)}.audit_log WHERE sequence = 4`);
      const verify = await cli('verify');
      expect(verify.code).to.equal(1);
      expect(verify.stderr).to.include('entry 4 is missing (deleted)');
    });

    it('reordered entries are found', async () => {
      const s = identifier(test.schema);
      // Swap entries 2 and 5 by their sequence numbers (through a free number).
      await test.db.query(`UPDATE ${s}.audit_log SET sequence = 1000 WHERE sequence = 2`);
      await test.db.query(`UPDATE ${s}.audit_log SET sequence = 2 WHERE sequence = 5`);
      await test.db.query(`UPDATE ${s}.audit_log SET sequence = 5 WHERE sequence = 1000`);
      const verify = await cli('verify');
      expect(verify.code).to.equal(1);
      expect(verify.stderr).to.match(/entry 2 (was edited|does not follow)/);
      expect(verify.stderr).to.match(/entry 5 (was edited|does not follow)/);
    });

    it('an entry whose details were rewritten as other JSON is named', async () => {
      await test.db.query(
        `UPDATE ${identifier(test.schema)}.audit_log SET details = '{"i": 99}' WHERE sequence = 6`,
      );
      const verify = await cli('verify');
      expect(verify.stderr).to.include('entry 6 was edited');
    });
  });

  it('trimming archives the old entries and moves the anchor: the rest still verifies', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-audit-'));
    try {
      const store = new AuditStore(test.db, test.schema);
      await store.append(Array.from({ length: 10 }, (_, i) => event(i + 1)));
      const objects = new DirectoryObjectStore(dir);
      const removed = await store.trim(new Date(Date.UTC(2026, 0, 1) + 4_500), objects, Date.now());
      expect(removed).to.equal(4);
      const keys: string[] = [];
      for await (const info of objects.list('audit/')) keys.push(info.key);
      expect(keys).to.deep.equal(['audit/audit_log-000000000001-000000000004.ndjson.gz']);
      expect((await readArchive(objects, keys[0] ?? '')).rows).to.equal(4);
      const result = await store.verify();
      expect(result.problems).to.deep.equal([]);
      expect(result.anchor?.sequence).to.equal(4);
      expect(result.checked).to.equal(6);
      // New entries continue the chain after the anchor.
      const [next] = await store.append([event(11)]);
      expect(next?.sequence).to.equal(11);
      expect((await store.verify()).problems).to.deep.equal([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('exports entries as NDJSON and CSV', async () => {
    const store = new AuditStore(test.db, test.schema);
    const now = Date.now();
    await store.append([
      { ...event(1), timeMs: now - 60_000, summary: 'changed spec.mode, spec.rules' },
      { ...event(2), timeMs: now - 30_000 },
    ]);
    const ndjson = await cli('export', '--since', '1h', '--format', 'ndjson');
    expect(ndjson.code, ndjson.stderr).to.equal(0);
    const lines = ndjson.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { sequence: number; summary: string });
    expect(lines.map((l) => l.sequence)).to.deep.equal([1, 2]);
    const csv = await cli('export', '--since', '1h', '--format', 'csv');
    const rows = csv.stdout.trim().split('\n');
    expect(rows[0]).to.equal(
      'sequence,time,action,actor,kind,namespace,name,generation,summary,details,previous_hash,hash',
    );
    expect(rows[1]).to.include('"changed spec.mode, spec.rules"');
    const bad = await cli('export', '--format', 'xml');
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.include('--format xml: must be ndjson or csv');
  });
});
