/**
 * One log line → a record, in a named format or by recognising it (`auto`): a line starting with
 * `{` is the JSON access log, one starting with an RFC 3339 time is a tracing line, anything else
 * is tried as Common/Combined Log Format. Lines longer than {@link MAX_LINE_BYTES} are malformed.
 */
import { parseAccessLogJson } from './access-log-json.js';
import { parseCommonLogFormat } from './common-log-format.js';
import { malformed, type ParseResult } from './log-entry.js';
import { parseTracingLine, stripAnsi } from './tracing-line.js';

export const LOG_FORMATS = ['json', 'clf', 'tracing', 'auto'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** A record is a line; 64 KiB bounds what one line can cost the agent and the worker. */
export const MAX_LINE_BYTES = 64 * 1024;

const TRACING_START = /^\d{4}-\d{2}-\d{2}T/;

export function parseLogLine(line: string, format: LogFormat): ParseResult {
  if (line.length > MAX_LINE_BYTES) return malformed(`line longer than ${MAX_LINE_BYTES} bytes`);
  switch (format) {
    case 'json':
      return parseAccessLogJson(line);
    case 'clf':
      return parseCommonLogFormat(line);
    case 'tracing':
      return parseTracingLine(line);
    case 'auto': {
      const start = line.trimStart();
      if (start.startsWith('{')) return parseAccessLogJson(line);
      if (TRACING_START.test(stripAnsi(start))) return parseTracingLine(start);
      const clf = parseCommonLogFormat(line);
      return clf.ok
        ? clf
        : malformed('not a JSON access-log line, a tracing line or Common/Combined Log Format');
    }
  }
}
