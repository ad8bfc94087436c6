/**
 * Cron expressions for scheduled work (reports, backups, retention): the classic five fields
 * (minute hour day-of-month month day-of-week) or a macro such as @daily, minute precision, as
 * Kubernetes CronJob users write them. The pattern is what the API server checks in CEL (RE2);
 * {@link cronProblem} adds what a pattern cannot see (a range that runs backwards, a date that
 * never comes) by parsing with croner, the library the scheduler runs.
 */
import { Cron, type CronOptions } from 'croner';

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
const names = (list: readonly string[]): string => [...list, ...list.map((n) => n.toLowerCase())].join('|');

const STEP = '/[1-9][0-9]?';
function field(value: string, extra = ''): string {
  const item = `(\\*(${STEP})?|(${value})-(${value})(${STEP})?|(${value})${extra})`;
  return `${item}(,${item})*`;
}

const MINUTE = field('[1-5]?[0-9]');
const HOUR = field('2[0-3]|[01]?[0-9]');
const DAY_OF_MONTH = `(\\?|${field('3[01]|[12][0-9]|0?[1-9]')})`;
const MONTH = field(`1[0-2]|0?[1-9]|${names(MONTHS)}`);
const DAY_OF_WEEK = `(\\?|${field(`[0-7]|${names(DAYS)}`)})`;
const MACROS = '@(yearly|annually|monthly|weekly|daily|midnight|hourly)';

/** The grammar as one regular expression that RE2 (CEL `matches`) and JavaScript read alike. */
export const CRON_PATTERN = `^(${MACROS}|${MINUTE} +${HOUR} +${DAY_OF_MONTH} +${MONTH} +${DAY_OF_WEEK})$`;
const CRON = new RegExp(CRON_PATTERN);

export const CRON_HINT =
  'must be a cron expression of five fields (minute hour day-of-month month day-of-week) such as "0 3 * * *" or "*/15 * * * *", or one of @hourly, @daily, @weekly, @monthly, @yearly';

/** An IANA time zone name's shape (Europe/Lisbon, America/Sao_Paulo, UTC, Etc/GMT+3). */
export const TIME_ZONE_PATTERN = '^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*$';
export const TIME_ZONE_HINT =
  'must be an IANA time zone name such as UTC, Europe/Lisbon or America/Sao_Paulo';

export function isCronSyntax(text: string): boolean {
  return CRON.test(text);
}

/**
 * Options every user of croner here shares: five fields, and day-of-month OR day-of-week when both
 * are restricted, as Vixie cron and Kubernetes CronJob do.
 */
export function cronOptions(timeZone: string): CronOptions {
  return { mode: '5-part', timezone: timeZone, paused: true, domAndDow: false };
}

/** Undefined when `text` is a cron expression the scheduler can run; otherwise what is wrong. */
export function cronProblem(text: string, timeZone = 'UTC'): string | undefined {
  if (!CRON.test(text)) return CRON_HINT;
  try {
    const cron = new Cron(text, cronOptions(timeZone));
    if (cron.nextRun() === null) return `never runs: "${text}" names no date that exists`;
  } catch (err) {
    return `${CRON_HINT}; croner says: ${err instanceof Error ? err.message : String(err)}`;
  }
  return undefined;
}

export function timeZoneProblem(name: string): string | undefined {
  if (!new RegExp(TIME_ZONE_PATTERN).test(name)) return TIME_ZONE_HINT;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return undefined;
  } catch {
    return `${TIME_ZONE_HINT}; "${name}" is not a time zone this runtime knows`;
  }
}
