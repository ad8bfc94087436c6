import type { Clock, Timer } from '../clock.js';

/** Node clamps timers above 2^31−1 ms to 1 ms; longer delays are reached in several hops. */
const MAX_TIMER_MS = 2 ** 31 - 1;

interface Waiting {
  readonly at: number;
  timer: Timer;
}

/**
 * Keys waiting for a deadline before they are added (client-go delayingType's waitingForQueue).
 * A key waits at most once: a second request keeps whichever deadline is earlier, so a burst of
 * requeues for one object becomes a single add.
 */
export class DelayedAdds {
  private readonly waiting = new Map<string, Waiting>();

  constructor(
    private readonly clock: Clock,
    private readonly onDue: (key: string) => void,
  ) {}

  get size(): number {
    return this.waiting.size;
  }

  schedule(key: string, delayMs: number): void {
    const at = this.clock.now() + delayMs;
    const existing = this.waiting.get(key);
    if (existing && existing.at <= at) return;
    existing?.timer.cancel();
    const entry: Waiting = { at, timer: { cancel: () => undefined } };
    this.waiting.set(key, entry);
    this.arm(key, entry);
  }

  cancelAll(): void {
    for (const entry of this.waiting.values()) entry.timer.cancel();
    this.waiting.clear();
  }

  private arm(key: string, entry: Waiting): void {
    const remaining = entry.at - this.clock.now();
    entry.timer = this.clock.setTimer(Math.min(Math.max(0, remaining), MAX_TIMER_MS), () => {
      if (this.waiting.get(key) !== entry) return;
      // Timers may fire early (clamping, coarse clocks); only the deadline itself releases the key.
      if (this.clock.now() < entry.at) {
        this.arm(key, entry);
        return;
      }
      this.waiting.delete(key);
      this.onDue(key);
    });
  }
}
