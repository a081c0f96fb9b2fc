/**
 * Rebalancing (DESIGN.md §3, rule 6) per strategy, on the spec portfolio: low_frequency has 300
 * deployable (two bots), high_frequency 210 (two bots); rebalance_threshold 10%, interval 1d.
 */
import { describe, expect, it } from 'vitest';
import type { EquitySample } from '../../functions/core/analytics.ts';
import type { Config } from '../../functions/core/config.ts';
import { type Money, money, showMoney } from '../../functions/core/money.ts';
import { type Plan, type PlanOptions, plan } from '../../functions/core/policy.ts';
import {
  integerWeights,
  PERFORMANCE_FLOOR,
  performanceScore,
  performanceWeight,
  targetBases,
} from '../../functions/core/strategies.ts';
import { AS_OF, SPEC_BOTS, specConfig, stateOf } from './fixtures.ts';

const moves = (p: Plan) =>
  p.transfers.map((t) => `${t.kind} ${t.botId} ${t.from} → ${t.to} ${showMoney(t.amount)}`);

const strategy = (name: string, more: Record<string, unknown> = {}) =>
  specConfig({ 'allocation.strategy': name, ...more });

const planOn = (config: Config, changes: Record<string, unknown>, opts: PlanOptions = {}) =>
  plan(config, stateOf(config, changes), opts);

/** Low-frequency bots with capital bases (and balances) 200 and 100: equal weight wants 150 each. */
const lopsided = {
  'bots.1h_lorentzian_sol.capital_base': 200,
  'bots.1h_lorentzian_sol.balance': 200,
  'bots.4h_swing_btc.capital_base': 100,
  'bots.4h_swing_btc.balance': 100,
};

describe('rebalancing: when', () => {
  const equal = strategy('equal_weight');

  it('moves drifted capital bases to their equal-weight targets: 200 / 100 → 150 / 150', () => {
    const p = planOn(equal, lopsided);
    expect(moves(p)).toEqual([
      'rebalance 1h_lorentzian_sol bot:1h_lorentzian_sol → reserve:low_frequency 50',
      'rebalance 4h_swing_btc reserve:low_frequency → bot:4h_swing_btc 50',
    ]);
    expect(p.transfers[0]?.reason).toBe(
      'capital base 200 is 33.33% above its equal_weight target 150 (rebalance_threshold 10%)',
    );
    expect(p.transfers[1]?.reason).toBe(
      'capital base 100 is 33.33% below its equal_weight target 150 (rebalance_threshold 10%)',
    );
    expect(p.alerts.map((a) => `${a.severity} ${a.code}`)).toEqual([
      'info rebalance',
      'info rebalance',
    ]);
    expect(p.lastRebalance).toBe(AS_OF);
  });

  it('leaves a drift of exactly the threshold: 94.5 is 10% below 105; 94.49999999 is not', () => {
    // high_frequency: 210 deployable, 105 each.
    const at = planOn(equal, {
      'bots.5m_scalping_sol.capital_base': '94.5',
      'bots.5m_scalping_sol.balance': '94.5',
    });
    expect(at.transfers).toEqual([]);
    const beyond = planOn(equal, {
      'bots.5m_scalping_sol.capital_base': '94.49999999',
      'bots.5m_scalping_sol.balance': '94.49999999',
    });
    expect(moves(beyond)).toEqual([
      'rebalance 5m_scalping_sol reserve:high_frequency → bot:5m_scalping_sol 10.50000001',
    ]);
  });

  it('runs once rebalance_interval has passed: exactly 1d after the last run, not 1 ms earlier', () => {
    const due = planOn(equal, { ...lopsided, last_rebalance: '2026-11-19T12:00:00Z' });
    expect(due.transfers).toHaveLength(2);
    expect(due.lastRebalance).toBe(AS_OF);
    const early = planOn(equal, { ...lopsided, last_rebalance: '2026-11-19T12:00:00.001Z' });
    expect(early.transfers).toEqual([]);
    expect(early.lastRebalance).toBe('2026-11-19T12:00:00.001Z');
  });

  it('counts the run even when no bot drifted, so the strategy runs once per interval', () => {
    const p = planOn(equal, {});
    expect(p.transfers).toEqual([]);
    expect(p.lastRebalance).toBe(AS_OF);
  });

  it('never rebalances a fixed allocation', () => {
    const p = planOn(specConfig(), lopsided);
    expect(p.transfers).toEqual([]);
    expect(p.lastRebalance).toBeUndefined();
  });

  it('decides a harvest or a refill first: one decision per bot', () => {
    const p = planOn(equal, { ...lopsided, 'bots.1h_lorentzian_sol.balance': 250 });
    expect(moves(p)).toEqual([
      'harvest 1h_lorentzian_sol bot:1h_lorentzian_sol → reserve:low_frequency 30',
      'rebalance 4h_swing_btc reserve:low_frequency → bot:4h_swing_btc 50',
    ]);
  });
});

describe('rebalancing: how much', () => {
  const equal = strategy('equal_weight');

  it('takes in only what the pool reserve holds', () => {
    const p = planOn(equal, { ...lopsided, 'reserves.low_frequency': 20 });
    expect(moves(p)).toContain(
      'rebalance 4h_swing_btc reserve:low_frequency → bot:4h_swing_btc 20',
    );
    expect(p.transfers[1]?.reason).toMatch(/; reserve:low_frequency holds only 20$/);
  });

  it('takes out at most what the bot holds', () => {
    const noRefill = strategy('equal_weight', { loss_recovery: undefined });
    const p = planOn(noRefill, { ...lopsided, 'bots.1h_lorentzian_sol.balance': 30 });
    expect(moves(p)[0]).toBe(
      'rebalance 1h_lorentzian_sol bot:1h_lorentzian_sol → reserve:low_frequency 30',
    );
  });

  it('does not rebalance into a bot at or below the intervention threshold when loss recovery is off', () => {
    const off = strategy('equal_weight', { 'loss_recovery.enabled': false });
    // 4h_swing_btc: base 100 of a 150 target, balance 25 = 0.25 × 100: a refill in all but name.
    const at = planOn(off, { ...lopsided, 'bots.4h_swing_btc.balance': 25 });
    expect(moves(at)).toEqual([
      'rebalance 1h_lorentzian_sol bot:1h_lorentzian_sol → reserve:low_frequency 50',
    ]);
    const above = planOn(off, { ...lopsided, 'bots.4h_swing_btc.balance': '25.00000001' });
    expect(moves(above)).toContain(
      'rebalance 4h_swing_btc reserve:low_frequency → bot:4h_swing_btc 50',
    );
  });

  it('caps at max_transfer and rounds to the precision', () => {
    const c = strategy('equal_weight', {
      'exchanges.bitget.max_transfer': 40,
      'exchanges.bitget.precision': 0,
      // Allocations fit one transfer (the config refuses more); capital bases come from the state.
      'bots[0].allocation': 40,
      'bots[1].allocation': 40,
      'bots[2].allocation': 40,
      'bots[3].allocation': 40,
    });
    const p = planOn(c, {
      ...lopsided,
      'bots.4h_swing_btc.capital_base': '100.5',
      'bots.4h_swing_btc.balance': '100.5',
    });
    expect(moves(p)).toEqual([
      'rebalance 1h_lorentzian_sol bot:1h_lorentzian_sol → reserve:low_frequency 40',
      'rebalance 4h_swing_btc reserve:low_frequency → bot:4h_swing_btc 40',
    ]);
  });

  it('only moves money out of bots while halted', () => {
    const p = planOn(equal, { ...lopsided, 'flags.halted': true });
    expect(moves(p)).toEqual([
      'rebalance 1h_lorentzian_sol bot:1h_lorentzian_sol → reserve:low_frequency 50',
    ]);
  });

  it('only moves money out of bots in black swan', () => {
    // Σ B = 200 + 100 + 50 + 40 = 390 < 0.8 × 500: the latched episode goes on.
    const p = planOn(equal, {
      ...lopsided,
      'bots.5m_scalping_sol.balance': 50,
      'bots.15m_momentum_eth.balance': 40,
      'flags.black_swan': true,
      // Every bot's protect of this episode has completed.
      protected_this_episode: SPEC_BOTS,
    });
    expect(p.mode).toBe('black_swan');
    expect(moves(p)).toEqual([
      'rebalance 1h_lorentzian_sol bot:1h_lorentzian_sol → reserve:low_frequency 50',
    ]);
  });

  it('leaves a pool alone while one of its enabled bots is not yet funded', () => {
    const p = planOn(equal, {
      'bots.1h_lorentzian_sol.capital_base': 100,
      'bots.1h_lorentzian_sol.balance': 100,
      'bots.4h_swing_btc': undefined,
    });
    expect(moves(p)).toEqual([
      'allocation 4h_swing_btc reserve:low_frequency → bot:4h_swing_btc 150',
    ]);
  });

  it("shares the pool's deployable capital less the capital bases of its disabled bots", () => {
    // low_frequency: 300 − 150 (disabled 4h_swing_btc) = 150 for 1h_lorentzian_sol alone.
    const c = strategy('equal_weight', { 'bots[1].enabled': false });
    const p = planOn(c, {
      'bots.1h_lorentzian_sol.capital_base': 100,
      'bots.1h_lorentzian_sol.balance': 100,
    });
    expect(moves(p)).toEqual([
      'rebalance 1h_lorentzian_sol reserve:low_frequency → bot:1h_lorentzian_sol 50',
    ]);
  });
});

describe('strategies', () => {
  it("fixed_percentage: each bot's weight is its share of the pool; the rest stays in reserve", () => {
    const c = strategy('fixed_percentage', {
      'bots[0].weight': 0.5,
      'bots[1].weight': 0.25, // 75 of 300
      'bots[2].weight': 0.5,
      'bots[3].weight': 0.5,
    });
    expect(moves(planOn(c, {}))).toEqual([
      'rebalance 4h_swing_btc bot:4h_swing_btc → reserve:low_frequency 75',
    ]);
  });

  it('fixed_percentage: weights summing above 1 are scaled to fit: 0.8 / 0.8 → 150 / 150', () => {
    const c = strategy('fixed_percentage', {
      'bots[0].weight': 0.8,
      'bots[1].weight': 0.8,
      'bots[2].weight': 0.5,
      'bots[3].weight': 0.5,
    });
    expect(moves(planOn(c, lopsided))).toEqual([
      'rebalance 1h_lorentzian_sol bot:1h_lorentzian_sol → reserve:low_frequency 50',
      'rebalance 4h_swing_btc reserve:low_frequency → bot:4h_swing_btc 50',
    ]);
  });

  /**
   * Eight days of history for the two low-frequency bots, ending the day before AS_OF. The
   * balances stay at 150 and the daily returns come from the flows (net contribution), so each
   * return is exactly `returns[i]` whatever the rounding of money.
   */
  function history(returns: Record<string, readonly number[]>): Map<string, EquitySample[]> {
    const out = new Map<string, EquitySample[]>();
    for (const [botId, rs] of Object.entries(returns)) {
      // r = (150 − flow) / 150 − 1 → flow = −150 r; walk back from today's net of 150.
      const samples: EquitySample[] = [];
      let net = 150;
      for (let j = rs.length; j >= 1; j--) {
        const r = rs[j - 1] ?? 0;
        net += 150 * r; // the net one period earlier
        samples.unshift({
          at: new Date(Date.parse(AS_OF) - (rs.length - j + 1) * 86_400_000).toISOString(),
          balance: money(150),
          netContributed: money(net.toFixed(8)),
        });
      }
      out.set(botId, samples);
    }
    return out;
  }
  const alternating = (a: number) => Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? a : -a));

  it('risk_weighted: weights ∝ 1 / volatility — ±1% and ±3% daily share 300 as 225 / 75', () => {
    const p = planOn(
      strategy('risk_weighted'),
      {},
      {
        history: history({
          '1h_lorentzian_sol': alternating(0.01),
          '4h_swing_btc': alternating(0.03),
        }),
      },
    );
    expect(p.transfers.map((t) => [t.botId, t.to, Number(showMoney(t.amount))])).toEqual([
      ['1h_lorentzian_sol', 'bot:1h_lorentzian_sol', expect.closeTo(75, 7)],
      ['4h_swing_btc', 'reserve:low_frequency', expect.closeTo(75, 7)],
    ]);
  });

  it('needs 7 days of returns for every bot of the pool before weighing it', () => {
    const p = planOn(
      strategy('risk_weighted'),
      {},
      {
        history: history({
          '1h_lorentzian_sol': alternating(0.01).slice(0, 6),
          '4h_swing_btc': alternating(0.03),
        }),
      },
    );
    expect(p.transfers).toEqual([]);
    expect(p.lastRebalance).toBe(AS_OF);
  });

  it('performance_based: a steady winner scores 1, a steady loser gets the floor: 300 → 272.72727272 / 27.27272727', () => {
    const p = planOn(
      strategy('performance_based'),
      { 'bots.4h_swing_btc.contributed': 400 },
      {
        history: history({
          '1h_lorentzian_sol': Array(8).fill(0.01),
          '4h_swing_btc': Array(8).fill(-0.2),
        }),
      },
    );
    expect(moves(p)).toEqual([
      'rebalance 1h_lorentzian_sol reserve:low_frequency → bot:1h_lorentzian_sol 122.72727272',
      'rebalance 4h_swing_btc bot:4h_swing_btc → reserve:low_frequency 122.72727273',
    ]);
  });

  it('performance score: Sharpe 1.5, win rate 75%, drawdown 10% → (0.5 + 0.5 + 0.8) / 3 = 0.6 → weight 0.8', () => {
    const score = performanceScore(
      { pnl: money(0), days: 8, sharpe: 1.5, winRate: 0.75, maxDrawdown: 0.1, volatility: 0.01 },
      [],
    );
    expect(score).toBeCloseTo(0.6, 12);
    expect(performanceWeight(score)).toBeCloseTo(0.8, 12);
  });

  it('performance score: the floor keeps the worst bot alive — Sharpe −6, win rate 0, drawdown 100% → 0.1', () => {
    const score = performanceScore(
      { pnl: money(0), days: 8, sharpe: -6, winRate: 0, maxDrawdown: 1, volatility: 0.01 },
      [],
    );
    expect(score).toBe(-1);
    expect(performanceWeight(score)).toBe(PERFORMANCE_FLOOR);
  });

  it('targets never sum above the budget: weights 1 and 0.1 of 300 → 272.72727272 + 27.27272727', () => {
    const targets = targetBases(
      money(300),
      integerWeights(
        new Map([
          ['a', 1],
          ['b', 0.1],
        ]),
      ),
    );
    expect([...targets.values()].map((t: Money) => showMoney(t))).toEqual([
      '272.72727272',
      '27.27272727',
    ]);
  });

  it('custom: the weights of the user function, relative — 2 : 1 of 300 → 200 / 100', () => {
    const customWeights = (input: { bots: readonly { bot_id: string }[] }) =>
      Object.fromEntries(input.bots.map((b, i) => [b.bot_id, i === 0 ? 2 : 1]));
    const p = planOn(strategy('custom', { 'allocation.module': 'x.mjs' }), {}, { customWeights });
    expect(moves(p)).toEqual([
      'rebalance 1h_lorentzian_sol reserve:low_frequency → bot:1h_lorentzian_sol 50',
      'rebalance 4h_swing_btc bot:4h_swing_btc → reserve:low_frequency 50',
      'rebalance 5m_scalping_sol reserve:high_frequency → bot:5m_scalping_sol 40',
      'rebalance 15m_momentum_eth bot:15m_momentum_eth → reserve:high_frequency 30',
    ]);
  });

  it('custom: a function that throws or answers nonsense leaves the pool alone, with a warning', () => {
    const c = strategy('custom', { 'allocation.module': 'x.mjs' });
    const thrown = planOn(c, lopsided, {
      customWeights: () => {
        throw new Error('boom');
      },
    });
    expect(thrown.transfers).toEqual([]);
    expect(thrown.alerts.map((a) => [a.severity, a.code, a.message])).toContainEqual([
      'warning',
      'rebalance_skipped',
      'pool low_frequency not rebalanced (custom module x.mjs): the custom weights function threw: boom',
    ]);
    const nonsense = planOn(c, lopsided, {
      customWeights: () => ({ '1h_lorentzian_sol': -1, ghost: 1 }),
    });
    expect(nonsense.transfers).toEqual([]);
    expect(nonsense.alerts[0]?.message).toMatch(/"ghost" is not a bot of pool low_frequency/);
    expect(nonsense.alerts[0]?.message).toMatch(
      /weight of 1h_lorentzian_sol must be a finite number ≥ 0/,
    );
  });

  it('custom: a module that throws for one pool leaves only that pool alone, naming the module', () => {
    // Prepare: it throws for low_frequency and weighs high_frequency 2 : 1 (210 → 140 / 70);
    // 1h_lorentzian_sol is above its harvest trigger (260 ≥ 1.25 × 200).
    const c = strategy('custom', { 'allocation.module': './my-weights.mjs' });
    const customWeights = (input: { pool: string; bots: readonly { bot_id: string }[] }) => {
      if (input.pool === 'low_frequency') throw new Error('no model for this pool');
      return Object.fromEntries(input.bots.map((b, i) => [b.bot_id, i === 0 ? 2 : 1]));
    };
    // Act
    const p = planOn(c, { ...lopsided, 'bots.1h_lorentzian_sol.balance': 260 }, { customWeights });
    // Assess: the harvest and the other pool's rebalance go on
    expect(moves(p)).toEqual([
      'harvest 1h_lorentzian_sol bot:1h_lorentzian_sol → reserve:low_frequency 36',
      'rebalance 5m_scalping_sol reserve:high_frequency → bot:5m_scalping_sol 40',
      'rebalance 15m_momentum_eth bot:15m_momentum_eth → reserve:high_frequency 30',
    ]);
    expect(p.alerts.filter((a) => a.severity === 'warning').map((a) => a.message)).toEqual([
      'pool low_frequency not rebalanced (custom module ./my-weights.mjs): the custom weights function threw: no model for this pool',
      // The pool left alone drifts on, and says so (the harvested bot is judged next cycle).
      "4h_swing_btc: its equity 100 is 27.8% of pool low_frequency's 360, 16.67% below its target share 33.3% (its capital base 100 of 300; rebalance_threshold 10%); no rebalance is planned for it this cycle",
    ]);
  });

  it('custom: without the loaded module it plans no rebalance and says why', () => {
    const p = planOn(strategy('custom', { 'allocation.module': 'x.mjs' }), lopsided);
    expect(p.transfers).toEqual([]);
    expect(p.alerts[0]?.message).toMatch(/custom allocation module is not loaded/);
  });
});
