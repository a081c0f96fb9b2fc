/**
 * Exposure on the board and in `status --json` (DESIGN.md §11): the cycle reads each booked bot's
 * position (here the paper exchange's simulated leverage), stores it with the bot's health, and
 * `status` shows the exposure against its limit, partial with the unknown bots named, each
 * pool's correlation, and `risk` in JSON; the cycle warns over the limits.
 */
import { stripVTControlCharacters } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import type { PoolCorrelation } from '../../functions/core/correlation.ts';
import { type PositionReading, riskOf } from '../../functions/core/exposure.ts';
import { money, ratio } from '../../functions/core/money.ts';
import { type BoardInput, renderBoard } from '../../functions/local/board.ts';
import { readsOf, statusBoard, statusJson } from '../../functions/local/commands/status.ts';
import { SPEC_BOTS, specConfig, stateOf } from '../core/fixtures.ts';
import { cycleAt, type TestRuntime, testRuntime } from '../helpers/runtime.ts';

const config = specConfig({ risk: { max_total_exposure: 2, max_bot_leverage: 5 } });
const state = stateOf(config);
const input = (extra: Partial<BoardInput> = {}): BoardInput => ({
  config,
  state,
  cycleId: '20261120T1200Z-15m',
  mode: 'normal',
  equity: money(1000),
  peakEquity: money(1000),
  lastAction: new Map(),
  ...extra,
});
const positions = (...n: (number | undefined)[]) =>
  new Map<string, PositionReading>(
    SPEC_BOTS.map((id, i) => {
      const v = n[i];
      return [
        id,
        v === undefined
          ? { known: false, reason: 'unreadable' }
          : { known: true, notional: money(v), source: 'test' },
      ];
    }),
  );
const pool = (name: string, average: number | undefined): PoolCorrelation => ({
  pool: name,
  bots: [],
  average,
  pairs: 1,
  knownPairs: average === undefined ? 0 : 1,
  minDays: average === undefined ? undefined : 9,
  perBot: new Map(),
});

describe('the board’s risk lines', () => {
  it('shows the exposure against its limit, and each pool’s correlation where known', () => {
    const text = stripVTControlCharacters(
      renderBoard(
        input({
          risk: riskOf(state, positions(150, 150, 100, 100)),
          correlations: [pool('low_frequency', 0.4231), pool('high_frequency', undefined)],
        }),
      ),
    );
    expect(text).toContain(
      'Exposure 0.50× equity (limit 2×) · Σ notional 500.00 USDT, 4 of 4 bots known',
    );
    expect(text).toContain(
      'Correlation low_frequency 0.42 (1 of 1 pairs) · high_frequency unknown',
    );
  });

  it('says a partial exposure is a lower bound and names the unknown bot; flags what is over', () => {
    const text = stripVTControlCharacters(
      renderBoard(input({ risk: riskOf(state, positions(1500, 150, undefined, 600)) })),
    );
    expect(text).toContain('Exposure ≥ 2.25× equity ABOVE LIMIT (limit 2×)');
    expect(text).toContain('3 of 4 bots known · partial: unknown 5m_scalping_sol');
    expect(text).toContain('Leverage above 5×: 1h_lorentzian_sol 10.00×, 15m_momentum_eth 6.00×');
  });

  it('says plainly when no bot’s position is readable, instead of a lower bound of 0', () => {
    const text = stripVTControlCharacters(renderBoard(input({ risk: riskOf(state, positions()) })));
    expect(text).toContain(
      "Exposure unknown: no bot's positions are readable (0 of 4 known) (limit 2×)\n",
    );
    expect(text).not.toContain('0.00×');
  });
});

describe('exposure through a cycle and `status`', () => {
  let rt: TestRuntime | undefined;
  afterEach(async () => {
    await rt?.close();
    rt = undefined;
  });

  it('reads the positions, stores them, and gives status --json `risk`; warns over the limits', async () => {
    // Prepare: the first three bots carry 3×, 1× and 8×; the fourth's position is not simulated
    rt = await testRuntime({ config });
    const accounts = config.bots.map((b) => b.account);
    for (const [i, lev] of ['3', '1', '8'].entries())
      rt.exchange.setSubAccountLeverage(accounts[i] ?? '', ratio(lev));
    await rt.cycle(cycleAt(0)); // allocations
    rt.alerts.length = 0;
    // Act
    const result = await rt.cycle(cycleAt(1));
    const books = await rt.store.portfolio.load(config.portfolioId);
    if (!books) throw new Error('no books');
    const board = await statusBoard(config, readsOf(rt.store), books);
    const json = statusJson(books, board) as { risk: Record<string, unknown> };
    // Assess: 450 + 150 + 800 on 1000, the fourth bot unknown (never 0)
    expect(json.risk).toMatchObject({
      as_of: cycleAt(1).toISOString(),
      exposure: {
        ratio: '1.400000',
        known_bots: 3,
        unknown_bots: 1,
        limit: '2',
        partial: true,
        unknown: { '15m_momentum_eth': 'the paper exchange simulates no position for it' },
      },
      bot_leverage_limit: '5',
      bots: {
        '1h_lorentzian_sol': { notional: '450.00000000', leverage: '3.000000' },
        '4h_swing_btc': { notional: '150.00000000', leverage: '1.000000' },
        '5m_scalping_sol': { notional: '800.00000000', leverage: '8.000000' },
        '15m_momentum_eth': 'unknown',
      },
    });
    expect(result.plan.alerts.filter((a) => a.code === 'exposure_high')).toEqual([]);
    expect(rt.alerts.filter((a) => a.code === 'bot_leverage_high').map((a) => a.botId)).toEqual([
      '5m_scalping_sol',
    ]);
    // Over the total too: the fourth bot at 10× adds 1000.
    rt.exchange.setSubAccountLeverage(accounts[3] ?? '', ratio(10));
    rt.alerts.length = 0;
    await rt.cycle(cycleAt(2));
    expect(rt.alerts.map((a) => a.code).sort()).toEqual(['bot_leverage_high', 'exposure_high']);
  });
});
