/**
 * At most N ACME attempts at once, the rest waiting their turn in order: cert-manager's
 * max-concurrent-challenges. A hundred orders at once on two cores made every one slower (all
 * 100 Ready in 21–23 s against 15 s with 10 at a time) and kept the event loop busy for
 * seconds (p99 delay 130–160 ms against about 45 ms); see docs/benchmarks.md.
 */
export class IssuanceSlots {
  private active = 0;
  private readonly waiting: { resolve: () => void; signal: AbortSignal }[] = [];

  constructor(private readonly limit: number) {
    if (!(limit >= 1)) throw new RangeError(`at least one concurrent issuance, not ${limit}`);
  }

  /** Resolves once a slot is this caller's (call release() after); rejects when `signal` aborts first. */
  acquire(signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    if (this.active < this.limit) {
      this.active += 1;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const entry = { resolve, signal };
      this.waiting.push(entry);
      signal.addEventListener(
        'abort',
        () => {
          const index = this.waiting.indexOf(entry);
          if (index < 0) return;
          this.waiting.splice(index, 1);
          reject(signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason)));
        },
        { once: true },
      );
    });
  }

  release(): void {
    const next = this.waiting.shift();
    // The slot passes straight to the next in line; only when nobody waits is it freed.
    if (next) next.resolve();
    else this.active = Math.max(0, this.active - 1);
  }

  /** Attempts waiting for a slot. */
  get queued(): number {
    return this.waiting.length;
  }
}
