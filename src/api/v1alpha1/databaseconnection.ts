/**
 * DatabaseConnection (gwdb): how to reach the gateway's PostgreSQL — host, port, database, user,
 * the password from a Secret, TLS — and, in its status, the server's health as last checked.
 * The other database kinds name one of these.
 */
import { isIP } from './checks/network.js';
import { celString, matches } from './checks/names.js';
import {
  conditions,
  duration,
  durationBound,
  observedGeneration,
  secretKeySelector,
  timestamp,
} from './common.js';
import { lastRun } from './database-common.js';
import {
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

/** A host name without a wildcard. */
const HOST_NAME = '^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\\.)*[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$';
const DATABASE_NAME = '^[A-Za-z0-9_][A-Za-z0-9_.-]{0,62}$';
const SECOND = 1_000_000_000n;

export const SSL_MODES = ['disable', 'prefer', 'require', 'verify-ca', 'verify-full'] as const;

const spec = object(
  "Where the gateway's PostgreSQL is and how to log in.",
  {
    host: required(
      string(
        'Host name or IP address of the server, e.g. postgres.gateway.svc.',
        { maxLength: 253, minLength: 1 },
        cel(
          `self.matches(${celString(HOST_NAME)}) || isIP(self)`,
          'host must be a lowercase host name or an IP address',
          (self) => matches(HOST_NAME, self) || isIP(self),
        ),
      ),
    ),
    port: defaulted(integer('TCP port.', { minimum: 1, maximum: 65535 }), 5432),
    database: required(
      string(
        'Database name.',
        { maxLength: 63, minLength: 1 },
        cel(
          `self.matches(${celString(DATABASE_NAME)})`,
          'database must be letters, digits, _, - and . (at most 63)',
          (self) => matches(DATABASE_NAME, self),
        ),
      ),
    ),
    user: required(
      string(
        'User (role) to log in as. Migrations need the rights their statements need; backups need SELECT on every table; maintenance needs to own the tables it vacuums and reindexes.',
        { maxLength: 63, minLength: 1 },
        cel(
          `self.matches(${celString(DATABASE_NAME)})`,
          'user must be letters, digits, _, - and . (at most 63)',
          (self) => matches(DATABASE_NAME, self),
        ),
      ),
    ),
    passwordSecretRef: secretKeySelector(
      'Secret entry holding the password. Unset: no password (trust or certificate authentication).',
    ),
    sslMode: defaulted(
      enumeration(
        "TLS, as libpq's sslmode: disable, prefer (TLS when the server offers it, unverified), require (TLS, unverified), verify-ca (signed by the CA), verify-full (and the host name matches).",
        SSL_MODES,
      ),
      'prefer',
    ),
    caSecretRef: secretKeySelector(
      'Secret entry holding the PEM CA bundle that signed the server certificate (verify-ca, verify-full).',
    ),
    connectTimeout: defaulted(
      duration(
        'How long connecting may take.',
        durationBound(
          `duration(self) >= duration('1s') && duration(self) <= duration('5m')`,
          'connectTimeout must be from 1s to 5m',
          (nanos) => nanos >= SECOND && nanos <= 300n * SECOND,
        ),
      ),
      '10s',
    ),
    checkInterval: defaulted(
      duration(
        'How often the health in the status is refreshed.',
        durationBound(
          `duration(self) >= duration('30s')`,
          'checkInterval must be at least 30s',
          (nanos) => nanos >= 30n * SECOND,
        ),
      ),
      '5m',
    ),
  },
  cel(
    "!(self.sslMode == 'verify-ca') || has(self.caSecretRef)",
    'sslMode verify-ca needs caSecretRef: the CA that signed the server certificate',
    (self) => self.sslMode !== 'verify-ca' || self.caSecretRef !== undefined,
    { fieldPath: '.caSecretRef' },
  ),
);

const status = object('What the operator observed; written by the operator only.', {
  observedGeneration,
  conditions: conditions(
    'Ready (reachable, logged in, a supported server), with reasons Unreachable, AuthenticationFailed, DatabaseNotFound, TlsFailed, ServerTooOld, SecretNotFound, Checking',
  ),
  server: object('The server as last checked.', {
    version: string('PostgreSQL version, e.g. 15.8.', { maxLength: 64 }),
    versionNumber: integer('server_version_num, e.g. 150008.', { minimum: 0 }),
    sizeBytes: integer('Size of the database in bytes.', { minimum: 0 }),
    size: string('The same, for people: 1.2 GiB.', { maxLength: 32 }),
    connections: integer('Connections to this database now.', { minimum: 0 }),
    maxConnections: integer("The server's max_connections.", { minimum: 0 }),
    longestTransactionSeconds: integer('Age of the oldest open transaction, in seconds.', { minimum: 0 }),
    checkedAt: timestamp('When it was checked.'),
  }),
  lastRun,
});

export const databaseConnectionKind = defineKind(
  {
    kind: 'DatabaseConnection',
    plural: 'databaseconnections',
    singular: 'databaseconnection',
    shortName: 'gwdb',
    description:
      "DatabaseConnection says how to reach the gateway's PostgreSQL and shows the server's health: version, size, connections, the longest transaction.",
    printerColumns: [
      conditionColumn('Ready', 'Whether the server answers, accepts the login and is supported.'),
      { name: 'Host', type: 'string', jsonPath: '.spec.host', description: 'Server host.' },
      { name: 'Database', type: 'string', jsonPath: '.spec.database', description: 'Database name.' },
      {
        name: 'Version',
        type: 'string',
        jsonPath: '.status.server.version',
        description: 'PostgreSQL version.',
      },
      { name: 'Size', type: 'string', jsonPath: '.status.server.size', description: 'Database size.' },
      {
        name: 'Connections',
        type: 'integer',
        jsonPath: '.status.server.connections',
        description: 'Connections to the database.',
      },
      ageColumn,
    ],
  },
  spec,
  status,
);

export type DatabaseConnection = TypeOf<typeof databaseConnectionKind.root>;
export type DatabaseConnectionSpec = TypeOf<typeof spec>;
export type DatabaseConnectionStatus = TypeOf<typeof status>;
export type SslMode = (typeof SSL_MODES)[number];
