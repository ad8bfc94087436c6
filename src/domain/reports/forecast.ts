/**
 * Capacity forecast: a least-squares straight line through the daily peaks (day index → peak
 * requests/second), extended 30 days; and its backtest, which fits the same line on the first
 * part of the window only and compares its predictions with the days held out (MAPE). A straight
 * line is deliberately simple: with at most 30 points a richer model would fit noise, and a
 * reader can check the numbers by hand (docs/reports.md, "Forecast").
 */

export interface LinearFit {
  /** Peak requests/second the line gives on day 0 (the first day of the window). */
  readonly intercept: number;
  /** Change of the peak per day. */
  readonly slope: number;
}

/** Ordinary least squares over (i, values[i]); undefined with fewer than two points. */
export function fitLine(values: readonly number[]): LinearFit | undefined {
  const n = values.length;
  if (n < 2) return undefined;
  const meanX = (n - 1) / 2;
  let meanY = 0;
  for (const v of values) meanY += v;
  meanY /= n;
  let sxy = 0;
  let sxx = 0;
  values.forEach((v, i) => {
    sxy += (i - meanX) * (v - meanY);
    sxx += (i - meanX) * (i - meanX);
  });
  const slope = sxy / sxx;
  return { intercept: meanY - slope * meanX, slope };
}

export function predict(fit: LinearFit, day: number): number {
  return fit.intercept + fit.slope * day;
}

export const FORECAST_DAYS = 30;

export interface Backtest {
  /** Days the line was fitted on (the first ones of the window). */
  readonly trainingDays: number;
  /** Days held out and predicted (the last ones). */
  readonly heldOutDays: number;
  /** Mean absolute percentage error over the held-out days with a non-zero peak, in percent. */
  readonly mapePercent: number;
}

export interface Forecast {
  readonly fit: LinearFit;
  /** The highest peak the line gives over the next FORECAST_DAYS days, never below 0. */
  readonly nextPeakRps: number;
  /** Relative change of the fitted line from the first to the last day of the window, percent; null when it starts at or below 0. */
  readonly growthPercent: number | null;
  /** Undefined with fewer than 4 days, or when every held-out day had no traffic. */
  readonly backtest?: Backtest;
}

/**
 * The forecast of a series of daily peaks, oldest first; undefined with fewer than two days
 * (no line can be drawn through one point).
 */
export function forecastPeaks(peaks: readonly number[]): Forecast | undefined {
  const fit = fitLine(peaks);
  if (!fit) return undefined;
  const n = peaks.length;
  // A line's maximum over a range is at one of its ends.
  const nextPeakRps = Math.max(0, predict(fit, n), predict(fit, n + FORECAST_DAYS - 1));
  const start = predict(fit, 0);
  const growthPercent = start > 0 ? ((predict(fit, n - 1) - start) / start) * 100 : null;
  const backtest = backtestPeaks(peaks);
  return { fit, nextPeakRps, growthPercent, ...(backtest ? { backtest } : {}) };
}

/**
 * Fits on the first n - h days, h = max(1, floor(n / 4)), and predicts the last h. A quarter
 * keeps at least three days to fit on once there are four.
 */
export function backtestPeaks(peaks: readonly number[]): Backtest | undefined {
  const n = peaks.length;
  if (n < 4) return undefined;
  const heldOutDays = Math.max(1, Math.floor(n / 4));
  const trainingDays = n - heldOutDays;
  const fit = fitLine(peaks.slice(0, trainingDays));
  if (!fit) return undefined;
  let sum = 0;
  let counted = 0;
  for (let day = trainingDays; day < n; day++) {
    const actual = peaks[day] ?? 0;
    if (actual <= 0) continue;
    sum += Math.abs(actual - predict(fit, day)) / actual;
    counted += 1;
  }
  if (counted === 0) return undefined;
  return { trainingDays, heldOutDays, mapePercent: (sum / counted) * 100 };
}
