/**
 * Common Log Format and Combined Log Format lines, as Apache (`%h %l %u %t "%r" %>s %b`, plus
 * `"%{Referer}i" "%{User-agent}i"`) and nginx's default `combined` write them:
 *
 *   203.0.113.7 - frank [10/Oct/2000:13:55:36 -0700] "GET /a.gif HTTP/1.0" 200 2326 "http://x/" "Mozilla/5.0"
 *
 * Anything after the Combined fields (nginx setups often append `"$http_x_forwarded_for"`) is
 * ignored. A request line that is not `METHOD URI PROTOCOL` (a TLS handshake sent to a plaintext
 * port logs as binary junk) makes the line malformed.
 */
import {
  emptyEntry,
  emptyRequest,
  LogLevel,
  LogType,
  malformed,
  parsed,
  type ParseResult,
} from './log-entry.js';

const QUOTED = '"((?:[^"\\\\]|\\\\.)*)"';
const LINE = new RegExp(
  `^(\\S+) (\\S+) (\\S+) \\[([^\\]]+)\\] ${QUOTED} (\\d{3}) (\\d+|-)(?: ${QUOTED} ${QUOTED})?(?:\\s.*)?$`,
);
const REQUEST = /^([A-Z][A-Z0-9_-]{0,31}) (\S+)(?: (HTTP\/\d(?:\.\d)?))?$/;
const TIME = /^(\d{2})\/([A-Z][a-z]{2})\/(\d{4}):(\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})$/;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `\"`, `\\` and `\xHH`, the escapes Apache and nginx write inside quoted fields. */
function unescape(text: string): string {
  return text.replace(/\\(x[0-9a-fA-F]{2}|.)/g, (_match, escaped: string) =>
    escaped.length === 3 ? String.fromCharCode(parseInt(escaped.slice(1), 16)) : escaped,
  );
}

/** `10/Oct/2000:13:55:36 -0700` → nanoseconds since the epoch; undefined when not such a time. */
export function clfTimeToNanos(text: string): string | undefined {
  const match = TIME.exec(text);
  if (!match) return undefined;
  const [, day, monthName, year, hour, minute, second, sign, offsetHours, offsetMinutes] = match;
  const month = MONTHS.indexOf(monthName ?? '');
  if (month < 0) return undefined;
  const local = Date.UTC(Number(year), month, Number(day), Number(hour), Number(minute), Number(second));
  const check = new Date(local);
  if (check.getUTCDate() !== Number(day) || check.getUTCHours() !== Number(hour)) return undefined;
  const offsetMs = (sign === '-' ? -1 : 1) * (Number(offsetHours) * 60 + Number(offsetMinutes)) * 60_000;
  const ms = local - offsetMs;
  if (ms < 0) return undefined;
  return (BigInt(ms) * 1_000_000n).toString();
}

const dash = (value: string | undefined): string => (value === undefined || value === '-' ? '' : value);

export function parseCommonLogFormat(line: string): ParseResult {
  const match = LINE.exec(line);
  if (!match) return malformed('not a Common or Combined Log Format line');
  const [, host, , user, time, request, status, bytes, referer, userAgent] = match;
  const timestamp = clfTimeToNanos(time ?? '');
  if (timestamp === undefined) return malformed(`time [${time ?? ''}] is not dd/Mon/yyyy:HH:MM:SS +zzzz`);
  const requestLine = REQUEST.exec(unescape(request ?? ''));
  if (!requestLine) return malformed('request line is not "METHOD URI PROTOCOL"');
  const responseSize = bytes === '-' ? 0 : Number(bytes);
  if (!Number.isSafeInteger(responseSize)) return malformed(`response size ${bytes ?? ''} is out of range`);
  const statusCode = Number(status);
  if (statusCode < 100 || statusCode > 599) return malformed(`status ${status ?? ''} is not an HTTP status`);
  const entry = emptyEntry();
  entry.logType = LogType.LOG_TYPE_ACCESS;
  entry.level = LogLevel.LOG_LEVEL_INFO;
  entry.timestamp = timestamp;
  const remoteUser = dash(user);
  if (remoteUser !== '') entry.metadata = { remote_user: remoteUser };
  entry.requestData = {
    ...emptyRequest(),
    method: requestLine[1] ?? '',
    uri: requestLine[2] ?? '',
    statusCode,
    clientIp: dash(host),
    responseSize,
    referer: dash(referer === undefined ? undefined : unescape(referer)),
    userAgent: dash(userAgent === undefined ? undefined : unescape(userAgent)),
  };
  return parsed(entry);
}
