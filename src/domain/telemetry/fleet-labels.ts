/**
 * Bounded label values for the fleet metrics: a route gets a label of its own while it is among
 * the N busiest (by requests in the previous period, counted with a bounded space-saving summary);
 * every other route is `other`. The set changes only when a period ends, so a series does not
 * flap in and out with every request.
 */
import { SpaceSaving } from './space-saving.js';

export const OTHER = 'other';

export class FleetLabels {
  private admitted = new Set<string>();
  private counting: SpaceSaving;
  private periodStartMs: number | undefined;

  constructor(
    private readonly limit: number,
    private readonly periodMs = 3_600_000,
  ) {
    this.counting = new SpaceSaving(Math.max(limit * 10, 100));
  }

  /**
   * The label for `route` at `nowMs`. Until the first period ends, routes are admitted in the
   * order they come, up to the limit.
   */
  label(route: string, nowMs: number, weight = 1): string {
    this.roll(nowMs);
    this.counting.add(route, weight);
    if (this.admitted.has(route)) return route;
    if (this.firstPeriod && this.admitted.size < this.limit) {
      this.admitted.add(route);
      return route;
    }
    return OTHER;
  }

  /** Routes with labels of their own now. */
  get routes(): ReadonlySet<string> {
    return this.admitted;
  }

  private firstPeriod = true;

  private roll(nowMs: number): void {
    this.periodStartMs ??= nowMs;
    if (nowMs - this.periodStartMs < this.periodMs) return;
    this.admitted = new Set(this.counting.top(this.limit).map((h) => h.value));
    this.counting = new SpaceSaving(this.counting.capacity);
    this.periodStartMs = nowMs;
    this.firstPeriod = false;
  }
}
