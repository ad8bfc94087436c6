/**
 * Entry point of the `gateway-worker` binary: picks the subcommand and turns the outcome into
 * an exit code (0 ok, 1 runtime failure, 2 usage or configuration error).
 */
import { ConfigError, loadConfig } from '../config/index.js';
import { configKeys } from '../config/schema.js';
import { createLogger } from '../runtime/logger.js';
import { runAgent } from './agent.js';
import { runAnalytics } from './analytics.js';
import { runAudit } from './audit.js';
import { runDecisions } from './decisions.js';
import { runIncidents } from './incidents.js';
import { runBackup } from './backup.js';
import { runDb } from './db.js';
import { runJobs } from './jobs.js';
import { runNotify } from './notify.js';
import { runOperator } from './operator.js';
import { runRestore } from './restore.js';
import { runRollback } from './rollback.js';
import { runRoutes } from './routes.js';
import { runValidate } from './validate.js';
import { runWaf } from './waf.js';
import { isCommand, usage, version, type CommandName } from './usage.js';

export interface Output {
  stdout(text: string): void;
  stderr(text: string): void;
}

const processOutput: Output = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

export async function main(
  argv: string[],
  env: NodeJS.ProcessEnv,
  out: Output = processOutput,
): Promise<number> {
  const [first, ...rest] = argv;
  if (first === '-h' || first === '--help' || first === 'help') {
    out.stdout(usage(configKeys));
    return 0;
  }
  if (first === '--version') {
    out.stdout(`${version()}\n`);
    return 0;
  }
  const command = first ?? 'operator';
  if (!isCommand(command)) {
    out.stderr(`gateway-worker: unknown command "${command}"\n\n${usage(configKeys)}`);
    return 2;
  }
  return run(command, rest, env, out);
}

async function run(
  command: CommandName,
  args: string[],
  env: NodeJS.ProcessEnv,
  out: Output,
): Promise<number> {
  if (command === 'validate') return runValidate(args, out);
  if (command === 'agent') return runAgent(args, env, out);
  if (command === 'backup') return runBackup(args, env, out);
  if (command === 'restore') return runRestore(args, env, out);
  if (command === 'rollback') return runRollback(args, env, out);
  if (command === 'waf') return runWaf(args, out);
  if (command === 'routes') return runRoutes(args, out);
  if (command === 'jobs') return runJobs(args, env, out);
  if (command === 'db') return runDb(args, env, out);
  if (command === 'audit') return runAudit(args, env, out);
  if (command === 'analytics') return runAnalytics(args, env, out);
  if (command === 'notify') return runNotify(args, env, out);
  if (command === 'decisions') return runDecisions(args, env, out);
  if (command === 'incidents') return runIncidents(args, env, out);
  if (args.length === 1 && (args[0] === '--help' || args[0] === '-h')) {
    out.stdout(usage(configKeys));
    return 0;
  }
  if (args.length > 0) {
    out.stderr(
      `gateway-worker operator: takes no arguments, got "${args.join(' ')}"\n\n${usage(configKeys)}`,
    );
    return 2;
  }
  try {
    const config = loadConfig(env);
    return await runOperator(config, createLogger(config.logLevel));
  } catch (err) {
    if (err instanceof ConfigError) {
      out.stderr(`gateway-worker: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}
