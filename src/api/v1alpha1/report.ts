/**
 * Report (gwreport): a scheduled report of the gateway fleet (traffic, top lists, latency, errors,
 * WAF blocks, incidents and decisions, certificates, configuration changes, capacity forecast)
 * over a window, rendered as HTML, JSON and/or CSV, kept in the object store (the last `keep`),
 * and delivered through NotificationChannels. docs/reports.md describes every field.
 */
import { REPORT_WINDOWS } from '../../domain/reports/report-data.js';
import { REPORT_FORMATS, REPORT_SECTIONS } from '../../domain/reports/sections.js';
import { conditions, objectName, observedGeneration, timestamp, uniqueBy } from './common.js';
import { cronSchedule, timeZone } from './schedule.js';
import {
  array,
  defaulted,
  enumeration,
  integer,
  object,
  required,
  string,
  type TypeOf,
} from './schema/builder.js';
import { ageColumn, conditionColumn, defineKind } from './schema/kind.js';

const spec = object('What the report covers, when it runs, and where it goes.', {
  schedule: required(cronSchedule('When the report is generated.')),
  timeZone: defaulted(timeZone('The zone the schedule is read in.'), 'UTC'),
  window: defaulted(
    enumeration('How far back the report looks, ending at the start of the hour it runs in.', REPORT_WINDOWS),
    '24h',
  ),
  sections: defaulted(
    array(
      `The sections to include, shown in a fixed order: ${REPORT_SECTIONS.join(', ')}. Default: all.`,
      enumeration('A section.', REPORT_SECTIONS),
      { minItems: 1, maxItems: REPORT_SECTIONS.length, listType: 'set' },
    ),
    [...REPORT_SECTIONS],
  ),
  formats: defaulted(
    array(
      'The files each report is stored as: html (a self-contained page with SVG charts), json, csv.',
      enumeration('A format.', REPORT_FORMATS),
      { minItems: 1, maxItems: REPORT_FORMATS.length, listType: 'set' },
    ),
    ['html'],
  ),
  delivery: object('Where each report is sent once stored.', {
    channels: array(
      'NotificationChannels in this namespace: email channels get the HTML page as an attachment, the others (webhook, slack, ...) a link to the report on the HTTP API.',
      object('A channel reference.', { name: required(objectName('Name of the NotificationChannel.')) }),
      { maxItems: 16 },
      uniqueBy('name', 'channel names must be unique'),
    ),
  }),
  keep: defaulted(
    integer('How many reports are kept in the object store; older ones are deleted.', {
      minimum: 1,
      maximum: 100,
    }),
    10,
  ),
});

const reportEntry = object('One stored report.', {
  id: string('Report id, the last part of /api/v1/reports/NAMESPACE/NAME/ID.', { maxLength: 64 }),
  generatedAt: timestamp('When it was generated.'),
  sizeBytes: integer('Size of its files together.', { minimum: 0 }),
  formats: array('The files stored.', enumeration('A format.', REPORT_FORMATS), {
    maxItems: REPORT_FORMATS.length,
  }),
});

const status = object('What the operator observed and did; written by the operator only.', {
  observedGeneration,
  conditions: conditions(
    'Ready (the last scheduled report was generated, stored and delivered); reasons: Scheduled, ReportStored, InvalidSchedule, ObjectStoreMissing, StoreUnavailable, GenerationFailed, StoreFailed, DeliveryFailed',
  ),
  lastReport: string('Id of the newest stored report.', { maxLength: 64 }),
  lastReportTime: timestamp('When the newest report was generated.'),
  lastReportSize: string('Size of the newest report, for people.', { maxLength: 32 }),
  reports: array('The stored reports, newest first.', reportEntry, { maxItems: 100 }),
});

export const reportKind = defineKind(
  {
    kind: 'Report',
    plural: 'reports',
    singular: 'report',
    shortName: 'gwreport',
    description:
      'Report generates a scheduled report of the gateway fleet over a window (traffic, latency, errors, WAF, threats, certificates, changes, capacity forecast) as HTML, JSON or CSV, keeps the last ones in the object store and delivers them through NotificationChannels.',
    printerColumns: [
      {
        name: 'Schedule',
        type: 'string',
        jsonPath: '.spec.schedule',
        description: 'When reports are generated.',
      },
      {
        name: 'Window',
        type: 'string',
        jsonPath: '.spec.window',
        description: 'How far back each report looks.',
      },
      {
        name: 'Last Report',
        type: 'date',
        jsonPath: '.status.lastReportTime',
        description: 'When the newest report was generated.',
      },
      conditionColumn('Ready', 'Whether the last report was generated, stored and delivered.'),
      ageColumn,
    ],
  },
  spec,
  status,
);

export type Report = TypeOf<typeof reportKind.root>;
export type ReportSpec = TypeOf<typeof spec>;
export type ReportStatus = TypeOf<typeof status>;
export type StoredReportEntry = TypeOf<typeof reportEntry>;
