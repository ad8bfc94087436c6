import { expect } from 'chai';
import type { AuditEvent as TrailEvent } from '../domain/telemetry/audit-chain.js';
import { auditTrailSink, trailAction } from './audit-trail.js';

describe('database runs in the audit trail', () => {
  it("maps database actions onto the trail's verbs, keeping the dotted action and the facts", () => {
    const recorded: TrailEvent[] = [];
    const sink = auditTrailSink({ record: (e) => recorded.push(e) });
    sink.record({
      action: 'database.backup.created',
      outcome: 'success',
      resource: { kind: 'DatabaseBackup', namespace: 'gw', name: 'nightly' },
      job: '0b5c',
      at: new Date('2026-12-06T03:00:00Z'),
      detail: { backup: 'nightly-20261206T030000Z-1a2b', sizeBytes: 1024, verification: 'Verified' },
    });
    expect(recorded).to.deep.equal([
      {
        timeMs: Date.parse('2026-12-06T03:00:00Z'),
        action: 'backup',
        actor: 'gateway-worker job 0b5c',
        kind: 'DatabaseBackup',
        namespace: 'gw',
        name: 'nightly',
        generation: 0,
        summary: 'database.backup.created (success): backup nightly-20261206T030000Z-1a2b',
        details: {
          backup: 'nightly-20261206T030000Z-1a2b',
          sizeBytes: 1024,
          verification: 'Verified',
          databaseAction: 'database.backup.created',
          outcome: 'success',
        },
      },
    ]);
  });

  it('records an action it does not know as observed', () => {
    expect(
      [
        'database.migration.applied',
        'database.migration.undone',
        'database.retention.deleted',
        'database.other',
      ].map(trailAction),
    ).to.deep.equal(['applied', 'rollback', 'delete', 'observed']);
  });
});
