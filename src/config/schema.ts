/**
 * The one description of gateway-worker's configuration: keys, types, limits and defaults.
 * The TypeScript types below are derived from this object, so a key added here is typed
 * everywhere without a second declaration to keep in step.
 */

const DNS_LABEL = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
const DNS_LABEL_RULE =
  "a DNS-1123 label (at most 63 lowercase letters, digits or '-', starting and ending with a letter or digit)";

export const configSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    GRPC_PORT: { type: 'integer', minimum: 1, maximum: 65535, default: 8080 },
    HTTP_PORT: { type: 'integer', minimum: 1, maximum: 65535, default: 8081 },
    LOG_LEVEL: { type: 'string', enum: ['error', 'warn', 'info', 'debug'], default: 'info' },
    QUEUE_WORKERS: { type: 'integer', minimum: 1, maximum: 100, default: 5 },
    WATCH_NAMESPACES: {
      type: 'array',
      items: { type: 'string', pattern: DNS_LABEL, maxLength: 63 },
      default: [],
      description: `a comma-separated list where each entry is ${DNS_LABEL_RULE}; empty means all namespaces`,
    },
    POD_NAMESPACE: {
      type: 'string',
      pattern: DNS_LABEL,
      maxLength: 63,
      default: 'gateway-worker-system',
      description: DNS_LABEL_RULE,
    },
    LEADER_ELECTION: { type: 'boolean', default: true },
    POD_NAME: { type: 'string', minLength: 1, description: 'a non-empty string' },
    GATEWAY_SELECTOR: {
      type: 'string',
      pattern: '^[A-Za-z0-9./_-]+=[A-Za-z0-9._-]*(,[A-Za-z0-9./_-]+=[A-Za-z0-9._-]*)*$',
      default: 'app.kubernetes.io/name=gateway',
      description: 'label=value pairs separated by commas, such as app.kubernetes.io/name=gateway',
    },
    GATEWAY_AGENT_PORT: { type: 'integer', minimum: 1, maximum: 65535, default: 9443 },
    CERTIFICATE_RETRY_INITIAL_SECONDS: { type: 'integer', minimum: 1, maximum: 604800, default: 3600 },
    CERTIFICATE_RETRY_MAX_SECONDS: { type: 'integer', minimum: 1, maximum: 604800, default: 115200 },
    CERTIFICATE_TRANSIENT_RETRY_INITIAL_SECONDS: { type: 'integer', minimum: 1, maximum: 3600, default: 30 },
    CERTIFICATE_TRANSIENT_RETRY_MAX_SECONDS: { type: 'integer', minimum: 1, maximum: 3600, default: 240 },
    CERTIFICATE_MAX_CONCURRENT_ISSUANCES: { type: 'integer', minimum: 1, maximum: 1000, default: 10 },
    // Storage (docs/storage.md). No DATABASE_URL: the embedded store in EMBEDDED_DATA_DIR.
    DATABASE_URL: {
      type: 'string',
      minLength: 1,
      // Carries the password: errors and logs show it with the password masked.
      writeOnly: true,
      description: 'a PostgreSQL URL such as postgres://user:password@host:5432/database',
    },
    DATABASE_SSLMODE: { type: 'string', enum: ['disable', 'require', 'verify-ca', 'verify-full'] },
    DATABASE_CA_FILE: {
      type: 'string',
      minLength: 1,
      description: 'the path of a PEM file of CA certificates',
    },
    DATABASE_POOL_SIZE: { type: 'integer', minimum: 1, maximum: 100, default: 10 },
    DATABASE_STATEMENT_TIMEOUT_MS: { type: 'integer', minimum: 100, maximum: 3600000, default: 30000 },
    DATABASE_SCHEMA: {
      type: 'string',
      pattern: '^[a-z_][a-z0-9_]{0,62}$',
      default: 'gateway_worker',
      description: 'a lowercase SQL name: letters, digits and _, not starting with a digit, at most 63',
    },
    EMBEDDED_DATA_DIR: {
      type: 'string',
      minLength: 1,
      default: 'data/embedded',
      description: 'a directory path for the embedded store',
    },
    JOB_RETENTION_DAYS: { type: 'integer', minimum: 1, maximum: 3650, default: 14 },
    OBJECT_STORE_URL: {
      type: 'string',
      pattern: '^(file:///[^\\s]*|s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/[A-Za-z0-9._=+,:@/-]*)?)$',
      description:
        'file:///ABSOLUTE/PATH (a directory, such as a mounted volume) or s3://BUCKET[/PREFIX] (a bucket name of 3 to 63 lowercase letters, digits, dots or hyphens)',
    },
    REPORT_LINK_BASE_URL: {
      type: 'string',
      pattern: '^https?://[^\\s/]+(/[^\\s]*)?$',
      description:
        "the operator's HTTP API as the readers of reports reach it, such as https://gateway-worker.example.com: the links in delivered reports start with it",
    },
    S3_ENDPOINT: {
      type: 'string',
      pattern: '^https?://[^\\s/]+(/[^\\s]*)?$',
      description:
        'an http:// or https:// URL of an S3-compatible service, such as https://minio.storage:9000',
    },
    S3_REGION: {
      type: 'string',
      pattern: '^[a-z0-9-]{1,64}$',
      default: 'us-east-1',
      description: 'a region name such as us-east-1 (lowercase letters, digits and hyphens)',
    },
    S3_FORCE_PATH_STYLE: { type: 'boolean', default: false },
    S3_ACCESS_KEY_ID: {
      type: 'string',
      minLength: 1,
      maxLength: 256,
      description: 'a non-empty access key id',
    },
    S3_SECRET_ACCESS_KEY: {
      type: 'string',
      minLength: 1,
      maxLength: 1024,
      writeOnly: true,
      description: 'a non-empty secret access key',
    },
    S3_CA_FILE: { type: 'string', minLength: 1, description: 'a path to a PEM file of CA certificates' },
    // Notifications (docs/notifications.md): when the built-in sources fire, and the traffic
    // thresholds the analytics hook uses unless it passes its own.
    NOTIFY_CERTIFICATE_EXPIRY_DAYS: { type: 'integer', minimum: 1, maximum: 365, default: 14 },
    NOTIFY_GATEWAY_GONE_MINUTES: { type: 'integer', minimum: 1, maximum: 1440, default: 5 },
    NOTIFY_GATEWAY_UNSYNCED_MINUTES: { type: 'integer', minimum: 1, maximum: 1440, default: 10 },
    NOTIFY_TRAFFIC_ERROR_RATE_PERCENT: { type: 'integer', minimum: 1, maximum: 100, default: 5 },
    NOTIFY_TRAFFIC_P95_MS: { type: 'integer', minimum: 1, maximum: 600000, default: 1000 },
    NOTIFY_TRAFFIC_DROP_PERCENT: { type: 'integer', minimum: 1, maximum: 100, default: 50 },
    NOTIFY_TRAFFIC_MIN_REQUESTS: { type: 'integer', minimum: 1, maximum: 100000000, default: 100 },
    // How long the outbox keeps what it delivered, and what it gave up on (notify.prune, hourly).
    NOTIFY_SENT_RETENTION_DAYS: { type: 'integer', minimum: 1, maximum: 3650, default: 7 },
    NOTIFY_DEAD_RETENTION_DAYS: { type: 'integer', minimum: 1, maximum: 3650, default: 30 },
    // Telemetry ingest (docs/telemetry.md): ShipLogs and OTLP on GRPC_PORT.
    TELEMETRY_MAX_BATCH_BYTES: { type: 'integer', minimum: 1024, maximum: 67108864, default: 4194304 },
    TELEMETRY_STREAM_WINDOW: { type: 'integer', minimum: 1, maximum: 1024, default: 16 },
    // Telemetry processing and the audit trail (docs/telemetry.md).
    TELEMETRY_MINUTE_RETENTION_DAYS: { type: 'integer', minimum: 1, maximum: 365, default: 14 },
    TELEMETRY_HOURLY_RETENTION_DAYS: { type: 'integer', minimum: 1, maximum: 3650, default: 400 },
    TELEMETRY_DAILY_RETENTION_DAYS: { type: 'integer', minimum: 1, maximum: 3650, default: 800 },
    SECURITY_EVENT_RETENTION_DAYS: { type: 'integer', minimum: 1, maximum: 3650, default: 30 },
    AUDIT_RETENTION_DAYS: { type: 'integer', minimum: 1, maximum: 36500, default: 400 },
    TELEMETRY_BATCH_RETENTION_HOURS: { type: 'integer', minimum: 1, maximum: 720, default: 24 },
    TELEMETRY_TOP_K: { type: 'integer', minimum: 10, maximum: 10000, default: 100 },
    TELEMETRY_POLL_SECONDS: { type: 'integer', minimum: 1, maximum: 3600, default: 10 },
    METRICS_TOP_ROUTES: { type: 'integer', minimum: 1, maximum: 1000, default: 20 },
    GEOIP_COUNTRY_DATABASE: {
      type: 'string',
      minLength: 1,
      description: 'the path of a MaxMind-format (MMDB) Country or City database',
    },
    GEOIP_ASN_DATABASE: {
      type: 'string',
      minLength: 1,
      description: 'the path of a MaxMind-format (MMDB) ASN database',
    },
  },
} as const;

type Properties = typeof configSchema.properties;
export type ConfigKey = keyof Properties;
export type PropertySchema = Properties[ConfigKey];

export const configKeys = Object.keys(configSchema.properties) as ConfigKey[];

type ValueOf<S> = S extends { enum: readonly (infer E)[] }
  ? E
  : S extends { type: 'integer' }
    ? number
    : S extends { type: 'boolean' }
      ? boolean
      : S extends { type: 'array' }
        ? readonly string[]
        : string;

type KeysWithDefault = {
  [K in ConfigKey]: Properties[K] extends { default: unknown } ? K : never;
}[ConfigKey];

/** Configuration as validated, under the UPPER_SNAKE names used by env and file alike. */
export type RawConfig = { [K in KeysWithDefault]: ValueOf<Properties[K]> } & {
  [K in Exclude<ConfigKey, KeysWithDefault>]?: ValueOf<Properties[K]>;
};

type CamelCase<S extends string> = S extends `${infer Head}_${infer Tail}`
  ? `${Lowercase<Head>}${Capitalize<CamelCase<Tail>>}`
  : Lowercase<S>;

/** What the program reads: `GRPC_PORT` becomes `grpcPort`, and so on. */
export type Config = { readonly [K in keyof RawConfig as CamelCase<K & string>]: RawConfig[K] };

export function camelCase<K extends ConfigKey>(key: K): CamelCase<K> {
  return key
    .toLowerCase()
    .replace(/_([a-z])/g, (_match, letter: string) => letter.toUpperCase()) as CamelCase<K>;
}
