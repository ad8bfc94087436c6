/**
 * Structured JSON logging, one object per line on stdout: `time`, `level`, `msg`, then fields
 * such as `controller`, `namespace`, `name` and `reconcileID`. Code depends on {@link Logger},
 * not on winston, so the backend can change without touching callers.
 */
import { createLogger as createWinston, format, transports, type Logger as Winston } from 'winston';
import { redactFields } from './redact.js';

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';
export type LogFields = Readonly<Record<string, unknown>>;

export interface Logger {
  error(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  debug(msg: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every entry; per-call fields win over them. */
  child(fields: LogFields): Logger;
}

const LEVELS: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };
const CORE_KEYS = new Set(['time', 'level', 'msg']);

export function createLogger(level: LogLevel, stream: NodeJS.WritableStream = process.stdout): Logger {
  const winston = createWinston({
    level,
    levels: LEVELS,
    format: format.printf((info) => toLine(info.level, String(info.message), info.fields as LogFields)),
    // winston declares its transports as interfaces with construct signatures, which this rule
    // cannot tell from a real TransportStream; the object is one.

    transports: [new transports.Stream({ stream })],
  });
  return new WinstonLogger(winston, {});
}

function toLine(level: string, msg: string, fields: LogFields): string {
  const entry: Record<string, unknown> = { time: new Date().toISOString(), level, msg };
  for (const [key, value] of Object.entries(redactFields(fields))) {
    // A field may not impersonate the envelope; keep it under a distinct name instead of dropping it.
    entry[CORE_KEYS.has(key) ? `field.${key}` : key] = value;
  }
  return JSON.stringify(entry);
}

class WinstonLogger implements Logger {
  constructor(
    private readonly winston: Winston,
    private readonly fields: LogFields,
  ) {}

  error(msg: string, fields?: LogFields): void {
    this.write('error', msg, fields);
  }

  warn(msg: string, fields?: LogFields): void {
    this.write('warn', msg, fields);
  }

  info(msg: string, fields?: LogFields): void {
    this.write('info', msg, fields);
  }

  debug(msg: string, fields?: LogFields): void {
    this.write('debug', msg, fields);
  }

  child(fields: LogFields): Logger {
    return new WinstonLogger(this.winston, { ...this.fields, ...fields });
  }

  private write(level: LogLevel, msg: string, fields: LogFields | undefined): void {
    // Checked first so disabled debug calls cost no merging or redaction.
    if (!this.winston.isLevelEnabled(level)) return;
    this.winston.log({ level, message: msg, fields: fields ? { ...this.fields, ...fields } : this.fields });
  }
}

/** Discards everything; for tests and tools that have nowhere to log. */
export const silentLogger: Logger = {
  error: () => undefined,
  warn: () => undefined,
  info: () => undefined,
  debug: () => undefined,
  child: () => silentLogger,
};
