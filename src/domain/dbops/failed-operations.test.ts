import { expect } from 'chai';
import { databaseOperationEvents } from '../notify/sources/hook-events.js';
import { failedOperations, type DatabaseResourceState } from './failed-operations.js';

function resource(
  kind: string,
  name: string,
  ready?: { status: 'True' | 'False' | 'Unknown'; reason: string; message?: string },
): DatabaseResourceState {
  return {
    kind,
    namespace: 'gw',
    name,
    ...(ready
      ? {
          conditions: [
            { type: 'Reconciling', status: 'False', reason: 'Idle', message: 'no run is queued or running' },
            { type: 'Ready', message: ready.reason, ...ready },
          ],
        }
      : {}),
  };
}

describe('database operations that notify DatabaseOperationFailed', () => {
  it('lists each backup, migration, retention and maintenance whose last finished run failed, with its reason and message', () => {
    const failures = failedOperations([
      resource('DatabaseMigration', 'schema', {
        status: 'False',
        reason: 'MigrationFailed',
        message: '002_orders.sql failed: relation "orders" already exists',
      }),
      resource('DatabaseBackup', 'nightly', {
        status: 'False',
        reason: 'Failed',
        message: 'pg_dump exited 1',
      }),
      resource('DatabaseRetention', 'logs', { status: 'False', reason: 'JobFailed', message: 'lease lost' }),
      resource('DatabaseMaintenance', 'weekly', {
        status: 'False',
        reason: 'Unreachable',
        message: 'ECONNREFUSED',
      }),
    ]);
    expect(failures).to.deep.equal([
      {
        namespace: 'gw',
        name: 'nightly',
        resourceKind: 'DatabaseBackup',
        operation: 'backup',
        message: 'Failed: pg_dump exited 1',
      },
      {
        namespace: 'gw',
        name: 'weekly',
        resourceKind: 'DatabaseMaintenance',
        operation: 'maintenance',
        message: 'Unreachable: ECONNREFUSED',
      },
      {
        namespace: 'gw',
        name: 'schema',
        resourceKind: 'DatabaseMigration',
        operation: 'migration',
        message: 'MigrationFailed: 002_orders.sql failed: relation "orders" already exists',
      },
      {
        namespace: 'gw',
        name: 'logs',
        resourceKind: 'DatabaseRetention',
        operation: 'retention',
        message: 'JobFailed: lease lost',
      },
    ]);
    expect(databaseOperationEvents(failures ?? [])[0]).to.deep.include({
      type: 'DatabaseOperationFailed',
      labels: { namespace: 'gw', name: 'nightly', resource_kind: 'DatabaseBackup', operation: 'backup' },
    });
  });

  it('leaves out successes, runs not ended yet, never-run resources, invalid specs and connections', () => {
    expect(
      failedOperations([
        resource('DatabaseBackup', 'ok', { status: 'True', reason: 'Succeeded' }),
        resource('DatabaseBackup', 'scheduled', { status: 'True', reason: 'Scheduled' }),
        resource('DatabaseMigration', 'first', { status: 'Unknown', reason: 'Running' }),
        resource('DatabaseRetention', 'cron', { status: 'False', reason: 'InvalidSpec' }),
        resource('DatabaseConnection', 'primary', { status: 'False', reason: 'Unreachable' }),
        resource('DatabaseBackup', 'new'),
      ]),
    ).to.deep.equal([]);
  });

  it('has no set while the store holding the runs is unreachable, so the last one stands', () => {
    expect(
      failedOperations([
        resource('DatabaseBackup', 'nightly', {
          status: 'False',
          reason: 'Failed',
          message: 'pg_dump exited 1',
        }),
        resource('DatabaseMigration', 'schema', { status: 'Unknown', reason: 'StoreNotReady' }),
      ]),
    ).to.equal(undefined);
  });
});
