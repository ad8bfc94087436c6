export { ConfigError } from './config-error.js';
export { loadConfig } from './load-config.js';
export type { ReadFile } from './config-file.js';
export type { Config } from './schema.js';
