/**
 * Jittered exponential backoff, the reusable primitive behind watch reconnects and gRPC
 * reconnects: each delay is base·2^n capped at max, stretched by up to `jitter` of itself so
 * that many clients failing together do not retry together.
 */
export interface BackoffOptions {
  readonly initialMs: number;
  readonly maxMs: number;
  /** 0..1: the share of each delay added at random. */
  readonly jitter: number;
  readonly random?: () => number;
}

export class Backoff {
  private attempt = 0;

  constructor(private readonly options: BackoffOptions) {}

  next(): number {
    const { initialMs, maxMs, jitter, random = Math.random } = this.options;
    const base = Math.min(maxMs, initialMs * 2 ** Math.min(this.attempt, 52));
    this.attempt += 1;
    return Math.min(maxMs, base + base * jitter * random());
  }

  reset(): void {
    this.attempt = 0;
  }

  get attempts(): number {
    return this.attempt;
  }
}
