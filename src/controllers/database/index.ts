/**
 * The database kinds' controllers (DatabaseConnection, DatabaseMigration, DatabaseRetention,
 * DatabaseBackup, DatabaseMaintenance), one per kind on the shared shape of controller.ts.
 */
import type { Controller } from '../../runtime/controller/controller.js';
import { backupKind } from './backup.js';
import { connectionKind } from './connection.js';
import { databaseController, type DatabaseControllerOptions } from './controller.js';
import { maintenanceKind } from './maintenance.js';
import { migrationKind } from './migration.js';
import { retentionKind } from './retention.js';

export type { DatabaseControllerOptions } from './controller.js';

export function databaseControllers(options: DatabaseControllerOptions): Controller[] {
  return [
    databaseController(options, connectionKind(options.manager)),
    databaseController(options, migrationKind(options.manager)),
    databaseController(options, retentionKind()),
    databaseController(options, backupKind(options.schema)),
    databaseController(options, maintenanceKind()),
  ];
}
