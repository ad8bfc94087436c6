/**
 * DatabaseMigration (gwdbmig): versioned SQL files from ConfigMaps, applied in order to the
 * database a DatabaseConnection names, each in a transaction, one runner at a time, with a
 * history table of checksums; an edited applied file is drift and stops everything.
 */
import { celString, matches } from './checks/names.js';
import { conditions, objectName, observedGeneration, timestamp, uniqueBy } from './common.js';
import { connectionRef, lastRequest, lastRun, sqlName } from './database-common.js';
import { cronSchedule, timeZone } from './schedule.js';
import {
  array,
  boolean,
  cel,
  defaulted,
  integer,
  object,
  required,
  string,
  type TypeOf,
} from './schema/builder.js';
import { ageColumn, conditionColumn, defineKind } from './schema/kind.js';

const VERSION = '^[0-9]+([._][0-9]+)*$';

const spec = object('The migration files and where they go.', {
  connectionRef,
  configMaps: required(
    array(
      'ConfigMaps, in the namespace of this resource, whose keys are migration files: V<version>__<description>.sql ' +
        '(undo: U<version>__<description>.sql) or <number>_<description>.sql (undo: .down.sql). Other keys are ignored. ' +
        'Several ConfigMaps lift the 1 MiB limit of one.',
      object('A ConfigMap.', { name: required(objectName('Name of the ConfigMap.')) }),
      { minItems: 1, maxItems: 32 },
      uniqueBy('name', 'configMaps must name each ConfigMap once'),
    ),
  ),
  historySchema: defaulted(sqlName('Schema of the history table.'), 'public'),
  historyTable: defaulted(
    sqlName('The history table: one row per applied file, with its checksum.'),
    'gateway_worker_schema_history',
  ),
  allowOutOfOrder: defaulted(
    boolean('Apply a new file whose version is below the highest applied one, instead of refusing it.'),
    false,
  ),
  targetVersion: string(
    'Apply up to this version; below the applied version, run the undo files back down to it. Unset: the newest file.',
    { maxLength: 64 },
    cel(`self.matches(${celString(VERSION)})`, 'targetVersion must be a version such as 3 or 1.2', (self) =>
      matches(VERSION, self),
    ),
  ),
  schedule: cronSchedule(
    'Also check (and apply) on this schedule, e.g. to notice drift made in the database. Unset: runs when the files or the spec change, or on request.',
  ),
  timeZone: defaulted(timeZone('The zone the schedule is read in.'), 'UTC'),
});

const status = object('What the operator observed and did; written by the operator only.', {
  observedGeneration,
  conditions: conditions(
    'Ready (every file applied, no drift), Drifted (an applied file changed), Reconciling (a run is queued or running); Ready reasons include MigrationFailed, Drifted, OutOfOrder, InvalidMigrations, UndoMissing, ConnectionNotReady',
  ),
  appliedVersion: string('Highest applied version.', { maxLength: 64 }),
  latestVersion: string('Highest version among the files.', { maxLength: 64 }),
  applied: integer('Applied versions.', { minimum: 0 }),
  pending: integer('Files not applied yet.', { minimum: 0 }),
  filesDigest: string('SHA-256 over the files the last run read, to tell a new set from the same one.', {
    maxLength: 64,
  }),
  failure: object('The file, statement and error of the last failed run; nothing of that file was kept.', {
    file: string('The migration file.', { maxLength: 256 }),
    statement: integer('1-based position of the statement in the file.', { minimum: 0 }),
    line: integer('Line of the statement in the file.', { minimum: 0 }),
    sql: string('The statement, shortened.', { maxLength: 1024 }),
    error: string("The server's error, shortened.", { maxLength: 2048 }),
    at: timestamp('When it failed.'),
  }),
  drift: array(
    'Applied files whose checksum changed.',
    object('One drifted file.', {
      version: string('Version.', { maxLength: 64 }),
      file: string('File name.', { maxLength: 256 }),
      applied: string('Checksum recorded when applied (SHA-256, hex).', { maxLength: 64 }),
      current: string("The file's checksum now.", { maxLength: 64 }),
    }),
    { maxItems: 16 },
  ),
  lastRun,
  lastRequest,
});

export const databaseMigrationKind = defineKind(
  {
    kind: 'DatabaseMigration',
    plural: 'databasemigrations',
    singular: 'databasemigration',
    shortName: 'gwdbmig',
    description:
      'DatabaseMigration applies versioned SQL files from ConfigMaps to a database, in order, each in a transaction, recording checksums; an edited applied file is drift and stops it.',
    printerColumns: [
      conditionColumn('Ready', 'Whether every file is applied.'),
      conditionColumn('Drifted', 'Whether an applied file changed.'),
      {
        name: 'Applied',
        type: 'string',
        jsonPath: '.status.appliedVersion',
        description: 'Highest applied version.',
      },
      {
        name: 'Pending',
        type: 'integer',
        jsonPath: '.status.pending',
        description: 'Files not applied yet.',
      },
      {
        name: 'Last Run',
        type: 'date',
        jsonPath: '.status.lastRun.finishedAt',
        description: 'When the last run ended.',
      },
      ageColumn,
    ],
  },
  spec,
  status,
);

export type DatabaseMigration = TypeOf<typeof databaseMigrationKind.root>;
export type DatabaseMigrationSpec = TypeOf<typeof spec>;
export type DatabaseMigrationStatus = TypeOf<typeof status>;
