import { describe, expect, it } from 'vitest';
import type { EquitySample } from '../../functions/core/analytics.ts';
import type { Config } from '../../functions/core/config.ts';
import { type Money, money, showMoney } from '../../functions/core/money.ts';
import { modeOf, type Plan, plan, portfolioEquity } from '../../functions/core/policy.ts';
import { initialState, type PortfolioState } from '../../functions/core/state.ts';
import { AS_OF, SPEC_BOTS, specConfig, stateOf } from './fixtures.ts';

/** A transfer as a test states it: kind, bot, from → to, amount as text. */
const moves = (p: Plan) =>
  p.transfers.map((t) => `${t.kind} ${t.botId} ${t.from} → ${t.to} ${showMoney(t.amount)}`);
const codes = (p: Plan) => p.alerts.map((a) => `${a.code}${a.botId ? ` ${a.botId}` : ''}`);
const warnings = (p: Plan) => p.alerts.filter((a) => a.severity !== 'info');

/**
 * The spec portfolio without its emergency stop and black-swan protection: for states whose
 * reserves or balances are a drawdown of more than 25% (or a deployed ratio ≤ 0.6) while the test
 * is about something else. Modes are tested in policy-modes.test.ts.
 */
const noModes = () => specConfig({ emergency_stop: undefined, black_swan_protection: undefined });

/** The spec portfolio with one bot's numbers changed (the others at their capital base). */
function planFor(
  bot: Record<string, unknown>,
  opts: { config?: Config; state?: Record<string, unknown>; id?: string } = {},
): Plan {
  const config = opts.config ?? specConfig();
  const id = opts.id ?? '1h_lorentzian_sol';
  const changes = Object.fromEntries(Object.entries(bot).map(([k, v]) => [`bots.${id}.${k}`, v]));
  return plan(config, stateOf(config, { ...changes, ...opts.state }));
}

describe("DESIGN.md's worked examples", () => {
  it('harvests 60% of the excess above the capital base: C 150, B 200, low_frequency → 30', () => {
    const p = planFor({ balance: 200 });
    expect(moves(p)).toEqual([
      'harvest 1h_lorentzian_sol bot:1h_lorentzian_sol → reserve:low_frequency 30',
    ]);
    expect(p.transfers[0]?.reason).toBe('balance 200 ≥ 1.25 × 150');
    expect(codes(p)).toEqual(['harvest 1h_lorentzian_sol']);
  });

  it('harvests 80% for high_frequency: C 100, B 120 → 16', () => {
    const p = planFor({ balance: 120 }, { id: '5m_scalping_sol' });
    expect(moves(p)).toEqual([
      'harvest 5m_scalping_sol bot:5m_scalping_sol → reserve:high_frequency 16',
    ]);
    expect(p.transfers[0]?.reason).toBe('balance 120 ≥ 1.15 × 100');
  });

  it('refills to 75% of the capital base from the pool reserve: C 150, B 30 → 82.5', () => {
    const p = planFor({ balance: 30 });
    expect(moves(p)).toEqual([
      'refill 1h_lorentzian_sol reserve:low_frequency → bot:1h_lorentzian_sol 82.5',
    ]);
    expect(p.transfers[0]?.leg).toBe(0);
    expect(p.transfers[0]?.reason).toBe('balance 30 ≤ 0.25 × 150, refill to 0.75 × 150 = 112.5');
    expect(codes(p)).toEqual(['refill 1h_lorentzian_sol']);
  });

  it('allocates the four spec bots from the initial state: 150 + 150 from LF, 100 + 100 from HF', () => {
    const config = specConfig();
    const p = plan(config, initialState(config, AS_OF));
    expect(moves(p)).toEqual([
      'allocation 1h_lorentzian_sol reserve:low_frequency → bot:1h_lorentzian_sol 150',
      'allocation 4h_swing_btc reserve:low_frequency → bot:4h_swing_btc 150',
      'allocation 5m_scalping_sol reserve:high_frequency → bot:5m_scalping_sol 100',
      'allocation 15m_momentum_eth reserve:high_frequency → bot:15m_momentum_eth 100',
    ]);
    expect(codes(p)).toEqual([
      'allocation 1h_lorentzian_sol',
      'allocation 4h_swing_btc',
      'allocation 5m_scalping_sol',
      'allocation 15m_momentum_eth',
    ]);
    expect(p.mode).toBe('normal');
    expect(p.peakEquity).toBe(money(1000));
  });
});

describe('mode, flags and peak equity', () => {
  it('counts every bot balance and every reserve in the equity', () => {
    const config = specConfig();
    expect(portfolioEquity(stateOf(config, { 'bots.4h_swing_btc.balance': 30 }))).toBe(money(880));
  });

  it('raises the peak to the equity, and keeps a higher previous peak', () => {
    expect(planFor({ balance: 160 }).peakEquity).toBe(money(1010));
    expect(planFor({ balance: 160 }, { state: { peak_equity: 1200 } }).peakEquity).toBe(
      money(1200),
    );
  });

  it('takes the mode from the flags: black swan before halted', () => {
    expect(modeOf({ halted: false, blackSwan: false })).toBe('normal');
    expect(modeOf({ halted: true, blackSwan: false })).toBe('halted');
    expect(modeOf({ halted: true, blackSwan: true })).toBe('black_swan');
    const p = planFor({}, { state: { 'flags.halted': true } });
    expect(p.mode).toBe('halted');
    expect(p.flags).toEqual({ halted: true, blackSwan: false });
  });
});

describe('harvest', () => {
  it('harvests at exactly h_t × C: 187.5 = 1.25 × 150 → 22.5', () => {
    expect(moves(planFor({ balance: '187.5' }))).toEqual([
      'harvest 1h_lorentzian_sol bot:1h_lorentzian_sol → reserve:low_frequency 22.5',
    ]);
  });

  it('does not harvest one unit below the threshold', () => {
    const p = planFor({ balance: '187.49999999' });
    expect(p.transfers).toEqual([]);
    expect(p.alerts).toEqual([]);
  });

  it('does not harvest a bot in compound mode (harvested + B ≥ 2 × contributed)', () => {
    // 100 + 200 = 300 = 2 × 150: compounds.
    const p = planFor({ balance: 200, harvested: 100 });
    expect(p.transfers).toEqual([]);
  });

  it('harvests one unit below the compound threshold', () => {
    expect(moves(planFor({ balance: 200, harvested: '99.99999999' }))).toEqual([
      'harvest 1h_lorentzian_sol bot:1h_lorentzian_sol → reserve:low_frequency 30',
    ]);
  });

  it('harvests a bot with nothing contributed instead of calling it compounding', () => {
    const p = planFor({ balance: 200, contributed: 0 });
    expect(moves(p)).toEqual([
      'harvest 1h_lorentzian_sol bot:1h_lorentzian_sol → reserve:low_frequency 30',
    ]);
  });

  it('harvests without compound mode when compound_threshold is left out', () => {
    const config = specConfig({ compound_threshold: undefined });
    expect(planFor({ balance: 200, harvested: 1000 }, { config }).transfers).toHaveLength(1);
  });

  it('caps the amount at max_transfer and says so in the reason', () => {
    // Allocations fit one transfer (the config refuses more); the bot's capital base stays 150.
    const config = specConfig({
      'exchanges.bitget.max_transfer': 20,
      'bots[0].allocation': 20,
      'bots[1].allocation': 20,
      'bots[2].allocation': 20,
      'bots[3].allocation': 20,
    });
    const p = planFor({ balance: 200 }, { config });
    expect(moves(p)).toEqual([
      'harvest 1h_lorentzian_sol bot:1h_lorentzian_sol → reserve:low_frequency 20',
    ]);
    expect(p.transfers[0]?.reason).toBe('balance 200 ≥ 1.25 × 150; capped at max_transfer 20');
  });

  it("rounds the amount down to the exchange's precision", () => {
    // 0.6 × (199.99 − 150) = 29.994
    const whole = specConfig({ 'exchanges.bitget.precision': 0 });
    expect(moves(planFor({ balance: '199.99' }, { config: whole }))).toEqual([
      'harvest 1h_lorentzian_sol bot:1h_lorentzian_sol → reserve:low_frequency 29',
    ]);
    const cents = specConfig({ 'exchanges.bitget.precision': 2 });
    const p = planFor({ balance: '199.99' }, { config: cents });
    expect(p.transfers[0]?.amount).toBe(money('29.99'));
    expect(p.transfers[0]?.reason).toMatch(/rounded down to 2 decimals$/);
  });

  it('plans nothing below min_transfer', () => {
    const config = specConfig({ 'exchanges.bitget.min_transfer': 31 });
    expect(planFor({ balance: 200 }, { config }).transfers).toEqual([]);
  });
});

describe('refill', () => {
  it('refills at exactly i_t × C: 37.5 = 0.25 × 150 → 75', () => {
    expect(moves(planFor({ balance: '37.5' }))).toEqual([
      'refill 1h_lorentzian_sol reserve:low_frequency → bot:1h_lorentzian_sol 75',
    ]);
  });

  it('does not refill one unit above the intervention threshold', () => {
    expect(planFor({ balance: '37.50000001' }).transfers).toEqual([]);
  });

  it('takes the rest from the emergency reserve when the pool reserve runs short', () => {
    const p = planFor(
      { balance: 30 },
      { state: { 'reserves.low_frequency': 50, 'reserves.emergency': 250 } },
    );
    expect(moves(p)).toEqual([
      'refill 1h_lorentzian_sol reserve:low_frequency → bot:1h_lorentzian_sol 50',
      'refill 1h_lorentzian_sol reserve:emergency → bot:1h_lorentzian_sol 32.5',
    ]);
    expect(p.transfers.map((t) => t.leg)).toEqual([0, 1]);
    expect(p.transfers[1]?.reason).toMatch(/; part 2 of 2: 32\.5 of 82\.5$/);
    expect(codes(p)).toEqual(['refill 1h_lorentzian_sol']);
  });

  it('never takes the emergency reserve below its minimum: funds what it can and warns', () => {
    const p = planFor(
      { balance: 30 },
      { config: noModes(), state: { 'reserves.low_frequency': 50, 'reserves.emergency': 210 } },
    );
    expect(moves(p)).toEqual([
      'refill 1h_lorentzian_sol reserve:low_frequency → bot:1h_lorentzian_sol 50',
      'refill 1h_lorentzian_sol reserve:emergency → bot:1h_lorentzian_sol 10',
    ]);
    expect(codes(p)).toEqual(['refill 1h_lorentzian_sol', 'refill_unfunded 1h_lorentzian_sol']);
  });

  it('skips a pool reserve holding less than min_transfer: the emergency leg is leg 0', () => {
    const p = planFor(
      { balance: 30 },
      { state: { 'reserves.low_frequency': '0.5', 'reserves.emergency': 300 } },
    );
    expect(moves(p)).toEqual([
      'refill 1h_lorentzian_sol reserve:emergency → bot:1h_lorentzian_sol 82.5',
    ]);
    expect(p.transfers[0]?.leg).toBe(0);
  });

  it('plans no refill and warns when less than min_transfer can be funded', () => {
    const p = planFor(
      { balance: 30 },
      {
        config: noModes(),
        state: { 'reserves.low_frequency': '0.5', 'reserves.emergency': '200.5' },
      },
    );
    expect(p.transfers).toEqual([]);
    expect(codes(p)).toEqual(['refill_unfunded 1h_lorentzian_sol']);
    expect(warnings(p)[0]?.severity).toBe('warning');
  });

  it('warns instead of refilling a bot that had max_refills refills', () => {
    const p = planFor({ balance: 30, refills: 2 });
    expect(p.transfers).toEqual([]);
    expect(codes(p)).toEqual(['refill_limit_reached 1h_lorentzian_sol']);
  });

  it('refills a bot with one refill left', () => {
    expect(planFor({ balance: 30, refills: 1 }).transfers).toHaveLength(1);
  });

  it('does not refill a refill-blocked bot', () => {
    const p = planFor({ balance: 30, refill_blocked: true });
    expect(p.transfers).toEqual([]);
    expect(p.alerts).toEqual([]);
  });

  it('does not refill when loss recovery is off or left out', () => {
    const off = specConfig({ 'loss_recovery.enabled': false });
    expect(planFor({ balance: 30 }, { config: off }).transfers).toEqual([]);
    const none = specConfig({ loss_recovery: undefined });
    expect(planFor({ balance: 30 }, { config: none }).transfers).toEqual([]);
  });

  it('caps the refill at max_transfer', () => {
    // Allocations fit one transfer (the config refuses more); the bot's capital base stays 150.
    const config = specConfig({
      'exchanges.bitget.max_transfer': 40,
      'bots[0].allocation': 40,
      'bots[1].allocation': 40,
      'bots[2].allocation': 40,
      'bots[3].allocation': 40,
    });
    const p = planFor({ balance: 30 }, { config });
    expect(moves(p)).toEqual([
      'refill 1h_lorentzian_sol reserve:low_frequency → bot:1h_lorentzian_sol 40',
    ]);
    expect(p.transfers[0]?.reason).toMatch(/; capped at max_transfer 40$/);
  });

  it('refills a bot that lost everything', () => {
    expect(moves(planFor({ balance: 0 }))).toEqual([
      'refill 1h_lorentzian_sol reserve:low_frequency → bot:1h_lorentzian_sol 112.5',
    ]);
  });
});

describe('one plan, one set of books', () => {
  it('does not spend a pool reserve twice: a later refill sees what an earlier one took', () => {
    const p = plan(
      noModes(),
      stateOf(noModes(), {
        'bots.1h_lorentzian_sol.balance': 30,
        'bots.4h_swing_btc.balance': 30,
        'reserves.low_frequency': 100,
        'reserves.emergency': 250,
      }),
    );
    expect(moves(p)).toEqual([
      'refill 1h_lorentzian_sol reserve:low_frequency → bot:1h_lorentzian_sol 82.5',
      'refill 4h_swing_btc reserve:low_frequency → bot:4h_swing_btc 17.5',
      'refill 4h_swing_btc reserve:emergency → bot:4h_swing_btc 50',
    ]);
  });

  it('does not count a harvest planned into a reserve as money that reserve can give', () => {
    const p = plan(
      specConfig(),
      stateOf(specConfig(), {
        'bots.1h_lorentzian_sol.balance': 200, // harvests 30 into reserve:low_frequency
        'bots.4h_swing_btc.balance': 30, // needs 82.5
        'reserves.low_frequency': 60,
        'reserves.emergency': 200,
      }),
    );
    expect(moves(p)).toEqual([
      'harvest 1h_lorentzian_sol bot:1h_lorentzian_sol → reserve:low_frequency 30',
      'refill 4h_swing_btc reserve:low_frequency → bot:4h_swing_btc 60',
    ]);
  });

  it('allocates a bot only when the reserve, less earlier allocations, holds all of it', () => {
    const config = noModes();
    const start = initialState(config, AS_OF);
    const state: PortfolioState = {
      ...start,
      reserves: new Map([...start.reserves, ['low_frequency', money(250)]]),
    };
    const p = plan(config, state);
    expect(moves(p).filter((m) => m.includes('low_frequency'))).toEqual([
      'allocation 1h_lorentzian_sol reserve:low_frequency → bot:1h_lorentzian_sol 150',
    ]);
    expect(warnings(p)).toEqual([
      {
        severity: 'warning',
        code: 'allocation_unfunded',
        botId: '4h_swing_btc',
        message: expect.stringMatching(
          /allocation of 150 .* reserve:low_frequency can give \(100\)/,
        ),
      },
    ]);
  });

  it('alerts when the emergency reserve is below its minimum', () => {
    const p = planFor({}, { state: { 'reserves.emergency': '199.99999999' } });
    expect(p.alerts).toEqual([
      {
        severity: 'warning',
        code: 'pot_below_minimum',
        message:
          'reserve:emergency holds 199.99999999, below its minimum 200: refills cannot draw on it',
      },
    ]);
    expect(planFor({}, { state: { 'reserves.emergency': 200 } }).alerts).toEqual([]);
  });
});

describe('bots left alone', () => {
  const config = specConfig();
  const crashed = stateOf(config, { 'bots.1h_lorentzian_sol.balance': 30 });

  it('leaves a bot with a transfer in flight untouched', () => {
    expect(plan(config, crashed, { inFlight: new Set(['1h_lorentzian_sol']) }).transfers).toEqual(
      [],
    );
    const marked = stateOf(config, {
      'bots.1h_lorentzian_sol.balance': 200,
      'bots.1h_lorentzian_sol.in_flight': true,
    });
    expect(plan(config, marked).transfers).toEqual([]);
  });

  it('does not allocate a bot whose allocation is in flight', () => {
    const p = plan(config, initialState(config, AS_OF), { inFlight: new Set(['4h_swing_btc']) });
    expect(p.transfers.map((t) => t.botId)).not.toContain('4h_swing_btc');
    expect(p.transfers).toHaveLength(3);
  });

  it('leaves a disabled bot untouched, funded or not', () => {
    const disabled = specConfig({ 'bots[0].enabled': false });
    expect(
      plan(disabled, stateOf(disabled, { 'bots.1h_lorentzian_sol.balance': 30 })).transfers,
    ).toEqual([]);
    const fresh = plan(disabled, initialState(disabled, AS_OF));
    expect(fresh.transfers.map((t) => t.botId)).not.toContain('1h_lorentzian_sol');
  });

  it('makes no decision for a bot between its thresholds', () => {
    const p = planFor({ balance: 100 });
    expect(p.transfers).toEqual([]);
    expect(p.alerts).toEqual([]);
  });
});

describe('halted and black swan', () => {
  const config = specConfig();
  const busy = (flags: Record<string, unknown>, c: Config = config) => {
    const state = stateOf(c, {
      'bots.1h_lorentzian_sol.balance': 200, // would harvest
      'bots.4h_swing_btc.balance': 30, // would refill
      'bots.5m_scalping_sol.balance': 60, // deployed ratio 290 / 400 = 0.725: black swan holds
      'bots.15m_momentum_eth': undefined, // would be allocated
      'reserves.high_frequency': 190,
      ...flags,
    });
    return plan(c, state);
  };

  it('plans every decision in normal mode', () => {
    expect(busy({}).transfers.map((t) => t.kind)).toEqual(['harvest', 'refill', 'allocation']);
  });

  it('plans no allocation or refill when halted, but still harvests', () => {
    const p = busy({ 'flags.halted': true });
    expect(p.mode).toBe('halted');
    expect(moves(p)).toEqual([
      'harvest 1h_lorentzian_sol bot:1h_lorentzian_sol → reserve:low_frequency 30',
    ]);
    expect(codes(p)).toEqual(['harvest 1h_lorentzian_sol']);
  });

  it('plans no allocation in black swan, nor a refill under no_refill_policy', () => {
    const p = busy({ 'flags.black_swan': true, protected_this_episode: SPEC_BOTS });
    expect(p.mode).toBe('black_swan');
    expect(p.transfers.map((t) => t.kind)).toEqual(['harvest']);
  });

  it('refills in black swan when no_refill_policy is false', () => {
    const lenient = specConfig({ 'black_swan_protection.no_refill_policy': false });
    expect(
      busy({ 'flags.black_swan': true, protected_this_episode: SPEC_BOTS }, lenient).transfers.map(
        (t) => t.kind,
      ),
    ).toEqual(['harvest', 'refill']);
  });

  it('does not refill in black swan while also halted', () => {
    const lenient = specConfig({ 'black_swan_protection.no_refill_policy': false });
    const p = busy(
      { 'flags.black_swan': true, 'flags.halted': true, protected_this_episode: SPEC_BOTS },
      lenient,
    );
    expect(p.transfers.map((t) => t.kind)).toEqual(['harvest']);
  });

  it('does not refill in black swan when the config has no black-swan section', () => {
    const none = specConfig({ black_swan_protection: undefined });
    expect(busy({ 'flags.black_swan': true }, none).transfers.map((t) => t.kind)).toEqual([
      'harvest',
    ]);
  });
});

describe('purity', () => {
  it('does not change the state it plans from', () => {
    const config = specConfig();
    const state = stateOf(config, { 'bots.4h_swing_btc.balance': 30 });
    const before = new Map<string, Money>(state.reserves);
    plan(config, state);
    expect(state.reserves).toEqual(before);
  });
});

describe('alerts from a bot’s own history', () => {
  const config = specConfig();
  /** 21 cycle samples of 1h_lorentzian_sol before AS_OF, at 150 with returns of ±0.1%. */
  const calm = (): Map<string, EquitySample[]> => {
    const samples = Array.from({ length: 21 }, (_, i) => ({
      at: new Date(Date.parse(AS_OF) - (21 - i) * 15 * 60_000).toISOString(),
      balance: money(i % 2 === 0 ? '150' : '150.15'),
      netContributed: money(150),
    }));
    return new Map([['1h_lorentzian_sol', samples]]);
  };

  it('warns of an unusual loss: 142.5 after a calm 150 is −5%, far outside ±0.1%', () => {
    const state = stateOf(config, { 'bots.1h_lorentzian_sol.balance': '142.5' });
    const p = plan(config, state, { history: calm() });
    expect(p.alerts).toEqual([
      {
        severity: 'warning',
        code: 'unusual_loss',
        botId: '1h_lorentzian_sol',
        message: expect.stringMatching(
          /^1h_lorentzian_sol lost 5\.00% this cycle: \d+\.\d standard deviations below its mean/,
        ),
      },
    ]);
  });

  it('says nothing without history, or for a bot with a transfer in flight', () => {
    const state = stateOf(config, { 'bots.1h_lorentzian_sol.balance': '142.5' });
    expect(plan(config, state).alerts).toEqual([]);
    const busy = plan(config, state, {
      history: calm(),
      inFlight: new Set(['1h_lorentzian_sol']),
    });
    expect(busy.alerts).toEqual([]);
  });

  it('warns once when performance degrades: the last 24 cycles lose after 24 that gained', () => {
    // 48 cycles of +1% then 12 of −1%, by flows on a constant balance; the state's cycle is the 13th loss.
    const returns = [...Array(48).fill(0.01), ...Array(12).fill(-0.01)];
    let net = 150;
    const samples: EquitySample[] = [];
    for (let j = returns.length; j >= 0; j--) {
      samples.unshift({
        at: new Date(Date.parse(AS_OF) - (returns.length - j + 1) * 15 * 60_000).toISOString(),
        balance: money(150),
        netContributed: money(net.toFixed(8)),
      });
      net += 150 * (returns[j - 1] ?? 0);
    }
    const state = stateOf(config, { 'bots.1h_lorentzian_sol.contributed': 150 + 1.5 });
    const p = plan(config, state, { history: new Map([['1h_lorentzian_sol', samples]]) });
    expect(p.alerts.map((a) => `${a.severity} ${a.code} ${a.botId}`)).toEqual([
      'warning performance_degraded 1h_lorentzian_sol',
    ]);
  });
});
