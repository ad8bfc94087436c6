/**
 * The agent's log-shipping flags (`--access-log` and the `--log-*` family): their usage lines and
 * their parsing into the agent's log-shipping options. Problems are UsageErrors (exit code 2).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AgentLogShipping } from '../agent/agent.js';
import { LOG_SHIPPING_DEFAULTS } from '../agent/log-shipping/log-shipper.js';
import { LOG_FORMATS, type LogFormat } from '../domain/telemetry/log-line.js';
import type { TlsMode } from '../grpc/credentials.js';
import { UsageError } from './usage-error.js';

export const LOG_VALUE_FLAGS = [
  'access-log',
  'log-format',
  'log-state-dir',
  'log-tls-cert',
  'log-tls-key',
  'log-batch-records',
  'log-batch-bytes',
  'log-linger',
  'log-window',
  'log-buffer',
  'log-security-buffer',
] as const;
export type LogValueFlag = (typeof LOG_VALUE_FLAGS)[number];

const d = LOG_SHIPPING_DEFAULTS;

export const LOG_USAGE = [
  'Log shipping (docs/telemetry.md, "Shipping logs"):',
  '  --access-log FILE           follow this access log (JSON lines) and ship it to --worker',
  `  --log-format FORMAT         ${LOG_FORMATS.join(', ')} (default ${d.format})`,
  '  --log-state-dir DIR         saved position and unacknowledged batches; keep it across',
  '                              restarts (default DIR/.log-shipping)',
  '  --log-tls-cert FILE         a certificate naming this gateway (CN = --name) for shipping;',
  '  --log-tls-key FILE          and its key (default --tls-cert and --tls-key)',
  `  --log-batch-records N       records per batch, at most (default ${d.batchRecords})`,
  `  --log-batch-bytes N         bytes of records per batch, at most (default ${d.batchBytes}); keep`,
  "                              it under the worker's TELEMETRY_MAX_BATCH_BYTES",
  `  --log-linger DURATION       longest wait to fill a batch (default ${d.lingerMs}ms); security`,
  '                              records are sent at once',
  `  --log-window N              unacknowledged batches, at most (default ${d.window})`,
  `  --log-buffer N              waiting access records before the oldest is dropped (default ${d.accessBuffer})`,
  `  --log-security-buffer N     waiting security records before the oldest is dropped, an error`,
  `                              (default ${d.securityBuffer})`,
];

function integer(value: string, flag: string, min: number, max: number): number {
  const n = /^\d{1,10}$/.test(value) ? Number(value) : NaN;
  if (!(n >= min && n <= max))
    throw new UsageError(`--${flag} must be an integer from ${min} to ${max}, got "${value}"`);
  return n;
}

/** `0`, `250ms`, `2s`. */
function linger(value: string): number {
  const match = /^(\d+)(ms|s)?$/.exec(value);
  const ms = match ? Number(match[1]) * (match[2] === 's' ? 1000 : 1) : NaN;
  if (!(ms >= 0 && ms <= 60_000)) {
    throw new UsageError(`--log-linger must be a duration from 0 to 60s, e.g. 200ms, got "${value}"`);
  }
  return ms;
}

function read(flag: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read --${flag} ${path}: ${(error as Error).message}`);
  }
}

/**
 * The log-shipping options, or undefined without --access-log. `tls` is the agent's own
 * material (from --tls-*), `caPath` its CA file, used with --log-tls-cert/--log-tls-key.
 */
export function logShippingOptions(
  values: Partial<Record<LogValueFlag, string>>,
  context: { dir: string; worker: string | undefined; tls: TlsMode; caPath: string | undefined },
): AgentLogShipping | undefined {
  const path = values['access-log'];
  if (path === undefined) {
    const stray = LOG_VALUE_FLAGS.find((flag) => values[flag] !== undefined);
    if (stray) throw new UsageError(`--${stray} needs --access-log`);
    return undefined;
  }
  if (context.worker === undefined)
    throw new UsageError('--access-log needs --worker (where to ship the log)');
  const format = values['log-format'] ?? d.format;
  if (!(LOG_FORMATS as readonly string[]).includes(format)) {
    throw new UsageError(`--log-format must be one of ${LOG_FORMATS.join(', ')}, got "${format}"`);
  }
  const { 'log-tls-cert': cert, 'log-tls-key': key } = values;
  if ((cert === undefined) !== (key === undefined))
    throw new UsageError('--log-tls-cert and --log-tls-key go together');
  let own: Pick<AgentLogShipping, 'tls' | 'tlsFiles'> = {};
  if (cert !== undefined && key !== undefined) {
    if (context.tls === 'insecure-development-only' || context.caPath === undefined) {
      throw new UsageError('--log-tls-cert needs mutual TLS (--tls-ca), not --insecure-development-only');
    }
    own = {
      tls: {
        caPem: context.tls.caPem,
        certPem: read('log-tls-cert', cert),
        keyPem: read('log-tls-key', key),
      },
      tlsFiles: { ca: context.caPath, cert, key },
    };
  }
  const optional = <T>(flag: LogValueFlag, parse: (value: string) => T): T | undefined => {
    const value = values[flag];
    return value === undefined ? undefined : parse(value);
  };
  const options: AgentLogShipping = {
    path,
    stateDir: values['log-state-dir'] ?? join(context.dir, '.log-shipping'),
    format: format as LogFormat,
    ...own,
  };
  const batchRecords = optional('log-batch-records', (v) => integer(v, 'log-batch-records', 1, 100_000));
  const batchBytes = optional('log-batch-bytes', (v) =>
    integer(v, 'log-batch-bytes', 1024, 64 * 1024 * 1024),
  );
  const lingerMs = optional('log-linger', linger);
  const window = optional('log-window', (v) => integer(v, 'log-window', 1, 1024));
  const accessBuffer = optional('log-buffer', (v) => integer(v, 'log-buffer', 1, 10_000_000));
  const securityBuffer = optional('log-security-buffer', (v) =>
    integer(v, 'log-security-buffer', 1, 10_000_000),
  );
  return {
    ...options,
    ...(batchRecords === undefined ? {} : { batchRecords }),
    ...(batchBytes === undefined ? {} : { batchBytes }),
    ...(lingerMs === undefined ? {} : { lingerMs }),
    ...(window === undefined ? {} : { window }),
    ...(accessBuffer === undefined ? {} : { accessBuffer }),
    ...(securityBuffer === undefined ? {} : { securityBuffer }),
  };
}
