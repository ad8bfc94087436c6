/**
 * The steps of a traffic answer: where each starts, and which step a rollup row falls in (by the
 * start of its bucket). Steps are either all the same length from `since`, or UTC days, whose
 * first and last may be partial, so that daily rollups answer each whole day.
 */
import { DAY_MS } from './records.js';

export class StepGrid {
  private constructor(
    /** Step i covers [starts[i], starts[i + 1]), the last one up to `untilMs`. */
    readonly starts: readonly number[],
    readonly untilMs: number,
  ) {}

  /** Steps of `stepMs` from `sinceMs`; the last one may reach past `untilMs`, as its rows do not. */
  static uniform(sinceMs: number, untilMs: number, stepMs: number): StepGrid {
    if (!(stepMs > 0)) throw new Error(`a step must be positive, not ${stepMs}`);
    const count = Math.max(0, Math.ceil((untilMs - sinceMs) / stepMs));
    return new StepGrid(
      Array.from({ length: count }, (_, i) => sinceMs + i * stepMs),
      untilMs,
    );
  }

  /** One step per UTC day the range touches: [since, next midnight), whole days, [last midnight, until). */
  static utcDays(sinceMs: number, untilMs: number): StepGrid {
    const starts: number[] = [];
    for (let at = sinceMs; at < untilMs; at = at - floorMod(at, DAY_MS) + DAY_MS) starts.push(at);
    return new StepGrid(starts, untilMs);
  }

  get sinceMs(): number {
    return this.starts[0] ?? this.untilMs;
  }

  get length(): number {
    return this.starts.length;
  }

  /** The step `timeMs` falls in, or -1 outside the grid. */
  indexOf(timeMs: number): number {
    if (timeMs < this.sinceMs || timeMs >= this.untilMs) return -1;
    let low = 0;
    let high = this.starts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if ((this.starts[mid] as number) <= timeMs) low = mid;
      else high = mid - 1;
    }
    return low;
  }

  /** Whether [fromMs, toMs) lies inside one step, so a row covering it is counted where its parts would be. */
  withinOneStep(fromMs: number, toMs: number): boolean {
    const first = this.indexOf(fromMs);
    return first >= 0 && first === this.indexOf(toMs - 1);
  }
}

function floorMod(a: number, n: number): number {
  return ((a % n) + n) % n;
}
