/**
 * `gateway-worker jobs list|show|run|cancel`: the durable job queue from a terminal. It talks to
 * the database directly, with the operator's configuration (DATABASE_URL and friends), so it
 * works while the operator is down and from any machine that reaches PostgreSQL. The embedded
 * store belongs to the operator process while it runs (PGlite is single-process): there, stop
 * the operator first, or use PostgreSQL.
 */
import { readFileSync } from 'node:fs';
import { ConfigError, loadConfig } from '../config/index.js';
import { silentLogger } from '../runtime/logger.js';
import { DatabaseSettingsError, storeSettings } from '../storage/connection-settings.js';
import { describeDatabaseError } from '../storage/errors.js';
import { JobRequestError, StoreJobQueue } from '../storage/jobs/job-queue.js';
import { isJobState, JOB_STATES, type JobRecord } from '../storage/jobs/job-types.js';
import { migrate } from '../storage/migrate.js';
import { openDatabase } from '../storage/store.js';
import type { Database } from '../storage/database.js';
import { registerJobKinds } from './job-kinds.js';
import type { Output } from './main.js';

const USAGE = `Usage: gateway-worker jobs <command>
  list [--state STATE] [--kind KIND] [--limit N] [-o json]   newest first (default 50)
  show ID [-o json]                                          one job in full
  run KIND [--target TARGET] [--payload JSON] [--singleton-key KEY]
                                                             enqueue a job now; the operator runs it
  cancel ID                                                  a queued job at once, a running one via its signal
States: ${JOB_STATES.join(', ')}. The database comes from DATABASE_URL (or the embedded store in
EMBEDDED_DATA_DIR when the operator is not running), as for the operator.
`;

interface Flags {
  readonly positional: string[];
  readonly values: Map<string, string>;
}

const VALUE_FLAGS = [
  '--state',
  '--kind',
  '--limit',
  '-o',
  '--output',
  '--target',
  '--payload',
  '--singleton-key',
];

function parseFlags(args: readonly string[]): Flags | string {
  const positional: string[] = [];
  const values = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (VALUE_FLAGS.includes(arg)) {
      const value = args[++i];
      if (value === undefined) return `${arg} needs a value`;
      values.set(arg === '--output' ? '-o' : arg, value);
    } else if (arg.startsWith('-')) {
      return `unknown option "${arg}"`;
    } else {
      positional.push(arg);
    }
  }
  const output = values.get('-o');
  if (output !== undefined && output !== 'json') return `-o ${output}: the only output format is json`;
  return { positional, values };
}

export async function runJobs(args: readonly string[], env: NodeJS.ProcessEnv, out: Output): Promise<number> {
  const [command, ...rest] = args;
  if (command === undefined) {
    out.stderr(`gateway-worker jobs: name a command\n\n${USAGE}`);
    return 2;
  }
  if (command === '-h' || command === '--help' || rest.includes('--help')) {
    out.stdout(USAGE);
    return 0;
  }
  if (!['list', 'show', 'run', 'cancel'].includes(command)) {
    out.stderr(`gateway-worker jobs: unknown command "${command}"\n\n${USAGE}`);
    return 2;
  }
  const flags = parseFlags(rest);
  if (typeof flags === 'string') {
    out.stderr(`gateway-worker jobs ${command}: ${flags}\n\n${USAGE}`);
    return 2;
  }
  const problem = usageProblem(command, flags);
  if (problem) {
    out.stderr(`gateway-worker jobs ${command}: ${problem}\n\n${USAGE}`);
    return 2;
  }

  let db: Database;
  let queue: StoreJobQueue;
  try {
    const config = loadConfig(env);
    const settings = storeSettings(config, (path) => readFileSync(path, 'utf8'));
    db = await openDatabase(settings, silentLogger);
    try {
      await migrate(db, { schema: config.databaseSchema, logger: silentLogger });
    } catch (err) {
      await db.close();
      throw err;
    }
    const store = { database: db, status: 'ready' };
    queue = new StoreJobQueue({
      kinds: registerJobKinds(config, store),
      store,
      schema: config.databaseSchema,
    });
  } catch (err) {
    if (err instanceof ConfigError || err instanceof DatabaseSettingsError) {
      out.stderr(`gateway-worker: ${err.message}\n`);
      return 2;
    }
    out.stderr(`gateway-worker jobs: cannot open the job store: ${describeDatabaseError(err)}\n`);
    return 1;
  }
  try {
    return await execute(command, flags, queue, out);
  } catch (err) {
    if (err instanceof JobRequestError) {
      out.stderr(`gateway-worker jobs ${command}: ${err.message}\n`);
      return 2;
    }
    out.stderr(`gateway-worker jobs ${command}: ${describeDatabaseError(err)}\n`);
    return 1;
  } finally {
    await db.close();
  }
}

function usageProblem(command: string, { positional, values }: Flags): string | undefined {
  const state = values.get('--state');
  if (state !== undefined && !isJobState(state))
    return `--state ${state}: must be one of ${JOB_STATES.join(', ')}`;
  const limit = values.get('--limit');
  if (limit !== undefined && !/^[1-9][0-9]{0,3}$/.test(limit))
    return `--limit ${limit}: must be an integer from 1 to 1000`;
  const payload = values.get('--payload');
  if (payload !== undefined) {
    try {
      JSON.parse(payload);
    } catch {
      return `--payload is not valid JSON: ${payload}`;
    }
  }
  const wanted = command === 'list' ? 0 : 1;
  if (positional.length !== wanted) {
    return wanted === 0
      ? `takes no arguments, got "${positional.join(' ')}"`
      : `needs exactly one ${command === 'run' ? 'KIND' : 'ID'}`;
  }
  return undefined;
}

async function execute(
  command: string,
  { positional, values }: Flags,
  queue: StoreJobQueue,
  out: Output,
): Promise<number> {
  const json = values.get('-o') === 'json';
  const [argument = ''] = positional;
  switch (command) {
    case 'list': {
      const state = values.get('--state');
      const jobs = await queue.list({
        state: state !== undefined && isJobState(state) ? state : undefined,
        kind: values.get('--kind'),
        limit: Number(values.get('--limit') ?? 50),
      });
      out.stdout(json ? `${JSON.stringify(jobs, null, 2)}\n` : table(jobs));
      return 0;
    }
    case 'show': {
      const job = await queue.get(argument);
      if (!job) {
        out.stderr(`gateway-worker jobs show: no job with id ${argument}\n`);
        return 1;
      }
      out.stdout(json ? `${JSON.stringify(job, null, 2)}\n` : details(job));
      return 0;
    }
    case 'run': {
      const payload = values.get('--payload');
      const { job, created } = await queue.enqueue({
        kind: argument,
        target: values.get('--target'),
        payload: payload === undefined ? undefined : (JSON.parse(payload) as unknown),
        singletonKey: values.get('--singleton-key'),
      });
      out.stdout(
        created
          ? `job ${job.id} queued (${job.kind}); the operator runs it\n`
          : `job ${job.id} (${job.state}) already holds that singleton key; nothing queued\n`,
      );
      return 0;
    }
    default: {
      const result = await queue.cancel(argument);
      switch (result.outcome) {
        case 'cancelled':
          out.stdout(`job ${argument} cancelled\n`);
          return 0;
        case 'cancel-requested':
          out.stdout(`job ${argument} is running; its handler is told to stop (within a few seconds)\n`);
          return 0;
        case 'already-finished':
          out.stderr(`gateway-worker jobs cancel: job ${argument} already ended (${result.job.state})\n`);
          return 1;
        case 'not-found':
          out.stderr(`gateway-worker jobs cancel: no job with id ${argument}\n`);
          return 1;
      }
    }
  }
}

const time = (date: Date | null): string =>
  date === null ? '-' : date.toISOString().replace(/\.\d{3}Z$/, 'Z');

function table(jobs: readonly JobRecord[]): string {
  if (jobs.length === 0) return 'No jobs.\n';
  const header = ['ID', 'KIND', 'TARGET', 'STATE', 'ATTEMPTS', 'CREATED', 'LAST ERROR'];
  const rows = [
    header,
    ...jobs.map((job) => [
      job.id,
      job.kind,
      job.target || '-',
      job.state,
      `${job.attempts}/${job.maxAttempts}`,
      time(job.createdAt),
      (job.lastError ?? '-').split('\n')[0]?.slice(0, 60) ?? '-',
    ]),
  ];
  const widths = header.map((_, column) => Math.max(...rows.map((row) => row[column]?.length ?? 0)));
  return (
    rows
      .map((row) =>
        row
          .map((cell, column) => cell.padEnd(widths[column] ?? 0))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}

function details(job: JobRecord): string {
  const lines: [string, string][] = [
    ['id', job.id],
    ['kind', job.kind],
    ['target', job.target || '-'],
    ['state', job.cancelRequested && job.state === 'running' ? 'running (cancel requested)' : job.state],
    ['attempts', `${job.attempts} of ${job.maxAttempts}`],
    ['timeout', `${job.timeoutMs} ms per attempt`],
    ['schedule', job.schedule ?? '-'],
    ['singleton key', job.singletonKey ?? '-'],
    ['created', time(job.createdAt)],
    ['run at', time(job.runAt)],
    ['started', time(job.startedAt)],
    ['finished', time(job.finishedAt)],
    ['lease until', time(job.leaseExpiresAt)],
    ['locked by', job.lockedBy ?? '-'],
    ['payload', JSON.stringify(job.payload)],
    ['last error', job.lastError ?? '-'],
  ];
  const width = Math.max(...lines.map(([name]) => name.length)) + 2;
  return lines.map(([name, value]) => `${`${name}:`.padEnd(width)}${value}`).join('\n') + '\n';
}
