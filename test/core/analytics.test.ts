/** Metrics on flow-adjusted returns, and the history alerts, with hand-computed numbers. */

import { describe, expect, it } from 'vitest';
import {
  botMetrics,
  DEGRADED_WINDOW,
  dailyReturns,
  type EquitySample,
  flowAdjustedReturns,
  lossRecoveryRate,
  maxDrawdown,
  performanceDegraded,
  portfolioMetrics,
  sharpeRatio,
  totalPnl,
  UNUSUAL_LOSS_MIN_SAMPLES,
  unusualLoss,
  winRate,
} from '../../functions/core/analytics.ts';
import { money } from '../../functions/core/money.ts';
import { balanceOf } from '../../functions/core/state.ts';
import { specConfig, stateOf } from './fixtures.ts';

const sample = (at: string, balance: number | string, net: number | string): EquitySample => ({
  at,
  balance: money(balance),
  netContributed: money(net),
});
const rs = (samples: EquitySample[]) => flowAdjustedReturns(samples).map((p) => p.r);

describe('flow-adjusted returns', () => {
  it('counts trading, not transfers: +20%, then a harvest of 20 is 0%, then a refill of 50 is 0%', () => {
    const returns = rs([
      sample('2026-01-01T00:00:00Z', 100, 100),
      sample('2026-01-01T00:15:00Z', 120, 100),
      sample('2026-01-01T00:30:00Z', 100, 80), // 20 harvested
      sample('2026-01-01T00:45:00Z', 150, 130), // 50 refilled
    ]);
    expect(returns[0]).toBeCloseTo(0.2, 12);
    expect(returns[1]).toBeCloseTo(0, 12);
    expect(returns[2]).toBeCloseTo(0, 12);
  });

  it('leaves out a period that starts from a zero balance', () => {
    const returns = flowAdjustedReturns([
      sample('2026-01-01T00:00:00Z', 0, 0),
      sample('2026-01-01T00:15:00Z', 150, 150),
      sample('2026-01-01T00:30:00Z', 165, 150),
    ]);
    expect(returns).toEqual([{ at: '2026-01-01T00:30:00Z', r: expect.closeTo(0.1, 12) }]);
  });

  it('compounds the returns of one UTC day: +10% then −10% is −1%', () => {
    const daily = dailyReturns([
      { at: '2026-01-01T10:00:00Z', r: 0.1 },
      { at: '2026-01-01T20:00:00Z', r: -0.1 },
      { at: '2026-01-02T10:00:00Z', r: 0.05 },
    ]);
    expect(daily.map((d) => d.at)).toEqual(['2026-01-01', '2026-01-02']);
    expect(daily[0]?.r).toBeCloseTo(-0.01, 12);
    expect(daily[1]?.r).toBeCloseTo(0.05, 12);
  });
});

describe('per-bot metrics', () => {
  it('win rate: 2 positive days of 4 (a flat day is not a win)', () => {
    expect(winRate([0.01, -0.02, 0, 0.03])).toBe(0.5);
    expect(winRate([])).toBeUndefined();
  });

  it('annualised Sharpe: mean 0.005, σ 0.0129099 over [1%, −1%, 2%, 0%] → 0.3873 × √365 = 7.3993', () => {
    expect(sharpeRatio([0.01, -0.01, 0.02, 0], 365)).toBeCloseTo(7.3993, 4);
    expect(sharpeRatio([0.01, 0.01], 365)).toBeUndefined(); // never varies
    expect(sharpeRatio([0.01])).toBeUndefined();
  });

  it('max drawdown: +10%, −50%, +20% falls from 1.1 to 0.55 → 50%', () => {
    expect(maxDrawdown([0.1, -0.5, 0.2])).toBeCloseTo(0.5, 12);
    expect(maxDrawdown([0.1, 0.2])).toBe(0);
  });

  it('total PnL: B 100 + harvested 30 + protected 10 − contributed 150 = −10, exactly', () => {
    const b = stateOf(specConfig(), {
      'bots.1h_lorentzian_sol.balance': 100,
      'bots.1h_lorentzian_sol.harvested': 30,
      'bots.1h_lorentzian_sol.protected': 10,
    }).bots.get('1h_lorentzian_sol');
    if (!b) throw new Error('fixture');
    expect(totalPnl({ ...b, balance: balanceOf(b) })).toBe(money(-10));
  });

  it('computes win rate and Sharpe on daily returns, the drawdown on every sample', () => {
    const b = stateOf(specConfig()).bots.get('1h_lorentzian_sol');
    if (!b) throw new Error('fixture');
    const m = botMetrics({ ...b, balance: balanceOf(b) }, [
      sample('2026-01-01T00:00:00Z', 100, 100),
      sample('2026-01-02T00:00:00Z', 110, 100), // +10%
      sample('2026-01-02T12:00:00Z', 55, 100), // −50% (same day)
      sample('2026-01-03T00:00:00Z', 66, 100), // +20%
    ]);
    // Days: Jan 2 → 1.1 × 0.5 − 1 = −45%; Jan 3 → +20%.
    expect(m.days).toBe(2);
    expect(m.winRate).toBe(0.5);
    expect(m.maxDrawdown).toBeCloseTo(0.5, 12);
    expect(m.volatility).toBeCloseTo(Math.sqrt((0.325 ** 2 * 2) / 1), 12);
  });
});

describe('portfolio metrics', () => {
  it('profit retention: harvested 50 of gross profit 100 (a bot harvested, then crashed, keeps what it banked)', () => {
    const state = stateOf(specConfig(), {
      // harvested 30, and 50 above the 150 put in: gross 80
      'bots.1h_lorentzian_sol.balance': 200,
      'bots.1h_lorentzian_sol.harvested': 30,
      // harvested 20, then lost: its loss does not count, gross 20
      'bots.4h_swing_btc.balance': 30,
      'bots.4h_swing_btc.harvested': 20,
    });
    const m = portfolioMetrics(state);
    expect(m.harvested).toBe(money(50));
    expect(m.grossProfit).toBe(money(100));
    expect(m.profitRetention).toBe(0.5);
    expect(m.equity).toBe(money(200 + 30 + 100 + 100 + 500));
  });

  it('has no profit retention before any profit', () => {
    expect(portfolioMetrics(stateOf(specConfig())).profitRetention).toBeUndefined();
  });

  it('loss recovery rate: of 3 refilled bots, 2 got back to their capital base', () => {
    expect(
      lossRecoveryRate([
        { refilled: true, recovered: true },
        { refilled: true, recovered: false },
        { refilled: true, recovered: true },
        { refilled: false, recovered: true },
      ]),
    ).toEqual({ refilled: 3, recovered: 2, rate: 2 / 3 });
  });
});

describe('history alerts', () => {
  /** ±0.1% alternating: mean 0, σ ≈ 0.001. */
  const calm = (n: number) => Array.from({ length: n }, (_, i) => (i % 2 === 0 ? 0.001 : -0.001));

  it(`unusual_loss: a −5% cycle after ${UNUSUAL_LOSS_MIN_SAMPLES} returns of ±0.1% is ~49 σ below`, () => {
    const loss = unusualLoss([...calm(UNUSUAL_LOSS_MIN_SAMPLES), -0.05]);
    expect(loss?.r).toBe(-0.05);
    expect(loss?.z).toBeCloseTo(-0.05 / Math.sqrt((20 * 0.001 ** 2) / 19), 6);
  });

  it('unusual_loss needs enough history, a loss, and more than 3 σ', () => {
    expect(unusualLoss([...calm(UNUSUAL_LOSS_MIN_SAMPLES - 1), -0.05])).toBeUndefined();
    expect(unusualLoss([...calm(20), -0.003])).toBeUndefined(); // ~2.9 σ
    expect(unusualLoss([...calm(20), -0.0031])?.z).toBeLessThan(-3);
    const wild = Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? 0.1 : -0.1));
    expect(unusualLoss([...wild, -0.2])).toBeUndefined(); // within its own range
  });

  it('unusual_loss: any loss after returns that never varied', () => {
    expect(unusualLoss([...Array(20).fill(0), -0.001])?.z).toBe(Number.NEGATIVE_INFINITY);
    expect(unusualLoss([...Array(20).fill(0), 0])).toBeUndefined();
  });

  const good = Array(2 * DEGRADED_WINDOW).fill(0.01);
  const bad = (n: number) => Array(n).fill(-0.01);

  it('performance_degraded fires on the cycle the rolling Sharpe turns negative after a positive window', () => {
    // The last 24 returns: 13 losses, 11 gains → negative; the 24 before: all gains.
    expect(performanceDegraded([...good, ...bad(13)])).toEqual({
      recentMean: expect.closeTo(-2 / 2400, 12),
      beforeMean: expect.closeTo(0.01, 12),
    });
  });

  it('performance_degraded stays quiet before the turn and on the cycles after it', () => {
    expect(performanceDegraded([...good, ...bad(12)])).toBeUndefined(); // 12 / 12: zero, not negative
    expect(performanceDegraded([...good, ...bad(14)])).toBeUndefined(); // already degraded before
    expect(performanceDegraded(bad(48))).toBeUndefined(); // never was positive
    expect(performanceDegraded([...good.slice(0, 30), ...bad(13)])).toBeUndefined(); // too short
  });
});
