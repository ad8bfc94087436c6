/**
 * Field shapes the database kinds share: the reference to a DatabaseConnection, SQL names, the
 * last run (every run is a job of the queue), and the annotation that asks for a run now.
 */
import { celString, matches } from './checks/names.js';
import { objectName, timestamp } from './common.js';
import { cel, enumeration, object, required, string } from './schema/builder.js';

/**
 * Set (or change) this annotation to any value to run the operation once now, besides its
 * schedule; the value handled last is kept in `status.lastRequest`.
 */
export const RUN_NOW_ANNOTATION = 'gateway.awesomeapi.com.br/run-now';

/** An unquoted, lowercase PostgreSQL identifier: what the gateway's schema uses, and never needs quoting in docs. */
export const SQL_NAME = '^[a-z_][a-z0-9_]{0,62}$';
/** `table` or `schema.table`. */
export const SQL_TABLE = '^([a-z_][a-z0-9_]{0,62}\\.)?[a-z_][a-z0-9_]{0,62}$';
export const SQL_NAME_HINT = 'must be a lowercase SQL name: letters, digits and _, not starting with a digit';
export const SQL_TABLE_HINT = 'must be a table name, optionally with its schema (public.request_logs)';

export function sqlName(description: string) {
  return string(
    description,
    { maxLength: 63 },
    cel(`self.matches(${celString(SQL_NAME)})`, SQL_NAME_HINT, (self) => matches(SQL_NAME, self)),
  );
}

export function sqlTable(description: string) {
  return string(
    description,
    { maxLength: 127 },
    cel(`self.matches(${celString(SQL_TABLE)})`, SQL_TABLE_HINT, (self) => matches(SQL_TABLE, self)),
  );
}

export const connectionRef = required(
  object('The DatabaseConnection, in the namespace of this resource, that says how to reach the database.', {
    name: required(objectName('Name of the DatabaseConnection.')),
  }),
);

export const RUN_STATES = ['Queued', 'Running', 'Succeeded', 'Failed'] as const;

/** The last run, read from the job queue and the run's own record. */
export const lastRun = object('The newest run: a job of the queue ("gateway-worker jobs show JOB").', {
  job: string('The job id.', { maxLength: 64 }),
  trigger: string('What started it: Schedule, Change or Requested.', { maxLength: 32 }),
  state: enumeration('Where it is.', RUN_STATES),
  startedAt: timestamp('When it started.'),
  finishedAt: timestamp('When it ended.'),
  duration: string('How long it ran, such as 1m4s.', { maxLength: 32 }),
  message: string('What it did, or why it failed.', { maxLength: 4096 }),
});

export const lastRequest = string(`The value of the ${RUN_NOW_ANNOTATION} annotation handled last.`, {
  maxLength: 256,
});
