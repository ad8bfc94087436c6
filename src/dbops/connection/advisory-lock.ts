/**
 * Session advisory locks on the gateway's database: one migration runner at a time per history
 * table, one run at a time per resource, whoever runs it (replicas, two installations, the CLI).
 * Polled with pg_try_advisory_lock rather than waited for in pg_advisory_lock, so a job's abort
 * (timeout, cancel, shutdown) stops the wait.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { GatewayClient } from './client.js';

/** First key: "gw" + 3 (the worker's own schema lock uses "gw" + 1). */
const LOCK_CLASS = 0x67770003;
const POLL_MS = 250;

/** A stable 31-bit key for a name. */
export function lockKey(name: string): number {
  let hash = 0;
  for (const char of name) hash = (Math.imul(hash, 31) + (char.codePointAt(0) ?? 0)) | 0;
  return hash & 0x7fffffff;
}

export interface HeldLock {
  release(): Promise<void>;
}

/**
 * Takes the lock named `name`, waiting up to `waitMs`; undefined when it stays held elsewhere.
 * `onWait` is called once if the first try fails.
 */
export async function takeLock(
  client: GatewayClient,
  name: string,
  options: { waitMs: number; signal?: AbortSignal; onWait?: () => void },
): Promise<HeldLock | undefined> {
  const key = lockKey(name);
  const deadline = Date.now() + options.waitMs;
  let waited = false;
  for (;;) {
    const result = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS locked', [
      LOCK_CLASS,
      key,
    ]);
    if (result.rows[0]?.locked === true) {
      return {
        release: async () => {
          await client.query('SELECT pg_advisory_unlock($1, $2)', [LOCK_CLASS, key]).catch(() => undefined);
        },
      };
    }
    if (!waited) options.onWait?.();
    waited = true;
    if (Date.now() >= deadline) return undefined;
    await sleep(POLL_MS, undefined, { signal: options.signal });
  }
}
