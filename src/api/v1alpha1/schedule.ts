/**
 * The schedule fields later kinds (reports, database backups, retention) put in their spec:
 * `schedule` (cron) and `timeZone`. One definition, so the API server's CEL rule, the offline
 * validator (`gateway-worker validate`) and the scheduler accept exactly the same expressions.
 *
 *   spec: object('...', {
 *     schedule: required(cronSchedule('When the report runs.')),
 *     timeZone: defaulted(timeZone('The zone the schedule is read in.'), 'UTC'),
 *   })
 *
 * A controller then declares the schedule to the job queue under a name of its own (a migration
 * will give `schedules.owner` the resource's namespace/name), and deletes it with the resource.
 */
import {
  CRON_HINT,
  CRON_PATTERN,
  TIME_ZONE_HINT,
  TIME_ZONE_PATTERN,
  cronProblem,
  isCronSyntax,
  timeZoneProblem,
} from './checks/cron.js';
import { celString, matches } from './checks/names.js';
import { cel, offline, string } from './schema/builder.js';

/** A cron expression: five fields or a macro; the pattern in CEL, croner's full parse offline. */
export function cronSchedule(description: string) {
  return string(
    `${description} A cron expression of five fields (minute hour day-of-month month day-of-week), such as "0 3 * * *", or @hourly, @daily, @weekly, @monthly, @yearly.`,
    { maxLength: 100 },
    cel(`self.matches(${celString(CRON_PATTERN)})`, CRON_HINT, isCronSyntax),
    offline((self) => (isCronSyntax(self) ? cronProblem(self) : undefined)),
  );
}

/** An IANA time zone; the shape in CEL, the name checked against the runtime's zone data offline. */
export function timeZone(description: string) {
  return string(
    `${description} An IANA time zone name such as UTC or America/Sao_Paulo.`,
    { maxLength: 64 },
    cel(`self.matches(${celString(TIME_ZONE_PATTERN)})`, TIME_ZONE_HINT, (self) =>
      matches(TIME_ZONE_PATTERN, self),
    ),
    offline((self) => (matches(TIME_ZONE_PATTERN, self) ? timeZoneProblem(self) : undefined)),
  );
}
