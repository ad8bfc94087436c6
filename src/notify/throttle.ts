/**
 * Calls `fn(key)` at most once per `intervalMs` per key: the first call goes at once, later ones
 * in the window collapse into one call at its end. Keeps status writes to a few per minute while
 * notifications stream through.
 */
import type { Clock, Timer } from '../runtime/clock.js';

export function throttlePerKey(
  fn: (key: string) => void,
  intervalMs: number,
  clock: Clock,
): (key: string) => void {
  const last = new Map<string, number>();
  const pending = new Map<string, Timer>();
  return (key) => {
    if (pending.has(key)) return;
    const now = clock.now();
    const wait = (last.get(key) ?? Number.NEGATIVE_INFINITY) + intervalMs - now;
    if (wait <= 0) {
      last.set(key, now);
      fn(key);
      return;
    }
    pending.set(
      key,
      clock.setTimer(wait, () => {
        pending.delete(key);
        last.set(key, clock.now());
        fn(key);
      }),
    );
  };
}
