/**
 * Entry point of the `gateway-worker` binary: picks the subcommand and turns the outcome into
 * an exit code (0 ok, 1 runtime failure, 2 usage or configuration error).
 */
import { ConfigError, loadConfig } from '../config/index.js';
import { configKeys } from '../config/schema.js';
import { createLogger } from '../runtime/logger.js';
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
  // Each command loads only its own modules: the agent, beside every gateway pod, would otherwise
  // carry the operator's (issue 18).
  if (command === 'validate') return (await import('./validate.js')).runValidate(args, out);
  if (command === 'agent') return (await import('./agent.js')).runAgent(args, env, out);
  if (command === 'backup') return (await import('./backup.js')).runBackup(args, env, out);
  if (command === 'restore') return (await import('./restore.js')).runRestore(args, env, out);
  if (command === 'rollback') return (await import('./rollback.js')).runRollback(args, env, out);
  if (command === 'waf') return (await import('./waf.js')).runWaf(args, out);
  if (command === 'routes') return (await import('./routes.js')).runRoutes(args, out);
  if (command === 'jobs') return (await import('./jobs.js')).runJobs(args, env, out);
  if (command === 'audit') return (await import('./audit.js')).runAudit(args, env, out);
  if (command === 'analytics') return (await import('./analytics.js')).runAnalytics(args, env, out);
  if (command === 'db') return (await import('./db.js')).runDb(args, env, out);
  if (command === 'notify') return (await import('./notify.js')).runNotify(args, env, out);
  if (command === 'decisions') return (await import('./decisions.js')).runDecisions(args, env, out);
  if (command === 'incidents') return (await import('./incidents.js')).runIncidents(args, env, out);
  if (command === 'report') return (await import('./report.js')).runReport(args, env, out);
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
    const { runOperator } = await import('./operator.js');
    return await runOperator(config, createLogger(config.logLevel));
  } catch (err) {
    if (err instanceof ConfigError) {
      out.stderr(`gateway-worker: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}
