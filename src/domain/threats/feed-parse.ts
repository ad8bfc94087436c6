/**
 * Reads a threat feed's body in one of the formats feeds publish, into an aggregated range list
 * and the counts the last-good rules judge it by (feed-rules.ts):
 *
 * - `plain`: one address or CIDR per line; `;` and `#` start a comment anywhere in the line, as
 *   Spamhaus DROP writes `1.10.16.0/20 ; SBL256894`;
 * - `netset`: FireHOL's `.netset` and `.ipset` files, `#` comments only;
 * - `csv`: one column of a CSV file, by number or by its header's name;
 * - `json`: the values a JSON path reaches, in one document or in JSON lines (NDJSON).
 *
 * An entry that is not an address or CIDR counts as invalid; so does one broader than a feed
 * entry may be (aggregate.ts). Nothing is thrown: the caller decides with the counts.
 */
import { CidrCollector } from './aggregate.js';
import { parseV6, scanV4, type Cidr } from './cidrs.js';
import type { RangeSet } from './ip-ranges.js';
import { parseJsonPath, selectPath } from './json-path.js';

export type FeedFormat =
  | { readonly type: 'plain' }
  | { readonly type: 'netset' }
  | {
      readonly type: 'csv';
      /** 1-based column number, or the header's name (which implies a header row). */
      readonly column: number | string;
      readonly delimiter: string;
      readonly header: boolean;
    }
  | { readonly type: 'json'; readonly path: string; readonly lines: boolean };

export interface LineProblem {
  /** 1-based line of the body (for a single JSON document, 1). */
  readonly line: number;
  /** What was wrong, without quoting the line: a feed URL may point anywhere. */
  readonly message: string;
}

export interface ParsedFeed {
  /** Aggregated; reserved space is still in (the caller strips it and counts it). */
  readonly ranges: RangeSet;
  /** Valid entries read. */
  readonly entries: number;
  readonly invalid: number;
  /** Valid entries reaching into reserved space. */
  readonly reservedEntries: number;
  /** The first few invalid entries. */
  readonly problems: readonly LineProblem[];
  /** Set when the body as a whole could not be read (a JSON document that does not parse). */
  readonly unreadable?: string;
}

const KEPT_PROBLEMS = 5;

class Reader {
  readonly collector = new CidrCollector();
  invalid = 0;
  readonly problems: LineProblem[] = [];

  bad(line: number, message: string): void {
    this.invalid += 1;
    if (this.problems.length < KEPT_PROBLEMS) this.problems.push({ line, message });
  }

  take(cidr: Cidr | undefined, line: number): void {
    if (!cidr) {
      this.bad(line, 'not an IP address or CIDR');
      return;
    }
    const problem = this.collector.add(cidr);
    if (problem) this.bad(line, problem);
  }

  done(unreadable?: string): ParsedFeed {
    const entries = this.collector.size;
    return {
      ranges: this.collector.ranges(),
      entries,
      invalid: this.invalid,
      reservedEntries: this.collector.reservedEntries,
      problems: this.problems,
      ...(unreadable === undefined ? {} : { unreadable }),
    };
  }
}

export function parseFeed(body: string, format: FeedFormat): ParsedFeed {
  switch (format.type) {
    case 'plain':
      return parseLines(body, true);
    case 'netset':
      return parseLines(body, false);
    case 'csv':
      return parseCsv(body, format);
    case 'json':
      return format.lines ? parseJsonLines(body, format.path) : parseJsonDocument(body, format.path);
  }
}

const SEMICOLON = 59;
const HASH = 35;
const SPACE = 32;
const TAB = 9;
const CR = 13;

/** The hot path: lines are never sliced unless they are IPv6. */
function parseLines(body: string, semicolonComments: boolean): ParsedFeed {
  const reader = new Reader();
  let lineStart = 0;
  let line = 0;
  while (lineStart < body.length) {
    let lineEnd = body.indexOf('\n', lineStart);
    if (lineEnd < 0) lineEnd = body.length;
    line += 1;
    let end = lineStart;
    while (end < lineEnd) {
      const code = body.charCodeAt(end);
      if (code === HASH || (semicolonComments && code === SEMICOLON)) break;
      end += 1;
    }
    let start = lineStart;
    while (start < end && isBlank(body.charCodeAt(start))) start += 1;
    while (end > start && isBlank(body.charCodeAt(end - 1))) end -= 1;
    if (end > start) reader.take(entryAt(body, start, end), line);
    lineStart = lineEnd + 1;
  }
  return reader.done();
}

function isBlank(code: number): boolean {
  return code === SPACE || code === TAB || code === CR;
}

function entryAt(text: string, start: number, end: number): Cidr | undefined {
  return scanV4(text, start, end) ?? parseV6(text.slice(start, end));
}

function entryOf(text: string): Cidr | undefined {
  const trimmed = text.trim();
  return entryAt(trimmed, 0, trimmed.length);
}

function parseCsv(body: string, format: Extract<FeedFormat, { type: 'csv' }>): ParsedFeed {
  const reader = new Reader();
  let column = typeof format.column === 'number' ? format.column - 1 : -1;
  let headerPending = format.header || typeof format.column === 'string';
  const lines = body.split('\n');
  for (let i = 0; i < lines.length; i += 1) {
    const text = (lines[i] ?? '').replace(/\r$/, '');
    if (text.trim() === '' || text.trimStart().startsWith('#')) continue;
    const cells = splitCsvLine(text, format.delimiter);
    if (headerPending) {
      headerPending = false;
      if (typeof format.column === 'string') {
        column = cells.findIndex((cell) => cell.trim() === format.column);
        if (column < 0) {
          return reader.done(`the header row (line ${i + 1}) has no column named "${format.column}"`);
        }
      }
      continue;
    }
    const cell = cells[column];
    if (cell === undefined) reader.bad(i + 1, `the line has no column ${column + 1}`);
    else reader.take(entryOf(cell), i + 1);
  }
  return reader.done();
}

/** RFC 4180 fields: a quoted field may hold the delimiter and doubled quotes. */
export function splitCsvLine(line: string, delimiter: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i += 1) {
    const char = line[i] as string;
    if (quoted) {
      if (char === '"' && line[i + 1] === '"') {
        cell += '"';
        i += 1;
      } else if (char === '"') {
        quoted = false;
      } else {
        cell += char;
      }
    } else if (char === '"' && cell.trim() === '') {
      quoted = true;
      cell = '';
    } else if (char === delimiter) {
      cells.push(cell);
      cell = '';
    } else {
      cell += char;
    }
  }
  cells.push(cell);
  return cells;
}

function takeSelected(reader: Reader, values: readonly unknown[], line: number): void {
  for (const value of values) {
    if (typeof value === 'string') reader.take(entryOf(value), line);
    else reader.bad(line, `the path reaches a ${value === null ? 'null' : typeof value}, not a string`);
  }
}

function parseJsonDocument(body: string, path: string): ParsedFeed {
  const reader = new Reader();
  const segments = parseJsonPath(path);
  if (!segments) return reader.done(`"${path}" is not a JSON path`);
  let document: unknown;
  try {
    document = JSON.parse(body);
  } catch (error) {
    return reader.done(`the body is not JSON: ${(error as Error).message}`);
  }
  takeSelected(reader, selectPath(document, segments), 1);
  return reader.done();
}

/**
 * One JSON document per line. A line the path reaches nothing in is skipped, not invalid:
 * Spamhaus ends its drop_v4.json with a metadata record that has no `cidr`.
 */
function parseJsonLines(body: string, path: string): ParsedFeed {
  const reader = new Reader();
  const segments = parseJsonPath(path);
  if (!segments) return reader.done(`"${path}" is not a JSON path`);
  const lines = body.split('\n');
  for (let i = 0; i < lines.length; i += 1) {
    const text = (lines[i] ?? '').trim();
    if (text === '') continue;
    let document: unknown;
    try {
      document = JSON.parse(text);
    } catch {
      reader.bad(i + 1, 'not a JSON document');
      continue;
    }
    takeSelected(reader, selectPath(document, segments), i + 1);
  }
  return reader.done();
}
