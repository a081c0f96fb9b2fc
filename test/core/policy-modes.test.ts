/**
 * Mode flags (DESIGN.md §3): the emergency stop and black-swan protection, on the spec portfolio
 * (T = 1000, stop at 25% below the peak; black swan at R ≤ 0.6, over at R ≥ 0.8, 20% protected,
 * no_refill_policy). The fixture state has E = 1000 = peak and Σ C = 500 over the four bots.
 */
import { describe, expect, it } from 'vitest';
import { money, showMoney } from '../../functions/core/money.ts';
import { type Plan, plan } from '../../functions/core/policy.ts';
import { SPEC_BOTS, specConfig, stateOf } from './fixtures.ts';

const moves = (p: Plan) =>
  p.transfers.map((t) => `${t.kind} ${t.botId} ${t.from} → ${t.to} ${showMoney(t.amount)}`);
const codes = (p: Plan) => p.alerts.map((a) => `${a.code}${a.botId ? ` ${a.botId}` : ''}`);

const config = specConfig();
const planOn = (changes: Record<string, unknown>, c = config) => plan(c, stateOf(c, changes));

/** Balances of the four bots (capital bases 150, 150, 100, 100: Σ C = 500). */
const balances = (lorentzian: unknown, swing: unknown, scalping: unknown, momentum: unknown) => ({
  'bots.1h_lorentzian_sol.balance': lorentzian,
  'bots.4h_swing_btc.balance': swing,
  'bots.5m_scalping_sol.balance': scalping,
  'bots.15m_momentum_eth.balance': momentum,
});

describe('emergency stop (max_drawdown_percent 25)', () => {
  // The bots stay at their capital bases; the reserves carry the loss.
  it('halts when equity falls to exactly 75% of the peak: 750 of 1000', () => {
    const p = planOn({ 'reserves.low_frequency': 0, 'reserves.high_frequency': 50 });
    expect(p.equity).toBe(money(750));
    expect(p.flags).toEqual({ halted: true, blackSwan: false });
    expect(p.mode).toBe('halted');
    expect(p.alerts).toEqual([
      {
        severity: 'critical',
        code: 'halted',
        message: expect.stringContaining('equity 750 ≤ 0.75 × peak 1000'),
      },
    ]);
  });

  it('does not halt one unit above: 750.00000001', () => {
    const p = planOn({ 'reserves.low_frequency': '0.00000001', 'reserves.high_frequency': 50 });
    expect(p.flags.halted).toBe(false);
    expect(p.alerts).toEqual([]);
  });

  it('measures from the previous peak when it is higher: 900 ≤ 0.75 × 1200', () => {
    const at = planOn({ peak_equity: 1200, 'reserves.emergency': 100 });
    expect(at.equity).toBe(money(900));
    expect(at.flags.halted).toBe(true);
    expect(at.peakEquity).toBe(money(1200));
    const above = planOn({ peak_equity: '1199.99999999', 'reserves.emergency': 100 });
    expect(above.flags.halted).toBe(false);
  });

  it('stays halted when equity recovers, without alerting again: only an operator resumes', () => {
    const p = planOn({ 'flags.halted': true, 'bots.1h_lorentzian_sol.balance': 160 });
    expect(p.flags.halted).toBe(true);
    expect(p.alerts).toEqual([]);
  });

  it('never halts without an emergency_stop section', () => {
    const noStop = specConfig({ emergency_stop: undefined });
    const p = planOn({ 'reserves.low_frequency': 0, 'reserves.high_frequency': 0 }, noStop);
    expect(p.flags.halted).toBe(false);
  });

  it('refuses the refill and the allocation of the cycle it halts in, but harvests', () => {
    const p = planOn({
      ...balances(200, 30, 100, 100),
      'bots.15m_momentum_eth': undefined,
      peak_equity: 1300, // E = 200 + 30 + 100 + 500 reserves = 830 ≤ 975
    });
    expect(p.flags.halted).toBe(true);
    expect(moves(p)).toEqual([
      'harvest 1h_lorentzian_sol bot:1h_lorentzian_sol → reserve:low_frequency 30',
    ]);
  });
});

describe('black swan: entry at R ≤ 0.6', () => {
  // Σ B = 60 + 60 + 80 + 100 = 300 = 0.6 × 500; E = 800, not a 25% drawdown.
  const atThreshold = balances(60, 60, 80, 100);

  it('enters at exactly R = 0.6 and protects 20% of every funded balance in reserve:emergency', () => {
    const p = planOn(atThreshold);
    expect(p.mode).toBe('black_swan');
    expect(p.flags).toEqual({ halted: false, blackSwan: true });
    expect(moves(p)).toEqual([
      'protect 1h_lorentzian_sol bot:1h_lorentzian_sol → reserve:emergency 12',
      'protect 4h_swing_btc bot:4h_swing_btc → reserve:emergency 12',
      'protect 5m_scalping_sol bot:5m_scalping_sol → reserve:emergency 16',
      'protect 15m_momentum_eth bot:15m_momentum_eth → reserve:emergency 20',
    ]);
    expect(p.transfers[0]?.reason).toBe('black swan entered: 0.2 × balance 60 to safety');
    expect(codes(p)).toEqual([
      'black_swan_entered',
      'protect 1h_lorentzian_sol',
      'protect 4h_swing_btc',
      'protect 5m_scalping_sol',
      'protect 15m_momentum_eth',
    ]);
    expect(p.alerts[0]?.severity).toBe('critical');
    expect(p.alerts[0]?.message).toContain(
      'Σ balance 300 / Σ capital base 500 ≤ drawdown_threshold 0.6',
    );
  });

  it('does not enter one unit above: Σ B = 300.00000001', () => {
    const p = planOn(balances(60, 60, 80, '100.00000001'));
    expect(p.flags.blackSwan).toBe(false);
    expect(p.transfers).toEqual([]);
  });

  it('blocks the refills of every funded bot under no_refill_policy', () => {
    const p = planOn(atThreshold);
    expect(p.refillBlocks.map((c) => [c.botId, c.blocked])).toEqual([
      ['1h_lorentzian_sol', true],
      ['4h_swing_btc', true],
      ['5m_scalping_sol', true],
      ['15m_momentum_eth', true],
    ]);
  });

  it('blocks nothing when no_refill_policy is false', () => {
    const lenient = specConfig({ 'black_swan_protection.no_refill_policy': false });
    expect(planOn(atThreshold, lenient).refillBlocks).toEqual([]);
  });

  it('protects instead of harvesting, and does not refill, on the entry cycle', () => {
    // 200 + 10 + 40 + 50 = 300: the winner is protected (40), not harvested (30).
    const p = planOn(balances(200, 10, 40, 50));
    expect(moves(p)).toEqual([
      'protect 1h_lorentzian_sol bot:1h_lorentzian_sol → reserve:emergency 40',
      'protect 4h_swing_btc bot:4h_swing_btc → reserve:emergency 2',
      'protect 5m_scalping_sol bot:5m_scalping_sol → reserve:emergency 8',
      'protect 15m_momentum_eth bot:15m_momentum_eth → reserve:emergency 10',
    ]);
  });

  it('protects a bot that lost nothing yet but not a bot at zero, and blocks both', () => {
    const p = planOn(balances(0, 150, 100, 50)); // 300
    expect(p.transfers.map((t) => t.botId)).toEqual([
      '4h_swing_btc',
      '5m_scalping_sol',
      '15m_momentum_eth',
    ]);
    expect(p.refillBlocks.map((c) => c.botId)).toContain('1h_lorentzian_sol');
  });

  it("rounds protect amounts down to the exchange's precision and drops those below min_transfer", () => {
    const c = specConfig({ 'exchanges.bitget.precision': 0, 'exchanges.bitget.min_transfer': 13 });
    // 0.2 × 60.5 = 12.1 → 12 < 13: none; 0.2 × 79.5 = 15.9 → 15; 0.2 × 100 = 20.
    const p = planOn(balances('60.5', 60, '79.5', 100), c);
    expect(moves(p)).toEqual([
      'protect 5m_scalping_sol bot:5m_scalping_sol → reserve:emergency 15',
      'protect 15m_momentum_eth bot:15m_momentum_eth → reserve:emergency 20',
    ]);
    expect(p.transfers[0]?.reason).toBe(
      'black swan entered: 0.2 × balance 79.5 to safety; rounded down to 0 decimals',
    );
  });

  it('does not protect a bot with a transfer in flight, and names it in the entry alert', () => {
    const p = plan(config, stateOf(config, atThreshold), { inFlight: new Set(['4h_swing_btc']) });
    expect(p.transfers.map((t) => t.botId)).not.toContain('4h_swing_btc');
    expect(p.alerts[0]?.message).toMatch(
      /not protected, a transfer still in flight: 4h_swing_btc$/,
    );
    expect(p.refillBlocks.map((c) => c.botId)).toContain('4h_swing_btc');
  });

  it("protects a disabled bot's money too, though R counts only enabled bots", () => {
    // Enabled: 60 + 60 + 80 = 200 ≤ 0.6 × 400 = 240. The disabled bot is at its base (100).
    const c = specConfig({ 'bots[3].enabled': false });
    const p = planOn(balances(60, 60, 80, 100), c);
    expect(p.flags.blackSwan).toBe(true);
    expect(moves(p)).toContain(
      'protect 15m_momentum_eth bot:15m_momentum_eth → reserve:emergency 20',
    );
  });

  it('protects while halted too: protection moves money to safety', () => {
    const p = planOn({ ...atThreshold, 'flags.halted': true });
    expect(p.mode).toBe('black_swan');
    expect(p.transfers.map((t) => t.kind)).toEqual(['protect', 'protect', 'protect', 'protect']);
  });

  it('does not enter when protection is disabled or left out', () => {
    const off = specConfig({ 'black_swan_protection.enabled': false });
    expect(planOn(atThreshold, off).flags.blackSwan).toBe(false);
    const none = specConfig({ black_swan_protection: undefined });
    expect(planOn(atThreshold, none).flags.blackSwan).toBe(false);
  });
});

describe('black swan: the episode and its end at R ≥ 0.8', () => {
  it('does not protect again a bot protected this episode', () => {
    const p = planOn({
      ...balances(60, 60, 80, 100),
      'flags.black_swan': true,
      protected_this_episode: SPEC_BOTS,
    });
    expect(p.flags.blackSwan).toBe(true);
    expect(p.transfers).toEqual([]);
    expect(p.alerts).toEqual([]);
  });

  it('protects on a later cycle of the episode a bot whose protect has not completed', () => {
    // Prepare: the entry cycle's protects completed for three bots; 4h_swing_btc's was rejected
    const p = planOn({
      ...balances(60, 60, 80, 100),
      'flags.black_swan': true,
      protected_this_episode: ['1h_lorentzian_sol', '5m_scalping_sol', '15m_momentum_eth'],
    });
    // Assess: 0.2 × 60 from the one not yet protected, and nothing else
    expect(p.transfers.map((t) => [t.kind, t.botId, t.amount])).toEqual([
      ['protect', '4h_swing_btc', money(12)],
    ]);
    expect(p.transfers[0]?.reason).toMatch(/^black swan, not yet protected: /);
  });

  it('stays in black swan one unit below the resume threshold: Σ B = 399.99999999', () => {
    const p = planOn({ ...balances(150, 150, '99.99999999', 0), 'flags.black_swan': true });
    expect(p.flags.blackSwan).toBe(true);
  });

  it('ends at exactly R = 0.8 with an info alert: Σ B = 400', () => {
    const p = planOn({ ...balances(150, 150, 100, 0), 'flags.black_swan': true });
    expect(p.flags.blackSwan).toBe(false);
    expect(p.mode).toBe('normal');
    expect(p.alerts[0]).toEqual({
      severity: 'info',
      code: 'black_swan_exited',
      message:
        'black swan over: deployed ratio Σ balance 400 / Σ capital base 500 ≥ resume_threshold 0.8',
    });
  });

  it('ends an episode latched in the state even when protection was since disabled (u_t 0.8)', () => {
    const off = specConfig({ 'black_swan_protection.enabled': false });
    const stays = planOn({ ...balances(150, 150, 99, 0), 'flags.black_swan': true }, off);
    expect(stays.flags.blackSwan).toBe(true);
    const ends = planOn({ ...balances(150, 150, 100, 0), 'flags.black_swan': true }, off);
    expect(ends.flags.blackSwan).toBe(false);
  });

  it('plans no refill for a bot in a latched episode, even when not blocked', () => {
    const p = planOn({
      ...balances(30, 150, 100, 50),
      'flags.black_swan': true,
      protected_this_episode: SPEC_BOTS,
    });
    expect(p.transfers).toEqual([]);
  });
});

describe('refill blocks after the episode (no_refill_policy)', () => {
  const blocked = (balance: unknown) => ({
    'bots.4h_swing_btc.balance': balance,
    'bots.4h_swing_btc.refill_blocked': true,
  });

  it('lifts the block once the balance is back at exactly the capital base: 150 of 150', () => {
    const p = planOn(blocked(150));
    expect(p.refillBlocks).toEqual([
      { botId: '4h_swing_btc', blocked: false, reason: 'balance 150 back at its capital base 150' },
    ]);
  });

  it('keeps the block one unit below the capital base, and refuses the refill', () => {
    expect(planOn(blocked('149.99999999')).refillBlocks).toEqual([]);
    const crashed = planOn(blocked(30));
    expect(crashed.refillBlocks).toEqual([]);
    expect(crashed.transfers).toEqual([]);
  });

  it('keeps the block while the episode lasts, even at the capital base', () => {
    // Σ B = 150 + 150 + 50 + 40 = 390 < 400: the episode goes on.
    const p = planOn({ ...balances(150, 150, 50, 40), ...blocked(150), 'flags.black_swan': true });
    expect(p.flags.blackSwan).toBe(true);
    expect(p.refillBlocks).toEqual([]);
  });

  it('lifts blocks on the cycle the episode ends', () => {
    const p = planOn({ ...balances(150, 150, 100, 0), ...blocked(150), 'flags.black_swan': true });
    expect(p.flags.blackSwan).toBe(false);
    expect(p.refillBlocks.map((c) => [c.botId, c.blocked])).toEqual([['4h_swing_btc', false]]);
  });

  it('does not lift the block of a bot with a transfer in flight', () => {
    const state = stateOf(config, blocked(200));
    expect(plan(config, state, { inFlight: new Set(['4h_swing_btc']) }).refillBlocks).toEqual([]);
  });

  it('never refills a blocked bot by rebalancing into it either', () => {
    const c = specConfig({ 'allocation.strategy': 'equal_weight' });
    // Capital bases 200 / 100 in low_frequency: equal weight wants 150 / 150.
    const p = planOn(
      {
        'bots.1h_lorentzian_sol.capital_base': 200,
        'bots.1h_lorentzian_sol.balance': 200,
        'bots.4h_swing_btc.capital_base': 100,
        'bots.4h_swing_btc.balance': 90,
        'bots.4h_swing_btc.refill_blocked': true,
      },
      c,
    );
    expect(moves(p)).toEqual([
      'rebalance 1h_lorentzian_sol bot:1h_lorentzian_sol → reserve:low_frequency 50',
    ]);
  });
});
