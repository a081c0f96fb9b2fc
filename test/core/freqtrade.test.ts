/** Freqtrade backtest results as equity curves (core/freqtrade.ts). */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  FreqtradeResultsError,
  freqtradeCurves,
  parseFreqtradeResults,
} from '../../functions/core/freqtrade.ts';

const FIXTURE = new URL(
  '../fixtures/freqtrade/backtest-result-2026-01-03_00-00-00.json',
  import.meta.url,
);
const results = () => JSON.parse(readFileSync(FIXTURE, 'utf8'));
const SIX_HOURS = 6 * 3_600_000;
const target = (botIds: string[], stepMs = SIX_HOURS) => ({ botIds, currency: 'USDT', stepMs });
const u = (x: number) => Math.round(x * 1e8);

describe('Freqtrade results as curves', () => {
  it('gives each strategy starting_balance plus the profit_abs of the trades closed by each step', () => {
    // Prepare
    const strategies = parseFreqtradeResults(results());
    // Act
    const curves = freqtradeCurves(strategies, target(['SwingBtc', 'LorentzianSol']));
    // Assess: 6-hour steps from backtest_start_ts to backtest_end_ts; a close on a step counts.
    expect(curves.times).toEqual([
      '2026-01-01T00:00:00Z',
      '2026-01-01T06:00:00Z',
      '2026-01-01T12:00:00Z',
      '2026-01-01T18:00:00Z',
      '2026-01-02T00:00:00Z',
      '2026-01-02T06:00:00Z',
      '2026-01-02T12:00:00Z',
      '2026-01-02T18:00:00Z',
      '2026-01-03T00:00:00Z',
    ]);
    expect([...(curves.values.get('LorentzianSol') ?? [])]).toEqual(
      [
        1000, 1009.25, 1009.25, 1009.25, 1049.37345678, 1049.37345678, 1049.37345678, 949.37345678,
        949.37345678,
      ].map(u),
    );
    expect([...(curves.values.get('SwingBtc') ?? [])]).toEqual(
      [1000, 1000, 1005, 1005, 1012.5, 1012.5, 1012.5, 1012.5, 1010].map(u),
    );
  });

  it('maps strategies to bots in config order when none is named after a bot', () => {
    const curves = freqtradeCurves(parseFreqtradeResults(results()), target(['sol', 'btc']));
    expect(curves.values.get('sol')?.[1]).toBe(u(1009.25));
    expect(curves.values.get('btc')?.[2]).toBe(u(1005));
  });

  it('refuses a mix of strategies named after bots and not', () => {
    const strategies = parseFreqtradeResults(results());
    expect(() => freqtradeCurves(strategies, target(['LorentzianSol', 'other']))).toThrow(
      'strategies SwingBtc are not bot ids of the config (the others are)',
    );
  });

  it('refuses strategies in order when their count is not the bots’', () => {
    const strategies = parseFreqtradeResults(results());
    expect(() => freqtradeCurves(strategies, target(['a', 'b', 'c']))).toThrow(
      '2 strategies for 3 bots of the config',
    );
  });

  it('refuses a strategy in another currency than the config’s', () => {
    const json = results();
    json.strategy.SwingBtc.stake_currency = 'BTC';
    expect(() =>
      freqtradeCurves(parseFreqtradeResults(json), target(['LorentzianSol', 'SwingBtc'])),
    ).toThrow("strategy SwingBtc trades in BTC, the config's currency is USDT");
  });

  it('refuses a curve that falls below zero', () => {
    const json = results();
    json.strategy.SwingBtc.trades[2].profit_abs = -2000;
    expect(() =>
      freqtradeCurves(parseFreqtradeResults(json), target(['LorentzianSol', 'SwingBtc'])),
    ).toThrow('strategy SwingBtc falls below 0 by 2026-01-03T00:00:00Z');
  });

  it.each([
    [{}, 'no strategy results'],
    [{ strategy: {} }, 'no strategy results'],
    [{ strategy: { S: { trades: [] } } }, 'strategy S has no starting_balance'],
    [{ strategy: { S: { starting_balance: 10 } } }, 'strategy S has no trades list'],
    [
      { strategy: { S: { starting_balance: 10, trades: [{ profit_abs: 1, close_date: 'x' }] } } },
      'trade 1 of strategy S has no close_date',
    ],
    [
      {
        strategy: {
          S: { starting_balance: 10, trades: [{ profit_abs: 1, close_timestamp: 1 }, {}, {}] },
        },
      },
      'trade 2 of strategy S has no close_date',
    ],
    [
      { strategy: { S: { starting_balance: 10, trades: [{ close_timestamp: 1 }] } } },
      'trade 1 of strategy S has no profit_abs',
    ],
  ])('refuses %j: %s', (json, message) => {
    expect(() => parseFreqtradeResults(json)).toThrow(FreqtradeResultsError);
    expect(() => parseFreqtradeResults(json)).toThrow(message);
  });
});
