/** Running `gateway-worker` commands from the demo as a user would, and showing their output. */
import { spawnSync } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../src/envtest/assets.js';

export const BIN = join(REPO_ROOT, 'bin', 'gateway-worker.js');

/** A command's stdout and stderr, with the operator's database. */
export function cli(args: readonly string[], databaseUrl: string): string {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    env: { ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn' },
    encoding: 'utf8',
  });
  return `${result.stdout}${result.stderr}`.trimEnd();
}

/** Runs a command with its stdout into `file`; its stderr, if it failed. */
export function cliToFile(args: readonly string[], databaseUrl: string, file: string): string | undefined {
  const fd = openSync(file, 'w');
  try {
    const result = spawnSync(process.execPath, [BIN, ...args], {
      env: { ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn' },
      stdio: ['ignore', fd, 'pipe'],
      encoding: 'utf8',
    });
    return result.status === 0 ? undefined : result.stderr.trim() || `exit ${String(result.status)}`;
  } finally {
    closeSync(fd);
  }
}

/** Indents output under a `demo:` line, cut after `lines` lines. */
export function indent(text: string, lines = 30): string {
  const all = text.split('\n');
  const shown = all.slice(0, lines).map((l) => `        ${l}`);
  if (all.length > lines) shown.push(`        ... (${all.length - lines} more lines)`);
  return shown.join('\n');
}
