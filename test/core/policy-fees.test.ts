/**
 * `transfer_fee` as a planning input (DESIGN.md §4: "a transfer whose fee exceeds what it protects
 * is not worth making"): a transfer toward a bot's risk is planned only when what arrives, amount
 * less fee, is still min_transfer; one toward safety whatever the fee, unless it takes all.
 */
import { describe, expect, it } from 'vitest';
import { type Money, money, ratio, showMoney } from '../../functions/core/money.ts';
import { planToJson } from '../../functions/core/plan-json.ts';
import { type Plan, plan } from '../../functions/core/policy.ts';
import { notWorthItsFee } from '../../functions/core/policy-amounts.ts';
import { initialState } from '../../functions/core/state.ts';
import { specConfig, stateOf } from './fixtures.ts';

const LORENTZIAN = '1h_lorentzian_sol';
const moves = (p: Plan) => p.transfers.map((t) => `${t.kind} ${t.botId} ${showMoney(t.amount)}`);
const feeWarnings = (p: Plan) => p.alerts.filter((a) => a.code === 'transfer_not_worth_fee');

/** The spec portfolio with this fee and minimum on bitget. */
const withFee = (fee: number, min: number) =>
  specConfig({ 'exchanges.bitget.transfer_fee': fee, 'exchanges.bitget.min_transfer': min });

const limits = (fee: number | undefined, min: Money) => ({
  minTransfer: min,
  maxTransfer: money(500),
  precision: 8,
  transferFee: fee === undefined ? undefined : ratio(fee),
});

describe('notWorthItsFee', () => {
  it.each([
    ['no fee configured', undefined, 1, false, undefined],
    ['toward risk, what arrives is min_transfer', 0.5, 20, false, undefined],
    [
      'toward risk, less than min_transfer arrives',
      0.5,
      19.99,
      false,
      'not worth its fee: transfer_fee 0.5 × 19.99 = 9.995 leaves 9.995, less than min_transfer 10',
    ],
    ['toward safety, little arrives', 0.999, 19.99, true, undefined],
    [
      'toward safety, the fee takes all',
      1,
      19.99,
      true,
      'not worth its fee: transfer_fee 1 × 19.99 = 19.99 takes all of it',
    ],
  ] as const)('%s', (_what, fee, amount, towardSafety, expected) => {
    expect(notWorthItsFee(money(amount), limits(fee, money(10)), towardSafety)).toBe(expected);
  });
});

describe('planning with transfer_fee', () => {
  it('refills when what arrives is still worth a transfer: fee 0.001 on 82.5', () => {
    // Prepare: C 150, B 30 → a refill of 82.5
    const config = withFee(0.001, 50);
    // Act
    const p = plan(config, stateOf(config, { [`bots.${LORENTZIAN}.balance`]: 30 }));
    // Assess
    expect(moves(p)).toEqual([`refill ${LORENTZIAN} 82.5`]);
    expect(feeWarnings(p)).toEqual([]);
  });

  it('plans no refill whose fee leaves less than min_transfer, and says why', () => {
    // Prepare: fee 0.5 on 82.5 leaves 41.25, below min_transfer 50
    const config = withFee(0.5, 50);
    // Act
    const p = plan(config, stateOf(config, { [`bots.${LORENTZIAN}.balance`]: 30 }));
    // Assess
    expect(moves(p)).toEqual([]);
    expect(feeWarnings(p)).toEqual([
      {
        severity: 'warning',
        code: 'transfer_not_worth_fee',
        botId: LORENTZIAN,
        message: `${LORENTZIAN}: no refill of 82.5, not worth its fee: transfer_fee 0.5 × 82.5 = 41.25 leaves 41.25, less than min_transfer 50`,
      },
    ]);
    expect(planToJson(p, config).alerts).toContainEqual(
      expect.objectContaining({ code: 'transfer_not_worth_fee', bot_id: LORENTZIAN }),
    );
  });

  it('funds no bot whose allocation is not worth its fee, and keeps the reserve for the others', () => {
    // Prepare: fee 0.9 leaves 15 of a 150 allocation and 10 of a 100 one; min_transfer 12
    const config = withFee(0.9, 12);
    // Act
    const p = plan(config, initialState(config, '2026-11-20T12:00:00Z'));
    // Assess: the low-frequency bots are funded, the high-frequency ones are not
    expect(moves(p)).toEqual([`allocation ${LORENTZIAN} 150`, 'allocation 4h_swing_btc 150']);
    expect(feeWarnings(p).map((a) => a.botId)).toEqual(['5m_scalping_sol', '15m_momentum_eth']);
  });

  it('harvests whatever the fee short of all of it: money at risk goes to safety', () => {
    // Prepare: C 150, B 200 → a harvest of 30; fee 0.9 leaves 3, below min_transfer 20
    const config = withFee(0.9, 20);
    const state = stateOf(config, { [`bots.${LORENTZIAN}.balance`]: 200 });
    // Act
    const costly = plan(config, state);
    const allOfIt = plan(
      withFee(1, 20),
      stateOf(withFee(1, 20), { [`bots.${LORENTZIAN}.balance`]: 200 }),
    );
    // Assess
    expect(moves(costly)).toEqual([`harvest ${LORENTZIAN} 30`]);
    expect(moves(allOfIt)).toEqual([]);
    expect(feeWarnings(allOfIt)[0]?.message).toMatch(/no harvest of 30, not worth its fee/);
  });

  it('protects in black swan whatever the fee short of all of it', () => {
    // Prepare: R = 300 / 500 = 0.6; protects of 12, 12, 16, 20 with fee 0.9 and min_transfer 10
    const config = withFee(0.9, 10);
    const state = stateOf(config, {
      [`bots.${LORENTZIAN}.balance`]: 60,
      'bots.4h_swing_btc.balance': 60,
      'bots.5m_scalping_sol.balance': 80,
      'bots.15m_momentum_eth.balance': 100,
    });
    // Act
    const p = plan(config, state);
    // Assess
    expect(p.transfers.map((t) => t.kind)).toEqual(['protect', 'protect', 'protect', 'protect']);
    expect(feeWarnings(p)).toEqual([]);
  });
});
