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
