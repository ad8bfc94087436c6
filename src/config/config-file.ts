import { parse } from 'yaml';
import { ConfigError } from './config-error.js';
import { configKeys, type ConfigKey } from './schema.js';
import { display } from './display.js';

export type ReadFile = (path: string) => string;

/** Reads the optional YAML file named by CONFIG_FILE; it uses the same keys as the environment. */
export function readConfigFile(path: string, readFile: ReadFile): Partial<Record<ConfigKey, unknown>> {
  let text: string;
  try {
    text = readFile(path);
  } catch (err) {
    throw new ConfigError(
      `CONFIG_FILE=${display(path)}: cannot read the file (${reason(err)}); must name a readable YAML file`,
    );
  }

  let document: unknown;
  try {
    document = parse(text);
  } catch (err) {
    throw new ConfigError(`CONFIG_FILE=${display(path)}: not valid YAML (${reason(err)})`);
  }
  // An empty file is a mapping with nothing in it, so a mounted but blank ConfigMap key works.
  if (document === null || document === undefined) return {};
  if (typeof document !== 'object' || Array.isArray(document)) {
    throw new ConfigError(
      `CONFIG_FILE=${display(path)}: must be a YAML mapping of configuration keys, got ${Array.isArray(document) ? 'a list' : `a ${typeof document}`}`,
    );
  }

  const entries = Object.entries(document);
  for (const [key, value] of entries) {
    if (!isConfigKey(key)) {
      throw new ConfigError(
        `${key}=${display(value)} (in ${path}): unknown key; must be one of ${configKeys.join(', ')}`,
      );
    }
  }
  return Object.fromEntries(entries);
}

function isConfigKey(key: string): key is ConfigKey {
  return (configKeys as string[]).includes(key);
}

function reason(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.split('\n')[0] ?? message;
}
