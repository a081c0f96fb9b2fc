/**
 * Venues (DESIGN.md §5): each exchange holds its own money. The example portfolio
 * (examples/venues-portfolio.json) keeps low_frequency and the primary's emergency part on Bitget,
 * high_frequency and `reserve:emergency@binance` on Binance. Planned, guarded and validated here;
 * moved through both exchanges' real adapters in test/local/venues.test.ts.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { LedgerAccount } from '../../functions/core/accounts.ts';
import { type Config, ledgerAccounts, parseConfig } from '../../functions/core/config.ts';
import { type Money, money, sum } from '../../functions/core/money.ts';
import { plan } from '../../functions/core/policy.ts';
import { openingOf } from '../../functions/core/state.ts';
import { parseState } from '../../functions/core/state-file.ts';
import { plannedEntry } from '../../functions/core/transfer.ts';
import { entryFailures } from '../../functions/usecases/transfer-guards.ts';
import { type Json, problemsOf, specConfig, withPaths } from './fixtures.ts';

const FILE = new URL('../../examples/venues-portfolio.json', import.meta.url);
const venuesFile = (): Json => JSON.parse(readFileSync(FILE, 'utf8')) as Json;
const venues = (changes: Record<string, unknown> = {}): Config =>
  parseConfig(withPaths(venuesFile(), changes));
const refused = (changes: Record<string, unknown>) =>
  problemsOf(() => parseConfig(withPaths(venuesFile(), changes)));

/** The portfolio right after its four allocations, reserves as given. */
function funded(
  config: Config,
  reserves: Record<string, number | string>,
  bots: Json = {},
  peak = 1000,
) {
  return parseState(
    {
      as_of: '2026-12-03T12:00:00Z',
      peak_equity: peak,
      flags: { halted: false, black_swan: false },
      reserves,
      bots: {
        '1h_lorentzian_sol': { balance: 150, capital_base: 150 },
        '4h_swing_btc': { balance: 150, capital_base: 150 },
        '5m_scalping_sol': { balance: 100, capital_base: 100 },
        '15m_momentum_eth': { balance: 100, capital_base: 100 },
        ...bots,
      },
    },
    config,
  );
}

describe('the emergency reserve split across exchanges', () => {
  it('gives each exchange its part of the capital and of the minimum, exactly', () => {
    // Prepare: a third on Binance, of 200 and of a 100 minimum
    const config = venues({
      'emergency_reserve.minimum': 100,
      'emergency_reserve.split': { bitget: 2 / 3, binance: 1 / 3 },
    });
    // Act
    const parts = config.emergencyReserve.parts;
    // Assess: the primary's part first, keeping the plain name; the parts add up to the whole
    expect(parts.map((p) => [p.exchange, p.reserve])).toEqual([
      ['bitget', 'emergency'],
      ['binance', 'emergency@binance'],
    ]);
    expect(sum(parts.map((p) => p.capital))).toBe(config.emergencyReserve.capital);
    expect(sum(parts.map((p) => p.minimum))).toBe(config.emergencyReserve.minimum);
    expect(parts[1]?.capital).toBe(money('66.66666666'));
    expect(openingOf(config, '2026-12-03T12:00:00Z').reserves).toEqual(
      new Map<string, Money>([
        ['emergency', money('133.33333334')],
        ['emergency@binance', money('66.66666666')],
        ['low_frequency', money(500)],
        ['high_frequency', money(300)],
      ]),
    );
    expect(ledgerAccounts(config)).toContain('reserve:emergency@binance');
  });

  it('keeps a single-exchange portfolio exactly as it was: one part, its old name', () => {
    const config = specConfig();
    expect(config.emergencyReserve.parts).toEqual([
      {
        exchange: 'bitget',
        reserve: 'emergency',
        share: expect.anything(),
        capital: money(200),
        minimum: money(200),
      },
    ]);
    expect(ledgerAccounts(config).filter((a) => a.includes('emergency'))).toEqual([
      'reserve:emergency',
    ]);
  });
});

describe('money never moves between exchanges', () => {
  // 100 on each exchange's part, 50 of each above its minimum.
  const config = venues({ 'emergency_reserve.minimum': 100 });
  const reserves = {
    emergency: 100,
    'emergency@binance': 100,
    low_frequency: 200,
    high_frequency: 0,
  };

  it("refills a Binance bot from its pool's reserve, then Binance's emergency part — never Bitget's", () => {
    // Prepare: high_frequency is empty; Bitget's part holds as much as Binance's
    const state = funded(config, reserves, {
      '5m_scalping_sol': { balance: 20, capital_base: 100 },
    });
    // Act
    const p = plan(config, state);
    // Assess: 75 − 20 = 55 is needed; Binance's part gives 50 above its minimum, Bitget's nothing
    const refills = p.transfers.filter((t) => t.kind === 'refill');
    expect(refills.map((t) => [t.from, t.to, t.amount])).toEqual([
      ['reserve:emergency@binance', 'bot:5m_scalping_sol', money(50)],
    ]);
  });

  it("refills a Bitget bot from Bitget's part, with Binance's untouched", () => {
    const state = funded(
      config,
      { ...reserves, low_frequency: 0 },
      { '4h_swing_btc': { balance: 30, capital_base: 150 } },
      680, // no drawdown: the emergency stop stays out of it
    );
    const refills = plan(config, state).transfers.filter((t) => t.kind === 'refill');
    expect(refills.map((t) => t.from)).toEqual(['reserve:emergency']);
  });

  it("protects each bot to its own exchange's emergency part", () => {
    // Prepare: a crash, the deployed ratio far under drawdown_threshold 0.6
    const state = funded(config, reserves, {
      '1h_lorentzian_sol': { balance: 40, capital_base: 150 },
      '4h_swing_btc': { balance: 40, capital_base: 150 },
      '5m_scalping_sol': { balance: 30, capital_base: 100 },
      '15m_momentum_eth': { balance: 30, capital_base: 100 },
    });
    // Act
    const protects = plan(config, state).transfers.filter((t) => t.kind === 'protect');
    // Assess
    expect(Object.fromEntries(protects.map((t) => [t.botId, t.to]))).toEqual({
      '1h_lorentzian_sol': 'reserve:emergency',
      '4h_swing_btc': 'reserve:emergency',
      '5m_scalping_sol': 'reserve:emergency@binance',
      '15m_momentum_eth': 'reserve:emergency@binance',
    });
  });

  it('warns reserve_imbalance with what an operator could move by hand', () => {
    // Prepare: Binance's part 20 below its minimum 50, Bitget's 70 above its own
    const state = funded(config, { ...reserves, emergency: 120, 'emergency@binance': 30 });
    // Act
    const alerts = plan(config, state).alerts.filter((a) =>
      ['reserve_imbalance', 'pot_below_minimum'].includes(a.code),
    );
    // Assess
    expect(alerts.map((a) => [a.code, a.severity])).toEqual([
      ['pot_below_minimum', 'warning'],
      ['reserve_imbalance', 'warning'],
    ]);
    expect(alerts[1]?.message).toMatch(
      /reserve:emergency@binance on binance holds 30, 20 below its minimum 50, while reserve:emergency on bitget holds 70 above its own: 20 could be moved by hand from bitget to binance/,
    );
  });

  /** An entry of 10 for 5m_scalping_sol (on Binance), as if a plan or a changed config forged it. */
  const forged = (kind: 'refill' | 'protect', from: LedgerAccount, to: LedgerAccount) =>
    plannedEntry(
      { kind, botId: '5m_scalping_sol', from, to, amount: money(10), reason: 'forged', leg: 0 },
      { portfolioId: 'venues', cycleId: 'c1', exchange: 'binance', now: '2026-12-03T12:00:00Z' },
    );

  it("refuses at validate a refill of a Binance bot from Bitget's part, whatever planned it", () => {
    const entry = forged('refill', 'reserve:emergency', 'bot:5m_scalping_sol');
    expect(entryFailures(config, entry)).toContain(
      'reserve:emergency is on bitget and bot:5m_scalping_sol on binance: money never moves between exchanges',
    );
  });

  it("refuses a protect of a Binance bot to Bitget's part", () => {
    const entry = forged('protect', 'bot:5m_scalping_sol', 'reserve:emergency');
    expect(entryFailures(config, entry)).toContain(
      'a protect of 5m_scalping_sol goes to reserve:emergency@binance, not reserve:emergency',
    );
  });
});

describe('validation of venues', () => {
  it("refuses a bot whose exchange is not its pool's, saying what to change", () => {
    expect(refused({ 'bots[2].exchange': 'bitget', 'bots[2].account': '6712345680' })).toEqual([
      {
        path: 'bots[2].exchange',
        value: 'bitget',
        message: expect.stringMatching(
          /^pool "high_frequency" is on binance \(pools.high_frequency.exchange\): a bot's exchange is its pool's/,
        ),
      },
    ]);
  });

  it('refuses a split that does not sum to 1, and one naming an exchange not configured', () => {
    expect(refused({ 'emergency_reserve.split': { bitget: 0.5, binance: 0.4 } })).toEqual([
      {
        path: 'emergency_reserve.split',
        value: { bitget: 0.5, binance: 0.4 },
        message: 'the shares must sum to 1 (they sum to 0.9)',
      },
    ]);
    expect(refused({ 'emergency_reserve.split': { bitget: 0.5, okx: 0.5 } })).toEqual([
      {
        path: 'emergency_reserve.split.okx',
        value: 'okx',
        message: 'not a configured exchange (exchanges: bitget, binance)',
      },
    ]);
  });

  it('asks for exactly one primary among several exchanges', () => {
    expect(refused({ 'exchanges.bitget.primary': undefined })).toEqual([
      {
        path: 'exchanges',
        value: ['bitget', 'binance'],
        message: expect.stringMatching(/^several exchanges and none marked "primary": true/),
      },
    ]);
    expect(refused({ 'exchanges.binance.primary': true })).toEqual([
      {
        path: 'exchanges.binance.primary',
        value: true,
        message: 'exchanges.bitget is marked primary too: exactly one exchange is primary',
      },
    ]);
  });

  it('refuses a pool on an exchange the config does not list', () => {
    expect(refused({ 'pools.high_frequency.exchange': 'okx' })).toContainEqual({
      path: 'pools.high_frequency.exchange',
      value: 'okx',
      message: 'unknown exchange (exchanges: bitget, binance)',
    });
  });
});
