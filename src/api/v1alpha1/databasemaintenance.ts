/**
 * DatabaseMaintenance (gwdbmaint): on a schedule, finds what the database needs — tables with
 * many dead tuples or stale statistics, bloated, invalid, unused or duplicate indexes,
 * long-running queries and lock waits — and reports it; with mode Apply it also runs VACUUM
 * (ANALYZE), ANALYZE and REINDEX INDEX CONCURRENTLY inside a maintenance window.
 */
import { conditions, duration, durationBound, observedGeneration } from './common.js';
import { connectionRef, lastRequest, lastRun } from './database-common.js';
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

export const MAINTENANCE_MODES = ['Recommend', 'Apply'] as const;

const thresholds = object('When something is reported.', {
  deadTuplePercent: defaulted(
    integer('Dead tuples, as a percentage of a table, that call for VACUUM.', { minimum: 1, maximum: 100 }),
    20,
  ),
  minDeadTuples: defaulted(
    integer('And at least this many.', { minimum: 0, maximum: 1_000_000_000 }),
    10_000,
  ),
  staleStatisticsPercent: defaulted(
    integer('Rows changed since the last ANALYZE, as a percentage of a table, that call for ANALYZE.', {
      minimum: 1,
      maximum: 1000,
    }),
    20,
  ),
  indexBloatPercent: defaulted(
    integer("Share of an index's size its live entries do not need that calls for REINDEX.", {
      minimum: 10,
      maximum: 99,
    }),
    50,
  ),
  minIndexSizeMiB: defaulted(
    integer('Indexes smaller than this are never reported as bloated or unused.', {
      minimum: 0,
      maximum: 1_000_000,
    }),
    10,
  ),
  longQuery: defaulted(duration('Queries and open transactions older than this are reported.'), '5m'),
});

const spec = object('What is checked, when, and whether fixes are applied.', {
  connectionRef,
  schedule: required(cronSchedule('When the checks run.')),
  timeZone: defaulted(timeZone('The zone the schedule and the window are read in.'), 'UTC'),
  mode: defaulted(
    enumeration(
      'Recommend reports only; Apply also runs the safe fixes inside the window.',
      MAINTENANCE_MODES,
    ),
    'Recommend',
  ),
  window: object(
    'When fixes may run (mode Apply): from each occurrence of schedule, for duration. Unset: whenever the checks run.',
    {
      schedule: required(cronSchedule('When the window opens.')),
      duration: required(
        duration(
          'How long it stays open; no fix starts after it closes.',
          durationBound(
            `duration(self) >= duration('5m') && duration(self) <= duration('24h')`,
            'window.duration must be from 5m to 24h',
            (nanos) => nanos >= 5n * MINUTE && nanos <= 24n * 60n * MINUTE,
          ),
        ),
      ),
    },
  ),
  thresholds: defaulted(thresholds, {}),
});

const finding = object('One finding.', {
  kind: string(
    'DeadTuples, StaleStatistics, BloatedIndex, InvalidIndex, UnusedIndex, DuplicateIndex, LongRunningQuery or LockWait.',
    { maxLength: 32 },
  ),
  object: string('The table, index or backend.', { maxLength: 256 }),
  detail: string('What was measured.', { maxLength: 512 }),
  action: string('The fix run in mode Apply.', { maxLength: 512 }),
  recommendation: string('What a person could do, when nothing is run for it.', { maxLength: 512 }),
  applied: boolean('Whether the last run applied the action.'),
});

const status = object('What the operator observed and did; written by the operator only.', {
  observedGeneration,
  conditions: conditions(
    'Ready (the last run succeeded), MaintenanceNeeded (findings wait for a fix), Reconciling (a run is queued or running)',
  ),
  lastRun,
  lastRequest,
  findingCount: integer('Findings of the last run.', { minimum: 0 }),
  appliedCount: integer('Fixes the last run applied.', { minimum: 0 }),
  findings: array('The findings of the last run (at most 50).', finding, { maxItems: 50 }),
});

export const databaseMaintenanceKind = defineKind(
  {
    kind: 'DatabaseMaintenance',
    plural: 'databasemaintenances',
    singular: 'databasemaintenance',
    shortName: 'gwdbmaint',
    description:
      'DatabaseMaintenance finds dead tuples, stale statistics, bloated, invalid, unused or duplicate indexes, long queries and lock waits; in mode Apply it runs VACUUM (ANALYZE), ANALYZE and REINDEX INDEX CONCURRENTLY in a window.',
    printerColumns: [
      conditionColumn('Ready', 'Whether the last run succeeded.'),
      { name: 'Mode', type: 'string', jsonPath: '.spec.mode', description: 'Recommend or Apply.' },
      {
        name: 'Findings',
        type: 'integer',
        jsonPath: '.status.findingCount',
        description: 'Findings of the last run.',
      },
      {
        name: 'Applied',
        type: 'integer',
        jsonPath: '.status.appliedCount',
        description: 'Fixes the last run applied.',
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

export type DatabaseMaintenance = TypeOf<typeof databaseMaintenanceKind.root>;
export type DatabaseMaintenanceSpec = TypeOf<typeof spec>;
export type DatabaseMaintenanceStatus = TypeOf<typeof status>;
export type MaintenanceFinding = TypeOf<typeof finding>;
