/** Backtests: equity curves replayed through the policy, every transfer completing. */
import { describe, expect, it } from 'vitest';
import {
  backtest,
  curveOf,
  curveProblems,
  type EquityCurves,
} from '../../functions/core/backtest.ts';
import { type Money, money, showMoney } from '../../functions/core/money.ts';
import { plan } from '../../functions/core/policy.ts';
import { afterPlan, withCompleted } from '../../functions/core/simulate.ts';
import { initialState } from '../../functions/core/state.ts';
import { AS_OF, specConfig, stateOf } from './fixtures.ts';

const BOTS = ['1h_lorentzian_sol', '4h_swing_btc', '5m_scalping_sol', '15m_momentum_eth'];

/** Daily rows; every bot flat at 1000 unless given. */
function curves(days: number, given: Record<string, (number | undefined)[]> = {}): EquityCurves {
  const times = Array.from({ length: days }, (_, i) =>
    new Date(Date.UTC(2026, 0, 1 + i)).toISOString(),
  );
  return {
    times,
    values: new Map(
      BOTS.map((id) => [
        id,
        curveOf(
          times.map((_, i) => {
            const v = given[id] ? given[id][i] : 1000;
            return v === undefined ? undefined : money(v);
          }),
        ),
      ]),
    ),
  };
}

describe('backtest', () => {
  // The worked examples without the exchange's fee; fees are below.
  const config = specConfig({ 'exchanges.bitget.transfer_fee': undefined });

  it('funds every bot on the first row, then moves balances as the curves did and harvests', () => {
    // 1h_lorentzian_sol: 150 → ×1.4 = 210 ≥ 187.5 → harvest 0.6 × 60 = 36 → 174, then flat.
    const r = backtest(config, curves(3, { '1h_lorentzian_sol': [1000, 1400, 1400] }));
    expect(r.transfers.allocation).toEqual({ count: 4, amount: money(500) });
    expect(r.transfers.harvest).toEqual({ count: 1, amount: money(36) });
    const bot = r.bots.find((b) => b.botId === '1h_lorentzian_sol');
    expect(bot && showMoney(bot.balance)).toBe('174');
    expect(bot && showMoney(bot.metrics.pnl)).toBe('60'); // 174 + 36 − 150
    // Gross profit 36 harvested + 24 still above the 150 put in: 60% retained.
    expect(r.portfolio.profitRetention).toBeCloseTo(0.6, 12);
    expect(r.endEquity).toBe(money(1060));
  });

  it('refills a crashed bot and counts it recovered once it is back at its capital base', () => {
    // 4h_swing_btc: 150 → 30 (×0.2): refill 82.5 to 112.5; ×1.5 = 168.75 ≥ 150: recovered.
    const r = backtest(config, curves(4, { '4h_swing_btc': [1000, 200, 300, 300] }));
    expect(r.transfers.refill).toEqual({ count: 1, amount: money('82.5') });
    expect(r.portfolio.lossRecovery).toEqual({ refilled: 1, recovered: 1, rate: 1 });
  });

  it('carries a curve over an empty cell', () => {
    const r = backtest(config, curves(3, { '5m_scalping_sol': [1000, undefined, 1100] }));
    expect(r.bots.find((b) => b.botId === '5m_scalping_sol')?.balance).toBe(money(110));
  });

  it('enters black swan, protects, and reports it among the events', () => {
    const crash = [1000, 500, 500];
    const r = backtest(config, curves(3, Object.fromEntries(BOTS.map((id) => [id, crash]))));
    // R = 250 / 500 = 0.5: 20% of each halved balance: 15 + 15 + 10 + 10.
    expect(r.transfers.protect).toEqual({ count: 4, amount: money(50) });
    expect(r.events.map((e) => e.alert.code)).toContain('black_swan_entered');
    expect(r.mode).toBe('black_swan');
  });

  it('refuses curves for unknown bots and enabled bots without a curve', () => {
    const c = curves(2);
    const values = new Map(c.values);
    values.delete('4h_swing_btc');
    values.set('ghost', curveOf([money(1), money(1)]));
    expect(curveProblems(config, { times: c.times, values })).toEqual([
      'curve "ghost": bot not in the config',
      'bot "4h_swing_btc": no equity curve',
    ]);
  });
});

describe('a backtest with transfer_fee', () => {
  it('pays every transfer’s fee out of its bot’s balance, reports the total, and books none', () => {
    // Prepare: the spec's 0.001. Allocations 500 pay 0.5; Lorentzian 149.85 × 1.4 = 209.79,
    // harvest 0.6 × 59.79 = 35.874 pays 0.035874: the bot ends at 173.880126.
    const config = specConfig();
    // Act
    const r = backtest(config, curves(3, { '1h_lorentzian_sol': [1000, 1400, 1400] }));
    // Assess
    expect(r.fees).toBe(money('0.535874'));
    expect(r.transfers.harvest).toEqual({ count: 1, amount: money('35.874') });
    expect(r.bots.find((b) => b.botId === '1h_lorentzian_sol')).toMatchObject({
      balance: money('173.880126'),
      contributed: money(150),
      harvested: money('35.874'),
    });
    // 1000 + the market's 59.94 − the fees.
    expect(r.endEquity).toBe(money('1059.404126'));
  });
});

describe('the books after a plan', () => {
  const config = specConfig();

  it('applies each transfer as the ledger does: a harvest moves the balance, the reserve and harvested', () => {
    const state = stateOf(config, { 'bots.1h_lorentzian_sol.balance': 200 });
    const after = withCompleted(state, plan(config, state).transfers);
    expect(after.bots.get('1h_lorentzian_sol')).toMatchObject({
      balance: money(170),
      harvested: money(30),
    });
    expect(after.reserves.get('low_frequency')).toBe(money(230));
  });

  it('funds a bot by its allocation and keeps the plan’s flags, peak and last rebalance', () => {
    const start = initialState(config, AS_OF);
    const p = plan(config, start);
    const after = afterPlan(start, p);
    expect(after.bots.get('4h_swing_btc')).toMatchObject({
      balance: money(150),
      capitalBase: money(150),
      contributed: money(150),
    });
    expect(after.flags).toEqual(p.flags);
    expect(after.peakEquity).toBe(p.peakEquity);
    const total = [...after.reserves.values()].reduce((s, m) => s + m, 0n) as Money;
    expect(total).toBe(money(500));
  });
});
