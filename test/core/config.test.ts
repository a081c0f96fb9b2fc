import { describe, expect, it } from 'vitest';
import { ledgerAccounts, parseConfig } from '../../functions/core/config.ts';
import { money, ratio } from '../../functions/core/money.ts';
import { formatProblem } from '../../functions/core/problems.ts';
import { problemsOf, specConfig, specFile, withPaths } from './fixtures.ts';

/** The problems of the spec's config with some values changed. */
const refused = (changes: Record<string, unknown>) =>
  problemsOf(() => parseConfig(withPaths(specFile(), changes)));

describe('the spec portfolio', () => {
  const config = specConfig();

  it('splits 1000 into the emergency reserve and two pools as DESIGN.md says', () => {
    expect(config.totalCapital).toBe(money(1000));
    expect(config.emergencyReserve.capital).toBe(money(200));
    expect(config.emergencyReserve.minimum).toBe(money(200));
    const lf = config.pools.get('low_frequency');
    const hf = config.pools.get('high_frequency');
    expect(lf?.capital).toBe(money(500));
    expect(lf?.deployable).toBe(money(300));
    expect(hf?.capital).toBe(money(300));
    expect(hf?.deployable).toBe(money(210));
  });

  it('reads thresholds as exact ratios', () => {
    const lf = config.pools.get('low_frequency');
    expect(lf?.harvestThreshold).toEqual(ratio(1.25));
    expect(lf?.harvestPercentage).toEqual(ratio(0.6));
    expect(config.lossRecovery?.interventionThreshold).toEqual(ratio(0.25));
    expect(config.compoundThreshold).toEqual(ratio(2));
  });

  it("gives a bot without an allocation its pool's allocation_per_bot", () => {
    expect(config.bots.map((b) => [b.botId, b.allocation])).toEqual([
      ['1h_lorentzian_sol', money(150)],
      ['4h_swing_btc', money(150)],
      ['5m_scalping_sol', money(100)],
      ['15m_momentum_eth', money(100)],
    ]);
  });

  it('names every ledger account of the portfolio', () => {
    expect(ledgerAccounts(config)).toEqual([
      'reserve:emergency',
      'reserve:low_frequency',
      'reserve:high_frequency',
      'bot:1h_lorentzian_sol',
      'bot:4h_swing_btc',
      'bot:5m_scalping_sol',
      'bot:15m_momentum_eth',
    ]);
  });

  it('turns off the features it leaves out, and defaults the rest', () => {
    const c = specConfig({
      loss_recovery: undefined,
      black_swan_protection: undefined,
      emergency_stop: undefined,
      compound_threshold: undefined,
      allocation: undefined,
      monitoring: undefined,
      alerts: undefined,
    });
    expect(c.lossRecovery).toBeUndefined();
    expect(c.blackSwan).toBeUndefined();
    expect(c.emergencyStop).toBeUndefined();
    expect(c.compoundThreshold).toBeUndefined();
    expect(c.allocation.strategy).toBe('fixed');
    expect(c.checkIntervalMs).toBe(15 * 60_000);
    expect(c.alertCooldownMs).toBe(60 * 60_000);
    expect(c.freshReadMaxAgeMs).toBe(60_000);
    expect(c.exchanges.get('bitget')?.precision).toBe(8);
  });

  it('reads monitoring.fresh_read_max_age as a duration', () => {
    const c = specConfig({ monitoring: { check_interval: '15m', fresh_read_max_age: '90s' } });
    expect(c.freshReadMaxAgeMs).toBe(90_000);
  });
});

describe('validation names the path and the bad value', () => {
  it('refuses shares that do not sum to 1', () => {
    const [p, ...rest] = refused({ 'pools.low_frequency.share': 0.6 });
    expect(rest).toEqual([]);
    expect(p?.path).toBe('pools');
    expect(p?.value).toEqual({ emergency_reserve: 0.2, low_frequency: 0.6, high_frequency: 0.3 });
    expect(p?.message).toMatch(/sum to 1 \(they sum to 1\.1\)/);
  });

  it('refuses a bot in an unknown pool', () => {
    expect(refused({ 'bots[2].pool': 'mid_frequency' })).toContainEqual({
      path: 'bots[2].pool',
      value: 'mid_frequency',
      message: expect.stringMatching(/unknown pool/),
    });
  });

  it('refuses a pool whose bots are allocated more than its deployable capital', () => {
    const problems = refused({ 'bots[1].allocation': 151 });
    expect(problems).toEqual([
      {
        path: 'pools.low_frequency',
        value: '301',
        message: expect.stringMatching(/over-allocated.*301.*deployable capital 300/),
      },
    ]);
  });

  it('allows a pool allocated exactly its deployable capital', () => {
    expect(() => specConfig({ 'bots[1].allocation': 150 })).not.toThrow();
  });

  it('refuses a percentage outside [0, 1]', () => {
    expect(refused({ 'pools.high_frequency.harvest_percentage': 1.5 })).toContainEqual({
      path: 'pools.high_frequency.harvest_percentage',
      value: 1.5,
      message: 'expected a number in [0, 1]',
    });
    expect(refused({ 'loss_recovery.refill_target': -0.1 })).toContainEqual(
      expect.objectContaining({ path: 'loss_recovery.refill_target', value: -0.1 }),
    );
  });

  it('compares a ratio with its range exactly, not through a float', () => {
    // As a float this is 1; as written it is above 1.
    expect(
      refused({ 'pools.high_frequency.harvest_percentage': '1.0000000000000001' }),
    ).toContainEqual(expect.objectContaining({ path: 'pools.high_frequency.harvest_percentage' }));
  });

  it('refuses an unknown key (a typo) at its own path, with its value', () => {
    const problems = refused({
      'pools.low_frequency.harvest_treshold': 1.3,
      'pools.low_frequency.harvest_threshold': undefined,
    });
    expect(problems).toContainEqual({
      path: 'pools.low_frequency.harvest_treshold',
      value: 1.3,
      message: 'unknown key (a typo?)',
    });
    expect(problems).toContainEqual(
      expect.objectContaining({
        path: 'pools.low_frequency.harvest_threshold',
        message: expect.stringMatching(/^required/),
      }),
    );
  });

  it('refuses an amount that is not a number', () => {
    expect(refused({ total_capital: 'a thousand' })).toContainEqual({
      path: 'total_capital',
      value: 'a thousand',
      message: expect.stringMatching(/expected an amount/),
    });
    expect(refused({ 'exchanges.bitget.min_transfer': '1.000000001' })).toContainEqual({
      path: 'exchanges.bitget.min_transfer',
      value: '1.000000001',
      message: expect.stringMatching(/more than 8 decimals/),
    });
  });

  it('refuses a duplicate bot id', () => {
    expect(refused({ 'bots[3].bot_id': '5m_scalping_sol' })).toContainEqual({
      path: 'bots[3].bot_id',
      value: '5m_scalping_sol',
      message: 'duplicate of bots[2].bot_id',
    });
  });

  it('refuses a bot with no allocation when its pool has no allocation_per_bot', () => {
    expect(refused({ 'pools.high_frequency.allocation_per_bot': undefined })).toEqual([
      { path: 'bots[2].allocation', message: expect.stringMatching(/^required/) },
      { path: 'bots[3].allocation', message: expect.stringMatching(/^required/) },
    ]);
  });

  it('refuses an exchange without an adapter', () => {
    const kraken = { min_transfer: 1, max_transfer: 500, daily_transfer_limit: 2000 };
    expect(refused({ 'exchanges.kraken': kraken, 'exchanges.bitget.primary': true })).toEqual([
      {
        path: 'exchanges.kraken',
        value: 'kraken',
        message: expect.stringMatching(
          /not supported yet \(supported: bitget, binance, okx, bybit, paper\)/,
        ),
      },
    ]);
  });

  it('refuses a bot on an exchange the config does not list, even a name every object has', () => {
    expect(refused({ 'bots[0].exchange': 'toString' })).toContainEqual({
      path: 'bots[0].exchange',
      value: 'toString',
      message: expect.stringMatching(/unknown exchange/),
    });
  });

  it.each([
    ['a Binance bot named by UID', 'binance', '6712345678', /the sub-account’s email/],
    ['a Bybit bot named by email', 'bybit', 'bot@example.com', /numeric UID/],
    ['a Bitget bot named by email', 'bitget', 'bot@example.com', /numeric UID/],
  ])('refuses %s: its exchange would never list it', (_, exchange, account, message) => {
    const spec = specFile() as { exchanges: Record<string, unknown> };
    expect(
      refused({
        [`exchanges.${exchange}`]: spec.exchanges.bitget,
        'bots[0].exchange': exchange,
        'bots[0].account': account,
      }),
    ).toContainEqual({
      path: 'bots[0].account',
      value: account,
      message: expect.stringMatching(message),
    });
  });

  it('accepts a Binance bot named by email and an OKX bot by name', () => {
    const spec = specFile() as { exchanges: Record<string, unknown> };
    expect(() =>
      parseConfig(
        withPaths(specFile(), {
          exchanges: {
            binance: { ...(spec.exchanges.bitget as object), primary: true },
            okx: spec.exchanges.bitget,
          },
          'pools.high_frequency.exchange': 'okx',
          'bots[0].exchange': 'binance',
          'bots[0].account': 'bot0_virtual@example.com',
          'bots[1].exchange': 'binance',
          'bots[1].account': 'bot1_virtual@example.com',
          'bots[2].exchange': 'okx',
          'bots[2].account': 'botScalpSol',
          'bots[3].exchange': 'okx',
          'bots[3].account': 'botMomentumEth',
        }),
      ),
    ).not.toThrow();
  });

  it('refuses a pool named like the emergency reserve', () => {
    const file = withPaths(specFile(), {
      'pools.emergency': {
        share: 0,
        reserve_ratio: 0,
        harvest_threshold: 2,
        harvest_percentage: 0,
      },
    });
    expect(problemsOf(() => parseConfig(file))).toContainEqual(
      expect.objectContaining({ path: 'pools.emergency', value: 'emergency' }),
    );
  });

  it('refuses an allocation the exchange could never move', () => {
    expect(
      refused({ 'exchanges.bitget.min_transfer': 120, 'exchanges.bitget.precision': 2 }),
    ).toContainEqual({
      path: 'pools.high_frequency.allocation_per_bot',
      value: '100',
      message: expect.stringMatching(/below exchanges\.bitget\.min_transfer 120/),
    });
  });

  it('refuses a refill target at or below the intervention threshold', () => {
    expect(refused({ 'loss_recovery.refill_target': 0.25 })).toEqual([
      {
        path: 'loss_recovery.refill_target',
        value: 0.25,
        message: expect.stringMatching(/above intervention_threshold 0\.25/),
      },
    ]);
  });

  it('says what it expected of a missing or mistyped value', () => {
    const problems = refused({
      total_capital: undefined,
      'bots[0].enabled': 'yes',
      'pools.low_frequency.margin_mode': 'both',
    });
    expect(problems).toEqual([
      { path: 'total_capital', message: 'required: expected number or string' },
      {
        path: 'pools.low_frequency.margin_mode',
        value: 'both',
        message: 'expected one of "cross"|"isolated"',
      },
      { path: 'bots[0].enabled', value: 'yes', message: 'expected boolean' },
    ]);
  });

  it('reports semantic problems together with schema problems', () => {
    const problems = refused({
      'pools.low_frequency.share': 0.6, // share sum
      'bots[0].pool': 'nowhere', // unknown pool
      'bots[2].allocation': 200, // over-allocates high_frequency
      'exchanges.bitget.max_transfre': 500, // schema: unknown key
      currency: 'usdt', // schema: bad format
    });
    expect(problems.map((p) => p.path).sort()).toEqual(
      [
        'currency',
        'exchanges.bitget.max_transfre',
        'pools',
        'bots[0].pool',
        'pools.high_frequency',
      ].sort(),
    );
  });

  it('checks shares and allocations of a pool even when another of its fields is bad', () => {
    const problems = refused({
      'pools.high_frequency.harvest_percentage': 1.2, // schema: outside [0, 1]
      'pools.high_frequency.share': 0.4, // share sum 1.1
      'bots[2].allocation': 300, // over-allocates high_frequency (280 deployable)
    });
    expect(problems.map((p) => [p.path, p.value])).toEqual([
      ['pools.high_frequency.harvest_percentage', 1.2],
      ['pools', { emergency_reserve: 0.2, low_frequency: 0.5, high_frequency: 0.4 }],
      ['pools.high_frequency', '400'],
    ]);
  });

  it('formats each problem as path, message and the value it got', () => {
    const [p] = refused({ 'bots[2].pool': 'mid_frequency' });
    expect(p && formatProblem(p)).toMatch(
      /^ {2}bots\[2\]\.pool: unknown pool .* \(got "mid_frequency"\)$/,
    );
  });
});
