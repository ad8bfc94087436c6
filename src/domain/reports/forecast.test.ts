import { expect } from 'chai';
import { backtestPeaks, fitLine, forecastPeaks } from './forecast.js';

describe('report forecast (least squares over daily peaks)', () => {
  it('fits an exact line through points on a line', () => {
    expect(fitLine([10, 12, 14, 16])).to.deep.equal({ intercept: 10, slope: 2 });
  });

  it('fits the least-squares line through scattered points', () => {
    // x = 0..3, y = 1, 3, 2, 4: slope = Σ(x-1.5)(y-2.5) / Σ(x-1.5)² = 4 / 5 = 0.8, intercept = 2.5 - 0.8·1.5 = 1.3.
    const fit = fitLine([1, 3, 2, 4]);
    expect(fit?.slope).to.be.closeTo(0.8, 1e-12);
    expect(fit?.intercept).to.be.closeTo(1.3, 1e-12);
  });

  it('has no line through fewer than two days', () => {
    expect(fitLine([5])).to.equal(undefined);
    expect(forecastPeaks([5])).to.equal(undefined);
  });

  it('forecasts the highest peak of the next 30 days at the end of a rising line', () => {
    // 8 days, 10 + 2·day: the next 30 days are days 8..37, the highest 10 + 2·37 = 84.
    const forecast = forecastPeaks([10, 12, 14, 16, 18, 20, 22, 24]);
    expect(forecast?.nextPeakRps).to.equal(84);
    // Growth of the line over the window: (24 - 10) / 10 = 140 %.
    expect(forecast?.growthPercent).to.equal(140);
    // A perfect line predicts its held-out days exactly.
    expect(forecast?.backtest).to.deep.equal({ trainingDays: 6, heldOutDays: 2, mapePercent: 0 });
  });

  it('forecasts the first next day for a falling line, and never below zero', () => {
    // 40 - 5·day over 4 days: day 4 gives 20, day 33 gives -125: the highest is 20.
    expect(forecastPeaks([40, 35, 30, 25])?.nextPeakRps).to.equal(20);
    expect(forecastPeaks([10, 0])?.nextPeakRps).to.equal(0);
  });

  it('backtests on the first three quarters and reports the MAPE of the last quarter', () => {
    // Fit on 10, 10, 10 (flat at 10), held out: 12 → |12-10|/12 = 16.666… %.
    const backtest = backtestPeaks([10, 10, 10, 12]);
    expect(backtest?.trainingDays).to.equal(3);
    expect(backtest?.heldOutDays).to.equal(1);
    expect(backtest?.mapePercent).to.be.closeTo(100 / 6, 1e-9);
    // 8 days: fit on 6 (1..6 → y = 1 + day), predict 7 and 8; actual 14 and 16:
    // (|14-7|/14 + |16-8|/16) / 2 = (0.5 + 0.5) / 2 = 50 %.
    expect(backtestPeaks([1, 2, 3, 4, 5, 6, 14, 16])?.mapePercent).to.be.closeTo(50, 1e-9);
  });

  it('has no backtest with fewer than four days or without traffic in the held-out days', () => {
    expect(backtestPeaks([1, 2, 3])).to.equal(undefined);
    expect(backtestPeaks([1, 2, 3, 0])).to.equal(undefined);
  });
});
