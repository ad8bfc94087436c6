import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject } from 'ajv';
import { ConfigError } from './config-error.js';
import { readConfigFile, type ReadFile } from './config-file.js';
import { display } from './display.js';
import {
  camelCase,
  configKeys,
  configSchema,
  type Config,
  type ConfigKey,
  type PropertySchema,
  type RawConfig,
} from './schema.js';

// Defaults live in the schema, so ajv fills them in instead of a second table here.
const validate = new Ajv({ useDefaults: true, strict: true }).compile<RawConfig>(configSchema);

interface Source {
  raw: unknown;
  file?: string;
}

/**
 * Builds the configuration from the environment over the optional YAML file named by
 * CONFIG_FILE. Only the schema's keys are read; an empty variable counts as unset.
 * Throws {@link ConfigError} naming the first bad key, its value and what is allowed.
 */
export function loadConfig(
  env: NodeJS.ProcessEnv,
  readFile: ReadFile = (path) => readFileSync(path, 'utf8'),
): Config {
  const sources = new Map<ConfigKey, Source>();
  const file = env.CONFIG_FILE;
  if (file) {
    for (const [key, raw] of Object.entries(readConfigFile(file, readFile)) as [ConfigKey, unknown][]) {
      sources.set(key, { raw, file });
    }
  }
  for (const key of configKeys) {
    const raw = env[key];
    if (raw !== undefined && raw !== '') sources.set(key, { raw });
  }

  const candidate: Record<string, unknown> = {};
  for (const [key, source] of sources) candidate[key] = fromText(configSchema.properties[key], source.raw);
  if (!validate(candidate)) throw toConfigError(validate.errors?.[0], sources, candidate);
  return toConfig(candidate);
}

/** Environment values are text; turn them into the schema's type, leaving bad text for ajv to reject. */
function fromText(schema: PropertySchema, raw: unknown): unknown {
  if (typeof raw !== 'string') return raw;
  const text = raw.trim();
  switch (schema.type) {
    case 'integer':
      return /^[0-9]+$/.test(text) ? Number(text) : raw;
    case 'boolean':
      return text === 'true' ? true : text === 'false' ? false : raw;
    case 'array':
      return text
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== '');
    case 'string':
      return text;
  }
}

function toConfigError(
  error: ErrorObject | undefined,
  sources: Map<ConfigKey, Source>,
  candidate: Record<string, unknown>,
): ConfigError {
  const [, key, index] = (error?.instancePath ?? '').split('/');
  const source = key === undefined ? undefined : sources.get(key as ConfigKey);
  if (!error || !source)
    return new ConfigError(`${error?.instancePath ?? ''} ${error?.message ?? 'rejected'}`);

  const configKey = key as ConfigKey;
  const where = source.file === undefined ? '' : ` (in ${source.file})`;
  const item =
    index === undefined ? '' : ` entry ${display(itemAt(candidate[configKey], Number(index)))} is not valid;`;
  const schema = configSchema.properties[configKey];
  // A value that may carry a password is never echoed back, not even when it is malformed.
  const shown = 'writeOnly' in schema ? '(value hidden)' : display(source.raw);
  return new ConfigError(`${configKey}=${shown}${where}:${item} ${allowed(schema)}`);
}

function itemAt(list: unknown, index: number): unknown {
  return Array.isArray(list) ? (list as unknown[])[index] : undefined;
}

function allowed(schema: PropertySchema): string {
  if ('description' in schema) return `must be ${schema.description}`;
  if ('enum' in schema) return `must be one of ${schema.enum.join(', ')}`;
  switch (schema.type) {
    case 'integer':
      return `must be an integer from ${schema.minimum} to ${schema.maximum}`;
    case 'boolean':
      return 'must be true or false';
  }
}

function toConfig(raw: RawConfig): Config {
  const entries = configKeys
    .filter((key) => raw[key] !== undefined)
    .map((key) => {
      const value = raw[key];
      return [
        camelCase(key),
        Array.isArray(value) ? Object.freeze([...(value as readonly string[])]) : value,
      ];
    });
  return Object.freeze(Object.fromEntries(entries)) as Config;
}
