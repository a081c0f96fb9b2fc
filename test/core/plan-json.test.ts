import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { planToJson } from '../../functions/core/plan-json.ts';
import { plan } from '../../functions/core/policy.ts';
import { parseState } from '../../functions/core/state-file.ts';
import { specConfig, stateOf } from './fixtures.ts';

describe('botfolio plan --json', () => {
  const config = specConfig();

  it("prints DESIGN.md §6's object for the harvest example", () => {
    const json = planToJson(
      plan(config, stateOf(config, { 'bots.1h_lorentzian_sol.balance': 200 })),
      config,
    );
    expect(json).toEqual({
      mode: 'normal',
      flags: { halted: false, black_swan: false },
      peak_equity: 1050,
      equity: 1050,
      transfers: [
        {
          kind: 'harvest',
          bot_id: '1h_lorentzian_sol',
          from: 'bot:1h_lorentzian_sol',
          to: 'reserve:low_frequency',
          amount: '30.00000000',
          reason: 'balance 200 ≥ 1.25 × 150',
          exchange: 'bitget',
        },
      ],
      alerts: [
        {
          severity: 'info',
          code: 'harvest',
          bot_id: '1h_lorentzian_sol',
          message: expect.stringContaining('harvest 30'),
        },
      ],
      refill_blocked: [],
      last_rebalance: null,
      bot_status: Object.fromEntries(
        config.bots.map((b) => [
          b.botId,
          { status: 'not_monitored', reason: 'no health source configured', last_seen: null },
        ]),
      ),
    });
  });

  it('writes amounts as 8-decimal strings and the peak as a number, through JSON', () => {
    const state = stateOf(config, {
      'bots.4h_swing_btc.balance': '30.12345678',
      peak_equity: '1234.5',
      'flags.halted': true,
      'reserves.emergency': 100,
    });
    const printed = JSON.parse(JSON.stringify(planToJson(plan(config, state), config)));
    expect(printed.mode).toBe('halted');
    expect(printed.flags).toEqual({ halted: true, black_swan: false });
    expect(printed.peak_equity).toBe(1234.5);
    expect(printed.transfers).toEqual([]); // halted: no refill
    expect(printed.alerts).toEqual([
      { severity: 'warning', code: 'pot_below_minimum', bot_id: null, message: expect.any(String) },
    ]);
  });

  it('gives every refill leg its own transfer with its exact amount', () => {
    const state = stateOf(config, {
      'bots.4h_swing_btc.balance': '30.00000001',
      'reserves.low_frequency': '50.5',
      'reserves.emergency': 300,
    });
    const json = planToJson(plan(config, state), config);
    expect(json.transfers.map((t) => [t.from, t.amount])).toEqual([
      ['reserve:low_frequency', '50.50000000'],
      ['reserve:emergency', '31.99999999'],
    ]);
  });
});

describe('examples/spec-state.json', () => {
  it("plans DESIGN.md's three worked examples at once: harvest 30, refill 82.5, harvest 16", () => {
    const config = specConfig();
    const file = JSON.parse(
      readFileSync(new URL('../../examples/spec-state.json', import.meta.url), 'utf8'),
    );
    const json = planToJson(plan(config, parseState(file, config)), config);
    expect(json.transfers.map((t) => `${t.kind} ${t.bot_id} ${t.amount}`)).toEqual([
      'harvest 1h_lorentzian_sol 30.00000000',
      'refill 4h_swing_btc 82.50000000',
      'harvest 5m_scalping_sol 16.00000000',
    ]);
    expect(json.peak_equity).toBe(1000);
  });
});
