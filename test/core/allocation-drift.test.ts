/**
 * `allocation_drift` (DESIGN.md §11): a running bot whose equity's share of its pool is off its
 * target share by more than `rebalance_threshold` (relative), with no rebalance planned for it —
 * on the spec portfolio under equal_weight (low_frequency 150 / 150, high_frequency 100 / 100
 * after the allocations; threshold 10%).
 */
import { describe, expect, it } from 'vitest';
import type { BotHealth } from '../../functions/core/health.ts';
import { type Plan, plan } from '../../functions/core/policy.ts';
import { specConfig, stateOf } from './fixtures.ts';

/** The strategy ran an hour ago: no rebalance is due, the targets are the capital bases. */
const NOT_DUE = { last_rebalance: '2026-11-20T11:00:00Z' };
const equal = specConfig({ 'allocation.strategy': 'equal_weight' });

const drifts = (p: Plan) =>
  p.alerts.filter((a) => a.code === 'allocation_drift').map((a) => `${a.severity} ${a.botId}`);

describe('allocation_drift', () => {
  it('warns for each bot whose equity share is more than 10% off its target share', () => {
    // 180 / 130: shares 58.1% and 41.9% against 50% — 16.1% off.
    const p = plan(
      equal,
      stateOf(equal, {
        ...NOT_DUE,
        'bots.1h_lorentzian_sol.balance': 180,
        'bots.4h_swing_btc.balance': 130,
      }),
    );
    expect(p.transfers).toEqual([]);
    expect(drifts(p)).toEqual(['warning 1h_lorentzian_sol', 'warning 4h_swing_btc']);
    expect(p.alerts.find((a) => a.botId === '4h_swing_btc')?.message).toBe(
      "4h_swing_btc: its equity 130 is 41.9% of pool low_frequency's 310, 16.13% below its target share 50.0% (its capital base 150 of 300; rebalance_threshold 10%); no rebalance is planned for it this cycle",
    );
  });

  it('stays silent under the threshold and exactly on it: 165 / 135 is 10% off, not more', () => {
    const under = plan(
      equal,
      stateOf(equal, {
        ...NOT_DUE,
        'bots.1h_lorentzian_sol.balance': 160,
        'bots.4h_swing_btc.balance': 140,
      }),
    );
    expect(drifts(under)).toEqual([]);
    const on = plan(
      equal,
      stateOf(equal, {
        ...NOT_DUE,
        'bots.1h_lorentzian_sol.balance': 165,
        'bots.4h_swing_btc.balance': 135,
      }),
    );
    expect(drifts(on)).toEqual([]);
    const beyond = plan(
      equal,
      stateOf(equal, {
        ...NOT_DUE,
        'bots.1h_lorentzian_sol.balance': '165.00000001',
        'bots.4h_swing_btc.balance': 135,
      }),
    );
    expect(drifts(beyond)).toEqual(['warning 1h_lorentzian_sol', 'warning 4h_swing_btc']);
  });

  it('is not raised for a bot with a rebalance planned this cycle; its pool mate is judged', () => {
    // Prepare: high_frequency's targets are 105 each; 5m_scalping_sol's base 94.49999999 is
    // beyond 10% below it (a rebalance in), 15m_momentum_eth's 105 is on it. Equity 94.5 / 120:
    // shares 44.1% / 55.9% — both 11.9% off.
    const p = plan(
      equal,
      stateOf(equal, {
        'bots.5m_scalping_sol.capital_base': '94.49999999',
        'bots.5m_scalping_sol.balance': '94.5',
        'bots.15m_momentum_eth.capital_base': 105,
        'bots.15m_momentum_eth.balance': 120,
      }),
    );
    // Assess
    expect(p.transfers.map((t) => `${t.kind} ${t.botId}`)).toEqual(['rebalance 5m_scalping_sol']);
    expect(drifts(p)).toEqual(['warning 15m_momentum_eth']);
    expect(p.alerts.find((a) => a.code === 'allocation_drift')?.message).toContain(
      'its equal_weight target 105 of 210',
    );
  });

  it('is not raised under the fixed strategy: its equity wanders between harvest and refill', () => {
    const fixed = specConfig();
    const p = plan(
      fixed,
      stateOf(fixed, { 'bots.1h_lorentzian_sol.balance': 180, 'bots.4h_swing_btc.balance': 60 }),
    );
    expect(drifts(p)).toEqual([]);
  });

  it('judges only running bots: a monitored bot that is stale is left alone', () => {
    const config = specConfig({
      'allocation.strategy': 'equal_weight',
      'bots[1].health': { heartbeat: true },
    });
    const health = new Map<string, BotHealth>([
      ['4h_swing_btc', { status: 'stale', reason: 'never heard from' }],
    ]);
    const p = plan(
      config,
      stateOf(config, {
        ...NOT_DUE,
        'bots.1h_lorentzian_sol.balance': 180,
        'bots.4h_swing_btc.balance': 130,
      }),
      { health },
    );
    expect(drifts(p)).toEqual(['warning 1h_lorentzian_sol']);
  });

  it('judges no bot of a pool with a balance unknown or a transfer in flight', () => {
    const changes = {
      ...NOT_DUE,
      'bots.1h_lorentzian_sol.balance': 180,
      'bots.4h_swing_btc.balance': 130,
    };
    const inFlight = plan(equal, stateOf(equal, changes), { inFlight: new Set(['4h_swing_btc']) });
    expect(drifts(inFlight)).toEqual([]);
    const unknown = plan(equal, stateOf(equal, { ...changes, 'bots.4h_swing_btc.balance': null }));
    expect(drifts(unknown)).toEqual([]);
  });
});
