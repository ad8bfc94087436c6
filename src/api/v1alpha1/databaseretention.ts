/**
 * DatabaseRetention (gwdbret): per table, how long rows are kept by a time column; older rows
 * are archived (compressed NDJSON or CSV in the object store, read back and checked) before
 * they are deleted, in batches, on a schedule, within a time budget. A range-partitioned table
 * loses whole partitions instead of rows.
 */
import { conditions, duration, durationBound, observedGeneration, timestamp, uniqueBy } from './common.js';
import { connectionRef, lastRequest, lastRun, sqlName, sqlTable } from './database-common.js';
import { cronSchedule, timeZone } from './schedule.js';
import {
  array,
  boolean,
  defaulted,
  enumeration,
  integer,
  object,
  required,
  string,
  type TypeOf,
} from './schema/builder.js';
import { ageColumn, conditionColumn, defineKind } from './schema/kind.js';

const MINUTE = 60_000_000_000n;

export const ARCHIVE_FORMATS = ['NDJSON', 'CSV', 'None'] as const;

const table = object('One table and how long its rows are kept.', {
  table: required(sqlTable('The table, e.g. request_logs or public.request_logs.')),
  timeColumn: required(sqlName('The column that dates each row, e.g. timestamp or expires_at.')),
  keep: required(
    duration(
      'Rows whose time column is older than now minus this are removed; 0s removes every row dated in the past (expired cache entries).',
    ),
  ),
  archive: defaulted(
    enumeration(
      'How rows are archived before they are deleted: NDJSON or CSV, gzip-compressed, in the object store; None deletes without an archive.',
      ARCHIVE_FORMATS,
    ),
    'NDJSON',
  ),
  batchSize: defaulted(
    integer('Rows archived and deleted per transaction.', { minimum: 100, maximum: 100_000 }),
    10_000,
  ),
});

const spec = object('The tables and when retention runs.', {
  connectionRef,
  schedule: required(cronSchedule('When retention runs.')),
  timeZone: defaulted(timeZone('The zone the schedule is read in.'), 'UTC'),
  maxRunTime: defaulted(
    duration(
      'A run starts no new batch once it could pass this; what is left waits for the next run.',
      durationBound(
        `duration(self) >= duration('1m') && duration(self) <= duration('24h')`,
        'maxRunTime must be from 1m to 24h',
        (nanos) => nanos >= MINUTE && nanos <= 24n * 60n * MINUTE,
      ),
    ),
    '30m',
  ),
  tables: required(
    array(
      'The tables (1 to 32).',
      table,
      { minItems: 1, maxItems: 32 },
      uniqueBy('table', 'tables must name each table once'),
    ),
  ),
});

const status = object('What the operator observed and did; written by the operator only.', {
  observedGeneration,
  conditions: conditions(
    'Ready (the last run succeeded), Reconciling (a run is queued or running); Ready reasons include RetentionFailed, ArchiveFailed, Incomplete, ConnectionNotReady',
  ),
  lastRun,
  lastRequest,
  rowsDeleted: integer('Rows the last run deleted, in all tables.', { minimum: 0 }),
  tables: array(
    'What the last run did per table.',
    object('One table.', {
      table: string('The table.', { maxLength: 127 }),
      cutoff: timestamp('Rows dated before this were removed.'),
      rowsArchived: integer('Rows written to archives.', { minimum: 0 }),
      rowsDeleted: integer('Rows deleted (from whole partitions too).', { minimum: 0 }),
      partitionsDropped: integer('Partitions dropped whole.', { minimum: 0 }),
      archives: integer('Archive objects written.', { minimum: 0 }),
      complete: boolean('Whether nothing older than the cutoff was left (false: the time budget ran out).'),
      message: string('Anything worth knowing: a missing index on the time column, a stopped run.', {
        maxLength: 1024,
      }),
    }),
    { maxItems: 32 },
  ),
});

export const databaseRetentionKind = defineKind(
  {
    kind: 'DatabaseRetention',
    plural: 'databaseretentions',
    singular: 'databaseretention',
    shortName: 'gwdbret',
    description:
      'DatabaseRetention removes rows older than a time per table, archiving them (NDJSON or CSV, compressed, verified) to the object store first, in batches, on a schedule.',
    printerColumns: [
      conditionColumn('Ready', 'Whether the last run succeeded.'),
      { name: 'Schedule', type: 'string', jsonPath: '.spec.schedule', description: 'When it runs.' },
      {
        name: 'Deleted',
        type: 'integer',
        jsonPath: '.status.rowsDeleted',
        description: 'Rows the last run deleted.',
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

export type DatabaseRetention = TypeOf<typeof databaseRetentionKind.root>;
export type DatabaseRetentionSpec = TypeOf<typeof spec>;
export type DatabaseRetentionStatus = TypeOf<typeof status>;
export type RetentionTable = TypeOf<typeof table>;
