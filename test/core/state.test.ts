import { describe, expect, it } from 'vitest';
import { money } from '../../functions/core/money.ts';
import { initialState, stateToJson } from '../../functions/core/state.ts';
import { parseState } from '../../functions/core/state-file.ts';
import { AS_OF, problemsOf, specConfig, stateFile, stateOf, withPaths } from './fixtures.ts';

const config = specConfig();
const refused = (changes: Record<string, unknown>) =>
  problemsOf(() => parseState(withPaths(stateFile(), changes), config));

describe('portfolio state', () => {
  it('reads a state in the contract form, with the bookkeeping fields defaulted', () => {
    const state = stateOf(config, { 'bots.1h_lorentzian_sol.balance': '200.5' });
    expect(state.peakEquity).toBe(money(1000));
    expect(state.reserves.get('high_frequency')).toBe(money(100));
    expect(state.bots.get('1h_lorentzian_sol')).toEqual({
      balance: money('200.5'),
      capitalBase: money(150),
      contributed: money(150),
      harvested: 0n,
      protected: 0n,
      refills: 0,
      refillBlocked: false,
      inFlight: false,
    });
  });

  it('starts with every pool’s capital in its reserve and no bot funded', () => {
    const state = initialState(config, AS_OF);
    expect(Object.fromEntries(state.reserves)).toEqual({
      emergency: money(200),
      low_frequency: money(500),
      high_frequency: money(300),
    });
    expect(state.bots.size).toBe(0);
    expect(state.peakEquity).toBe(money(1000));
  });

  it('round-trips through its JSON form', () => {
    const state = stateOf(config, { 'bots.4h_swing_btc.balance': '30.12345678' });
    expect(parseState(stateToJson(state), config)).toEqual(state);
  });
});

describe('state validation names the path', () => {
  it('refuses a negative balance', () => {
    expect(refused({ 'bots.4h_swing_btc.balance': -5 })).toEqual([
      { path: 'bots.4h_swing_btc.balance', value: -5, message: 'expected an amount ≥ 0' },
    ]);
  });

  it('refuses a balance that is not a number', () => {
    expect(refused({ 'bots.4h_swing_btc.balance': 'lots' })).toEqual([
      {
        path: 'bots.4h_swing_btc.balance',
        value: 'lots',
        message: expect.stringMatching(/expected an amount/),
      },
    ]);
    expect(refused({ 'bots.4h_swing_btc.balance': true })).toEqual([
      { path: 'bots.4h_swing_btc.balance', value: true, message: 'expected number or string' },
    ]);
  });

  it('refuses a bot the config does not know', () => {
    expect(refused({ 'bots.ghost': { balance: 1, capital_base: 1 } })).toEqual([
      { path: 'bots.ghost', message: 'bot not in the config' },
    ]);
  });

  it('refuses a state without a balance for every reserve', () => {
    expect(refused({ 'reserves.high_frequency': undefined })).toEqual([
      { path: 'reserves.high_frequency', message: 'required: every reserve needs a balance' },
    ]);
  });

  it('refuses a reserve the config does not know', () => {
    expect(refused({ 'reserves.mid_frequency': 10 })).toEqual([
      {
        path: 'reserves.mid_frequency',
        value: 10,
        message: expect.stringMatching(/unknown reserve/),
      },
    ]);
  });

  it('refuses a peak equity that is not an amount rather than reading it as zero', () => {
    expect(refused({ peak_equity: 'high' })).toEqual([
      { path: 'peak_equity', value: 'high', message: expect.stringMatching(/expected an amount/) },
    ]);
  });

  it('refuses an unknown key with its path', () => {
    expect(refused({ 'bots.4h_swing_btc.refils': 1 })).toEqual([
      { path: 'bots.4h_swing_btc.refils', value: 1, message: 'unknown key (a typo?)' },
    ]);
  });

  it('lists schema problems and problems against the config together', () => {
    expect(
      refused({
        last_rebalance: 'yesterday',
        'bots.4h_swing_btc.refills': -1,
        'bots.1h_lorentzian_sol.balance': 'abc',
        'bots.ghost': { balance: 1, capital_base: 1 },
        'reserves.emergency': -5,
      }),
    ).toEqual([
      {
        path: 'bots.4h_swing_btc.refills',
        value: -1,
        message: expect.stringMatching(/>=0|≥ ?0/),
      },
      {
        path: 'last_rebalance',
        value: 'yesterday',
        message: 'expected an ISO date-time such as "2026-11-20T12:00:00Z"',
      },
      { path: 'reserves.emergency', value: -5, message: 'expected an amount ≥ 0' },
      {
        path: 'bots.1h_lorentzian_sol.balance',
        value: 'abc',
        message: expect.stringMatching(/expected an amount/),
      },
      { path: 'bots.ghost', message: 'bot not in the config' },
    ]);
  });
});

describe('last_rebalance (an extension of the state contract)', () => {
  it('is absent until the strategy first runs, and round-trips through JSON', () => {
    expect(stateOf(config).lastRebalance).toBeUndefined();
    expect(stateToJson(stateOf(config))).not.toHaveProperty('last_rebalance');
    const state = stateOf(config, { last_rebalance: '2026-11-19T12:00:00Z' });
    expect(state.lastRebalance).toBe('2026-11-19T12:00:00Z');
    expect(parseState(stateToJson(state), config)).toEqual(state);
  });
});
