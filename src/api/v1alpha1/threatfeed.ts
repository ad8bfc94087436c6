/**
 * ThreatFeed (gwfeed): a threat-intelligence list of addresses and CIDRs (Spamhaus DROP, FireHOL,
 * a CSV or JSON export) fetched on a schedule, stripped of private and reserved space, checked
 * against the allowlists, aggregated, and pushed to the selected gateways as an IP deny list.
 * A refresh that fails or looks wrong keeps the last good list in service.
 */
import {
  HOUR,
  conditions,
  duration,
  durationBound,
  gatewaySelector,
  gatewaysStatus,
  observedGeneration,
  secretKeySelector,
  timestamp,
} from './common.js';
import { DURATION_PATTERN, parseDuration } from './checks/duration.js';
import { HEADER_NAME, JSON_PATH, celString, matches } from './checks/names.js';
import {
  boolean,
  cel,
  defaulted,
  enumeration,
  integer,
  object,
  required,
  string,
  type TypeOf,
} from './schema/builder.js';
import { ageColumn, conditionColumn, defineKind } from './schema/kind.js';

const SECOND = 1_000_000_000n;
/** An http:// or https:// URL with a host: no spaces, no user information. */
export const FEED_URL = "^https?://[A-Za-z0-9._~%!$&'()*+,;=:\\[\\]-]+(/[^\\s]*)?([?#][^\\s]*)?$";
/** Headers an auth header must not replace: they describe the request itself. */
const RESERVED_HEADERS = [
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'if-none-match',
  'if-modified-since',
];

const csv = object(
  'How to read a CSV feed: which column holds the address or CIDR.',
  {
    column: integer('The column, counting from 1.', { minimum: 1, maximum: 1000 }),
    columnName: string('The column, by its name in the header row.', { maxLength: 256, minLength: 1 }),
    delimiter: defaulted(string('The field delimiter, one character.', { maxLength: 1, minLength: 1 }), ','),
    header: defaulted(boolean('The first row is a header (implied by columnName).'), false),
  },
  cel(
    'has(self.column) != has(self.columnName)',
    'set exactly one of csv.column and csv.columnName',
    (self) => (self.column === undefined) !== (self.columnName === undefined),
  ),
);

const json = object('How to read a JSON feed: where its addresses are.', {
  path: required(
    string(
      'A path to the address strings: keys joined by dots, [*] for every item of an array, ' +
        'e.g. data[*].ipAddress (AbuseIPDB) or cidr (Spamhaus drop_v4.json, with lines: true).',
      { maxLength: 256 },
      cel(
        `self.matches(${celString(JSON_PATH)})`,
        'json.path must be keys joined by dots, with [*] or [N] for arrays, e.g. data[*].ipAddress',
        (self) => matches(JSON_PATH, self),
      ),
    ),
  ),
  lines: defaulted(boolean('One JSON document per line (NDJSON), such as drop_v4.json.'), false),
});

const authHeader = object(
  'A request header whose value is read from a Secret, e.g. an API key; never logged or shown.',
  {
    name: defaulted(
      string(
        'The header name.',
        { maxLength: 256, minLength: 1 },
        cel(
          `self.matches(${celString(HEADER_NAME)}) && !(self.lowerAscii() in ${JSON.stringify(RESERVED_HEADERS)})`,
          'authHeader.name must be an HTTP header name other than Host, Content-Length, Transfer-Encoding, Connection, If-None-Match and If-Modified-Since',
          (self) => matches(HEADER_NAME, self) && !RESERVED_HEADERS.includes(self.toLowerCase()),
        ),
      ),
      'Authorization',
    ),
    secretRef: required(
      secretKeySelector('The Secret entry holding the whole header value, e.g. "Bearer abc" or a key.'),
    ),
  },
);

/** Guarded by the pattern, so a malformed value reports the pattern's message alone. */
function bothDurations(a: string, b: string): string {
  return `!self.${a}.matches(${celString(DURATION_PATTERN)}) || !self.${b}.matches(${celString(DURATION_PATTERN)}) || `;
}

const spec = object(
  'The feed to fetch, how to read it, and which gateways deny what it lists.',
  {
    url: required(
      string(
        'Where to download the list: http:// or https:// (http is not encrypted; prefer https).',
        { maxLength: 2048, minLength: 1 },
        cel(
          `self.matches(${celString(FEED_URL)})`,
          'url must be an http:// or https:// URL with a host',
          (self) => matches(FEED_URL, self),
        ),
      ),
    ),
    format: defaulted(
      enumeration(
        'plain: one address or CIDR per line, ";" and "#" comments (Spamhaus DROP). netset: FireHOL ' +
          '.netset/.ipset, "#" comments. csv: a column of a CSV file (see csv). json: what json.path reaches.',
        ['plain', 'netset', 'csv', 'json'],
      ),
      'plain',
    ),
    csv,
    json,
    refreshInterval: defaulted(
      duration(
        'How often to download the list; at least 1h (Spamhaus asks for no more than one download an hour).',
        durationBound(
          "duration(self) >= duration('1h')",
          'refreshInterval must be at least 1h: feed providers such as Spamhaus ask for no more than one download an hour',
          (nanos) => nanos >= HOUR,
        ),
      ),
      '1h',
    ),
    timeout: defaulted(
      duration(
        'How long one download may take, body included (1s to 10m).',
        durationBound(
          "duration(self) >= duration('1s') && duration(self) <= duration('10m')",
          'timeout must be between 1s and 10m',
          (nanos) => nanos >= SECOND && nanos <= 600n * SECOND,
        ),
      ),
      '60s',
    ),
    maxBytes: defaulted(
      integer('The largest body accepted, in bytes (1 KiB to 1 GiB); a larger one is refused.', {
        minimum: 1024,
        maximum: 1_073_741_824,
      }),
      67_108_864,
    ),
    maxEntries: defaulted(
      integer('The most entries accepted (1 to 5,000,000); a longer list is refused.', {
        minimum: 1,
        maximum: 5_000_000,
      }),
      1_000_000,
    ),
    maxShrinkPercent: defaulted(
      integer(
        'A refresh listing this much fewer entries than the list in service is refused as suspect ' +
          '(0 to 100; 100 turns the check off).',
        { minimum: 0, maximum: 100 },
      ),
      50,
    ),
    staleAfter: duration(
      'When the list in service was last confirmed longer ago than this, the feed is stale (its ' +
        'Degraded message says so, and notifications fire). Default: three refresh intervals.',
    ),
    authHeader,
    gatewaySelector,
  },
  cel(
    "self.format == 'csv' ? has(self.csv) : !has(self.csv)",
    'csv is required when format is csv, and only then',
    (self) => (self.format === 'csv') === (self.csv !== undefined),
    { fieldPath: '.csv' },
  ),
  cel(
    "self.format == 'json' ? has(self.json) : !has(self.json)",
    'json is required when format is json, and only then',
    (self) => (self.format === 'json') === (self.json !== undefined),
    { fieldPath: '.json' },
  ),
  cel(
    `!has(self.staleAfter) || ${bothDurations('staleAfter', 'refreshInterval')}duration(self.staleAfter) >= duration(self.refreshInterval)`,
    'staleAfter must be at least refreshInterval',
    (self) => {
      if (self.staleAfter === undefined) return true;
      const [stale, interval] = [parseDuration(self.staleAfter), parseDuration(self.refreshInterval)];
      return stale === undefined || interval === undefined || stale >= interval;
    },
    { fieldPath: '.staleAfter' },
  ),
);

const status = object('What the operator observed and did; written by the operator only.', {
  observedGeneration,
  conditions: conditions(
    'Ready (a good list is in service and every selected gateway applied it), Degraded (the last ' +
      'refresh was refused or failed: the last good list stays in service), Synced (every selected ' +
      'gateway applied the current list)',
  ),
  entries: integer('Entries the list in service was read from.', { minimum: 0 }),
  ranges: integer('Address ranges in the list in service, after stripping and aggregating.', { minimum: 0 }),
  reservedEntries: integer(
    'Entries of the list in service that reached into private or reserved space, which is never pushed.',
    { minimum: 0 },
  ),
  allowlistedRanges: integer('Ranges of the list in service that allowlists cut or removed.', { minimum: 0 }),
  listVersion: string('Content hash of the list in service.', { maxLength: 64 }),
  lastRefreshTime: timestamp(
    'When the list in service was last confirmed current (a good download or a 304).',
  ),
  lastChangeTime: timestamp('When the list in service last changed.'),
  lastAttemptTime: timestamp('When the last download attempt ended.'),
  nextRefreshTime: timestamp('When the next download is due.'),
  gateways: gatewaysStatus,
});

export const threatFeedKind = defineKind(
  {
    kind: 'ThreatFeed',
    plural: 'threatfeeds',
    singular: 'threatfeed',
    shortName: 'gwfeed',
    description:
      'ThreatFeed is a threat-intelligence list of addresses the gateways deny: fetched on a schedule, ' +
      'stripped of private and reserved space and of allowlisted ranges, aggregated, and pushed; a ' +
      'refresh that fails or looks wrong keeps the last good list in service.',
    printerColumns: [
      conditionColumn('Ready', 'A good list is in service on every selected gateway.'),
      conditionColumn('Degraded', 'The last refresh failed or was refused; the last good list serves.'),
      {
        name: 'Entries',
        type: 'integer',
        jsonPath: '.status.entries',
        description: 'Entries in the list in service.',
      },
      {
        name: 'Ranges',
        type: 'integer',
        jsonPath: '.status.ranges',
        description: 'Ranges pushed, after aggregation.',
      },
      {
        name: 'Last Refresh',
        type: 'date',
        jsonPath: '.status.lastRefreshTime',
        description: 'When the list was last confirmed current.',
      },
      {
        name: 'Synced',
        type: 'string',
        jsonPath: '.status.gateways.summary',
        description: 'Gateways that applied the list / gateways selected.',
      },
      ageColumn,
    ],
  },
  spec,
  status,
);

export type ThreatFeed = TypeOf<typeof threatFeedKind.root>;
export type ThreatFeedSpec = TypeOf<typeof spec>;
export type ThreatFeedStatus = TypeOf<typeof status>;
