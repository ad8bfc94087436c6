/**
 * `gateway-worker agent --dir DIR`: the reference gateway agent. Parses flags, reads the TLS
 * files (the agent re-reads them when they change) and runs the agent until SIGTERM/SIGINT.
 * Usage problems are one line on stderr and exit code 2; everything else lives in src/agent.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { GatewayAgentProcess, parseHostPort, type GatewayAgentOptions } from '../agent/agent.js';
import { createLogger, type LogLevel } from '../runtime/logger.js';
import { runUntilSignal, type RunOptions } from '../runtime/run-until-signal.js';
import { LOG_USAGE, LOG_VALUE_FLAGS, logShippingOptions } from './agent-log-flags.js';
import type { Output } from './main.js';
import { UsageError } from './usage-error.js';

/**
 * 8089: the agent runs beside the gateway in one pod, sharing its ports. The gateway serves 8080
 * and metrics on 9090, the worker's defaults are 8080 and 8081; 8089 clashes with none of them
 * and needs no privilege. HTTP-01 validation comes on port 80, so whatever owns port 80 (the
 * gateway's route or a Service) sends /.well-known/acme-challenge/ here.
 */
export const DEFAULT_HTTP_PORT = 8089;
export const DEFAULT_LISTEN = '0.0.0.0:9443';
export const DEFAULT_REPORT_INTERVAL_MS = 10_000;

const USAGE = [
  'Usage: gateway-worker agent --dir DIR [options]',
  '',
  'The reference gateway agent: receives certificates, WAF rules, routes and ACME challenges from',
  'gateway-worker and writes them where the gateway reloads them (DIR/certs, DIR/waf-rules.yaml,',
  'DIR/routes.yaml); serves ACME HTTP-01 tokens on its HTTP port.',
  '',
  'Options:',
  '  --dir DIR                   folder the gateway reads (required)',
  `  --listen HOST:PORT          gRPC address of the GatewayAgent service (default ${DEFAULT_LISTEN})`,
  `  --http-port PORT            ACME challenges and /health (default ${DEFAULT_HTTP_PORT})`,
  '  --tls-ca FILE               CA that signs the worker and this agent (PEM)',
  "  --tls-cert FILE             this agent's certificate (PEM), for serving and for reporting",
  '  --tls-key FILE              its private key (PEM); the three files are reloaded when they',
  '                              change (a renewed Secret), for new connections',
  '  --insecure-development-only plaintext gRPC instead of mutual TLS; never in production',
  "  --worker HOST:PORT          report status to the worker's WorkerService there",
  `  --report-interval DURATION  between reports, e.g. 10s or 500ms (default ${DEFAULT_REPORT_INTERVAL_MS / 1000}s)`,
  '  --name NAME                 gateway name in answers, reports and logs (default: the host name)',
  '',
  ...LOG_USAGE,
  '',
  'LOG_LEVEL (error, warn, info, debug) sets the log level.',
  '',
].join('\n');

const VALUE_FLAGS = [
  'dir',
  'listen',
  'http-port',
  'tls-ca',
  'tls-cert',
  'tls-key',
  'worker',
  'report-interval',
  'name',
  ...LOG_VALUE_FLAGS,
] as const;
type ValueFlag = (typeof VALUE_FLAGS)[number];

interface Flags {
  values: Partial<Record<ValueFlag, string>>;
  insecure: boolean;
  help: boolean;
}

function parseFlags(args: readonly string[]): Flags {
  const flags: Flags = { values: {}, insecure: false, help: false };
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i] ?? '';
    if (arg === '-h' || arg === '--help') flags.help = true;
    else if (arg === '--insecure-development-only') flags.insecure = true;
    else {
      const [name = '', inline] = arg.startsWith('--') ? arg.slice(2).split(/=(.*)/s, 2) : [''];
      if (!(VALUE_FLAGS as readonly string[]).includes(name))
        throw new UsageError(`unknown argument "${arg}"`);
      const value = inline ?? args[(i += 1)];
      if (value === undefined || value === '') throw new UsageError(`--${name} needs a value`);
      flags.values[name as ValueFlag] = value;
    }
  }
  return flags;
}

function parsePort(value: string, flag: string): number {
  const port = /^\d{1,5}$/.test(value) ? Number(value) : NaN;
  if (!(port >= 0 && port <= 65_535)) throw new UsageError(`--${flag} must be a port number, got "${value}"`);
  return port;
}

/** `500ms`, `10s`, `1m`, or bare seconds. */
function parseDuration(value: string, flag: string): number {
  const match = /^(\d+)(ms|s|m)?$/.exec(value);
  const ms = match ? Number(match[1]) * ({ ms: 1, s: 1000, m: 60_000 }[match[2] ?? 's'] ?? 1000) : 0;
  if (ms < 100)
    throw new UsageError(`--${flag} must be a duration of at least 100ms, e.g. 10s, got "${value}"`);
  return ms;
}

function readTls(flags: Flags): Pick<GatewayAgentOptions, 'tls' | 'tlsFiles'> {
  const { 'tls-ca': ca, 'tls-cert': cert, 'tls-key': key } = flags.values;
  if (flags.insecure) {
    if (ca ?? cert ?? key)
      throw new UsageError('--insecure-development-only cannot be combined with --tls-* files');
    return { tls: 'insecure-development-only' };
  }
  if (ca === undefined || cert === undefined || key === undefined) {
    const missing = ['tls-ca', 'tls-cert', 'tls-key'].filter(
      (f) => flags.values[f as ValueFlag] === undefined,
    );
    throw new UsageError(
      `mutual TLS needs ${missing.map((f) => `--${f}`).join(', ')} (or --insecure-development-only for local development)`,
    );
  }
  const read = (flag: string, path: string): string => {
    try {
      return readFileSync(path, 'utf8');
    } catch (error) {
      throw new UsageError(`cannot read --${flag} ${path}: ${(error as Error).message}`);
    }
  };
  return {
    tls: { caPem: read('tls-ca', ca), certPem: read('tls-cert', cert), keyPem: read('tls-key', key) },
    tlsFiles: { paths: { ca, cert, key } },
  };
}

function agentOptions(flags: Flags): GatewayAgentOptions {
  const { values } = flags;
  if (values.dir === undefined) throw new UsageError('--dir is required');
  const listen = values.listen ?? DEFAULT_LISTEN;
  if (!parseHostPort(listen)) throw new UsageError(`--listen must be HOST:PORT, got "${listen}"`);
  const worker = values.worker;
  if (worker !== undefined && !parseHostPort(worker)) {
    throw new UsageError(`--worker must be HOST:PORT, got "${worker}"`);
  }
  if (worker === undefined && values['report-interval'] !== undefined) {
    throw new UsageError('--report-interval needs --worker');
  }
  const intervalMs =
    values['report-interval'] === undefined
      ? DEFAULT_REPORT_INTERVAL_MS
      : parseDuration(values['report-interval'], 'report-interval');
  const { tls, tlsFiles } = readTls(flags);
  const logShipping = logShippingOptions(values, {
    dir: values.dir,
    worker,
    tls,
    caPath: values['tls-ca'],
  });
  return {
    dir: values.dir,
    listen,
    httpPort:
      values['http-port'] === undefined ? DEFAULT_HTTP_PORT : parsePort(values['http-port'], 'http-port'),
    tls,
    ...(tlsFiles ? { tlsFiles } : {}),
    name: values.name ?? hostname(),
    ...(worker === undefined ? {} : { worker: { address: worker, tls, intervalMs } }),
    ...(logShipping ? { logShipping } : {}),
  };
}

const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

/** A leaf without an extended key usage extension may authenticate as anything. */
function allowsClientAuth(certPem: string): boolean {
  try {
    const usages = new X509Certificate(certPem).keyUsage as string[] | undefined;
    return usages === undefined || usages.includes(CLIENT_AUTH);
  } catch {
    return true; // unparsable files fail later, with the TLS library's own message
  }
}

function logLevel(env: NodeJS.ProcessEnv): LogLevel {
  const level = env.LOG_LEVEL ?? 'info';
  if (level === 'error' || level === 'warn' || level === 'info' || level === 'debug') return level;
  throw new UsageError(`LOG_LEVEL=${level}: must be one of error, warn, info, debug`);
}

export interface AgentRunOptions extends RunOptions {
  /** Where log lines go; stdout by default. */
  logStream?: NodeJS.WritableStream;
}

/** Resolves with the exit code: 0 after a clean stop on a signal, 1 on failure, 2 on bad usage. */
export async function runAgent(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  out: Output,
  run: AgentRunOptions = {},
): Promise<number> {
  let options: GatewayAgentOptions;
  let level: LogLevel;
  try {
    const flags = parseFlags(args);
    if (flags.help) {
      out.stdout(USAGE);
      return 0;
    }
    options = agentOptions(flags);
    level = logLevel(env);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    out.stderr(`gateway-worker agent: ${error.message} (see gateway-worker agent --help)\n`);
    return 2;
  }
  const logger = createLogger(level, run.logStream);
  if (options.tls === 'insecure-development-only') {
    logger.warn(
      'gRPC without TLS (--insecure-development-only): anyone who can reach the port can push config',
    );
  }
  if (
    options.worker &&
    options.tls !== 'insecure-development-only' &&
    !allowsClientAuth(options.tls.certPem)
  ) {
    // The worker's TLS stack refuses such a certificate as a client: say why reports will fail.
    logger.warn(
      '--tls-cert is not valid for client authentication (its extended key usage lacks clientAuth); ' +
        'status reports to --worker will be refused until it is reissued for server and client use',
    );
  }
  return runUntilSignal(new GatewayAgentProcess({ ...options, logger }), logger, run);
}
