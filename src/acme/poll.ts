/**
 * Polling an order or authorization until it settles: exponential backoff between checks,
 * never sooner than the server's Retry-After, bounded by a deadline. A Retry-After further
 * away than `maxRetryAfterMs` ends the wait with a retryable AcmeError carrying that instant,
 * so the caller comes back then (the order URL is recorded) instead of holding a worker.
 */
import { Backoff } from '../runtime/backoff.js';
import type { Clock } from '../runtime/clock.js';
import { AcmeError, LocalErrorType } from './errors.js';

export interface PollOptions {
  /** First delay between checks; doubles up to maxDelayMs. */
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  /** Give up after this long (a timeout AcmeError). */
  readonly timeoutMs: number;
  /** Longest Retry-After waited for in place. */
  readonly maxRetryAfterMs: number;
}

export const DEFAULT_POLL: PollOptions = {
  initialDelayMs: 500,
  maxDelayMs: 8_000,
  timeoutMs: 5 * 60_000,
  maxRetryAfterMs: 60_000,
};

export interface Polled<T> {
  readonly value: T;
  readonly retryAfter?: Date;
}

export interface PollRequest<T> {
  /** What is awaited, for messages: "order https://…". */
  readonly what: string;
  readonly fetch: () => Promise<Polled<T>>;
  readonly settled: (value: T) => boolean;
  readonly clock: Clock;
  readonly options: PollOptions;
  readonly signal?: AbortSignal;
  /** A response already in hand (e.g. finalize's), checked before fetching. */
  readonly initial?: Polled<T>;
}

export async function pollUntil<T>(request: PollRequest<T>): Promise<T> {
  const { what, clock, options, signal } = request;
  const deadline = clock.now() + options.timeoutMs;
  const backoff = new Backoff({ initialMs: options.initialDelayMs, maxMs: options.maxDelayMs, jitter: 0 });
  let polled = request.initial;
  for (;;) {
    throwIfAborted(signal);
    polled ??= await request.fetch();
    const { value, retryAfter } = polled;
    polled = undefined;
    if (request.settled(value)) return value;
    const now = clock.now();
    let delay = backoff.next();
    if (retryAfter) {
      const asked = retryAfter.getTime() - now;
      if (asked > options.maxRetryAfterMs) {
        throw new AcmeError({
          type: LocalErrorType.timeout,
          detail: `${what} is not done yet; the server asked to check again at ${retryAfter.toISOString()}`,
          retryAfter,
        });
      }
      delay = Math.max(delay, asked);
    }
    if (now + delay > deadline) {
      throw new AcmeError({
        type: LocalErrorType.timeout,
        detail: `${what} did not finish within ${Math.round(options.timeoutMs / 1000)} s`,
      });
    }
    await sleep(clock, delay, signal);
  }
}

/** Waits `ms` on the injected clock; an abort ends the wait with an aborted AcmeError. */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      timer.cancel();
      reject(abortedError());
    };
    const timer = clock.setTimer(ms, () => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    });
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortedError();
}

function abortedError(): AcmeError {
  return new AcmeError({ type: LocalErrorType.aborted, detail: 'cancelled' });
}
