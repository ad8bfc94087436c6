/**
 * Runs a long-lived process until SIGTERM or SIGINT, then shuts it down under a deadline, so a
 * stuck stop can never outlive the pod's termination grace period unnoticed.
 */
import type { Logger } from './logger.js';

export interface Lifecycle {
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface SignalSource {
  on(event: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
  off(event: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
}

export interface RunOptions {
  signals?: SignalSource;
  /** Ends the process at once; called only when shutdown overruns or a second signal arrives. */
  exit?: (code: number) => void;
  shutdownTimeoutMs?: number;
}

const SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];
export const SHUTDOWN_TIMEOUT_MS = 10_000;

type StartOutcome =
  { kind: 'started' } | { kind: 'failed'; error: unknown } | { kind: 'signal'; signal: NodeJS.Signals };

/** Resolves with the exit code: 0 after a clean stop on a signal, 1 when start or stop failed. */
export async function runUntilSignal(
  target: Lifecycle,
  logger: Logger,
  options: RunOptions = {},
): Promise<number> {
  const signals = options.signals ?? process;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const timeoutMs = options.shutdownTimeoutMs ?? SHUTDOWN_TIMEOUT_MS;

  let shuttingDown = false;
  let resolveSignal: (signal: NodeJS.Signals) => void = () => undefined;
  const received = new Promise<NodeJS.Signals>((resolve) => (resolveSignal = resolve));
  const onSignal = (signal: NodeJS.Signals): void => {
    if (!shuttingDown) {
      shuttingDown = true;
      resolveSignal(signal);
      return;
    }
    // The person pressing Ctrl-C twice wants out now, not after the deadline.
    logger.error('second signal during shutdown; exiting now', { signal });
    exit(1);
  };
  for (const signal of SIGNALS) signals.on(signal, onSignal);

  try {
    const outcome = await Promise.race<StartOutcome>([
      target.start().then(
        () => ({ kind: 'started' }),
        (error: unknown) => ({ kind: 'failed', error }),
      ),
      received.then((signal) => ({ kind: 'signal', signal })),
    ]);
    let code = 0;
    if (outcome.kind === 'failed') {
      shuttingDown = true;
      logger.error('failed to start', { err: outcome.error });
      code = 1;
    } else {
      const signal = outcome.kind === 'signal' ? outcome.signal : await received;
      logger.info('shutting down', { signal });
    }
    return await stopWithDeadline(target, logger, code, timeoutMs, exit);
  } finally {
    for (const signal of SIGNALS) signals.off(signal, onSignal);
  }
}

async function stopWithDeadline(
  target: Lifecycle,
  logger: Logger,
  code: number,
  timeoutMs: number,
  exit: (code: number) => void,
): Promise<number> {
  let stopped = false;
  let result = code;
  // A real timer rather than the injectable Clock: it must keep the process alive while stop()
  // is pending, or a hung stop would let Node exit on its own with a misleading code.
  const deadline = setTimeout(() => {
    if (stopped) {
      logger.warn('shutdown finished but the process is still busy; exiting', { timeoutMs });
      exit(result);
    } else {
      logger.error('shutdown did not finish in time; forcing exit', { timeoutMs });
      exit(1);
    }
  }, timeoutMs);

  try {
    await target.stop();
  } catch (err) {
    logger.error('shutdown failed', { err });
    result = 1;
  }
  stopped = true;
  // Left armed but unreferenced: harmless when the process exits normally, and a backstop
  // when a forgotten socket or timer would otherwise keep it running after a clean stop.
  deadline.unref();
  logger.info('shutdown complete', { exitCode: result });
  return result;
}
