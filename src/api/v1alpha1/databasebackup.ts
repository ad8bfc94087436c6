/**
 * DatabaseBackup (gwdbbak): scheduled pg_dump backups in custom format, compressed, optionally
 * encrypted, to the object store (a volume or S3); each verified by restoring it into a scratch
 * database and comparing row counts; kept by count and age.
 */
import { conditions, duration, observedGeneration, secretKeySelector, timestamp } from './common.js';
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

const spec = object('What is backed up, when, and how long backups are kept.', {
  connectionRef,
  schedule: required(cronSchedule('When a backup is taken.')),
  timeZone: defaulted(timeZone('The zone the schedule is read in.'), 'UTC'),
  compressionLevel: defaulted(
    integer("pg_dump's compression level, 0 (none) to 9.", { minimum: 0, maximum: 9 }),
    6,
  ),
  encryption: object(
    'Encrypts each backup with a passphrase (scrypt and AES-256-GCM). Unset: not encrypted.',
    {
      passphraseSecretRef: required(
        secretKeySelector(
          'Secret entry holding the passphrase (at least 12 characters). Keep a copy elsewhere: without it a backup cannot be restored.',
        ),
      ),
    },
  ),
  keep: defaulted(
    object('How many backups are kept. The newest verified backup is always kept.', {
      count: defaulted(integer('The newest this many.', { minimum: 1, maximum: 1000 }), 7),
      maxAge: duration('Older ones are removed whatever the count. Unset: no age limit.'),
    }),
    { count: 7 },
  ),
  verify: defaulted(
    boolean(
      'Restore each backup into a scratch database on the same server and compare row counts with the snapshot it was taken from (the user needs CREATEDB).',
    ),
    true,
  ),
});

const backupEntry = object('One backup.', {
  id: string('Backup id, for "gateway-worker db restore --backup ID".', { maxLength: 128 }),
  finishedAt: timestamp('When it was stored.'),
  sizeBytes: integer('Size as stored.', { minimum: 0 }),
  size: string('The same, for people.', { maxLength: 32 }),
  duration: string('How long the dump and upload took.', { maxLength: 32 }),
  verification: enumeration('Verified (restored, row counts equal), Failed or Skipped.', [
    'Verified',
    'Failed',
    'Skipped',
  ]),
  message: string('What the verification found.', { maxLength: 1024 }),
  encrypted: boolean('Whether it is encrypted.'),
});

const status = object('What the operator observed and did; written by the operator only.', {
  observedGeneration,
  conditions: conditions(
    'Ready (the last backup was stored and verified), Reconciling (a backup is queued or running); Ready reasons include BackupFailed, VerificationFailed, ClientTooOld, ObjectStoreMissing, ConnectionNotReady',
  ),
  lastRun,
  lastRequest,
  lastBackup: string('Id of the newest stored backup.', { maxLength: 128 }),
  lastVerifiedBackup: string('Id of the newest verified backup.', { maxLength: 128 }),
  backups: array('The newest backups kept, newest first.', backupEntry, { maxItems: 10 }),
});

export const databaseBackupKind = defineKind(
  {
    kind: 'DatabaseBackup',
    plural: 'databasebackups',
    singular: 'databasebackup',
    shortName: 'gwdbbak',
    description:
      'DatabaseBackup takes scheduled pg_dump backups (custom format, compressed, optionally encrypted) to the object store, verifies each by restoring it, and keeps them by count and age.',
    printerColumns: [
      conditionColumn('Ready', 'Whether the last backup was stored and verified.'),
      {
        name: 'Schedule',
        type: 'string',
        jsonPath: '.spec.schedule',
        description: 'When backups are taken.',
      },
      {
        name: 'Last Backup',
        type: 'string',
        jsonPath: '.status.lastBackup',
        description: 'Newest backup id.',
      },
      {
        name: 'Size',
        type: 'string',
        jsonPath: '.status.backups[0].size',
        description: 'Size of the newest backup.',
      },
      {
        name: 'Verified',
        type: 'string',
        jsonPath: '.status.backups[0].verification',
        description: 'Whether the newest backup restored with equal row counts.',
      },
      ageColumn,
    ],
  },
  spec,
  status,
);

export type DatabaseBackup = TypeOf<typeof databaseBackupKind.root>;
export type DatabaseBackupSpec = TypeOf<typeof spec>;
export type DatabaseBackupStatus = TypeOf<typeof status>;
export type BackupEntry = TypeOf<typeof backupEntry>;
