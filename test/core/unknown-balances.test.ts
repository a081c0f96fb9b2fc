/**
 * Unknown is not zero (DESIGN.md §3): a bot whose balance the exchange did not give, or gave one
 * not to be believed, gets no decision; the mode flags and the peak change only on a complete
 * reading. Each test puts `null` (the state contract's "unknown") where a wrong reading would
 * have put a zero, and shows what a zero would have done.
 */
import { describe, expect, it } from 'vitest';
import { money } from '../../functions/core/money.ts';
import { plan, portfolioEquity } from '../../functions/core/policy.ts';
import { believed, known, unknown } from '../../functions/core/readings.ts';
import { initialState, stateToJson } from '../../functions/core/state.ts';
import { AS_OF, specConfig, stateOf } from './fixtures.ts';

const LF = '1h_lorentzian_sol';
const SWING = '4h_swing_btc';
const config = specConfig();

describe('a bot whose balance is unknown', () => {
  it('is not refilled, where a zero would have been', () => {
    // Prepare: the same bot, read as 0, and unknown
    const zero = stateOf(config, { [`bots.${LF}.balance`]: 0 });
    const unread = stateOf(config, { [`bots.${LF}.balance`]: null });
    // Act
    const onZero = plan(config, zero);
    const onUnknown = plan(config, unread, {
      unknownWhy: new Map([[LF, 'absent from the answer']]),
    });
    // Assess
    expect(onZero.transfers.map((t) => t.kind)).toEqual(['refill']);
    expect(onUnknown.transfers).toEqual([]);
  });

  it('is not harvested, protected or rebalanced either, and its history is not judged', () => {
    const black = specConfig();
    const unread = stateOf(black, {
      [`bots.${LF}.balance`]: null,
      'flags.black_swan': false,
      [`bots.${SWING}.balance`]: 150,
    });
    const p = plan(black, unread);
    expect(p.transfers.filter((t) => t.botId === LF)).toEqual([]);
    expect(p.alerts.filter((a) => a.botId === LF).map((a) => a.code)).toEqual(['balance_unknown']);
  });

  it('raises one balance_unknown warning that says why and shows the last known balance as stale', () => {
    const p = plan(config, stateOf(config, { [`bots.${LF}.balance`]: null }), {
      unknownWhy: new Map([[LF, 'absent from Bitget’s futures sub-account assets']]),
      lastKnown: new Map([[LF, money(150)]]),
    });
    expect(p.alerts).toEqual([
      {
        severity: 'warning',
        code: 'balance_unknown',
        botId: LF,
        message: `${LF}: balance unknown this cycle (absent from Bitget’s futures sub-account assets); last known 150 (stale, not used): no transfer for it, and the mode flags and peak stay as they are until every balance is known`,
      },
    ]);
  });

  it('is not allocated while unfunded, and says so', () => {
    // Prepare: a new portfolio, one bot's sub-account absent from the answer
    const opening = initialState(config, '2026-11-20T12:00:00.000Z');
    // Act
    const p = plan(config, opening, { unknownWhy: new Map([[LF, 'absent from the answer']]) });
    // Assess
    expect(p.transfers.map((t) => t.botId)).not.toContain(LF);
    expect(p.transfers.filter((t) => t.kind === 'allocation')).toHaveLength(3);
    expect(p.alerts.find((a) => a.botId === LF)?.message).toBe(
      `${LF}: balance unknown this cycle (absent from the answer): not funded yet, and no allocation until its sub-account's balance is known`,
    );
  });

  it('leaves the other bots managed as usual', () => {
    const p = plan(
      config,
      stateOf(config, { [`bots.${LF}.balance`]: null, [`bots.${SWING}.balance`]: 200 }),
    );
    expect(p.transfers.map((t) => [t.kind, t.botId])).toEqual([['harvest', SWING]]);
  });
});

describe('the mode flags and the peak on a partial reading', () => {
  it('do not halt nor enter black swan, where two bots read as zero would have', () => {
    // Prepare: emergency stop at 25% drawdown, black swan at R ≤ 0.6
    const zero = stateOf(config, { [`bots.${LF}.balance`]: 0, [`bots.${SWING}.balance`]: 0 });
    const unread = stateOf(config, {
      [`bots.${LF}.balance`]: null,
      [`bots.${SWING}.balance`]: null,
    });
    // Act
    const onZero = plan(config, zero);
    const onUnknown = plan(config, unread);
    // Assess
    expect(onZero.flags).toEqual({ halted: true, blackSwan: true });
    expect(onZero.transfers.some((t) => t.kind === 'protect')).toBe(true);
    expect(onUnknown.flags).toEqual({ halted: false, blackSwan: false });
    expect(onUnknown.transfers).toEqual([]);
  });

  it('keep latched flags as they are: a partial reading does not end black swan', () => {
    const latched = stateOf(config, {
      'flags.black_swan': true,
      [`bots.${LF}.balance`]: null,
      [`bots.${SWING}.balance`]: 150,
    });
    expect(plan(config, latched).flags).toEqual({ halted: false, blackSwan: true });
  });

  it('keep the peak: a partial reading cannot raise it, and the equity is not given', () => {
    const unread = stateOf(config, {
      peak_equity: 1000,
      [`bots.${LF}.balance`]: null,
      [`bots.${SWING}.balance`]: 900,
    });
    const p = plan(config, unread);
    expect(p.peakEquity).toBe(money(1000));
    expect(p.equity).toBeUndefined();
    expect(portfolioEquity(unread)).toBeUndefined();
  });
});

describe('readings not to be believed', () => {
  const last = { botId: LF, last: stateOf(config).bots.get(LF) };

  it('calls a balance beyond max_plausible_jump × what the bot last had unknown, naming the command that confirms it', () => {
    // Prepare: last known 150, capital base 150; default jump 10×
    const huge = believed(config, known(money('100000000000000000000')), last);
    const edge = believed(config, known(money(1500)), last);
    const above = believed(config, known(money('1500.00000001')), last);
    // Assess
    expect(huge.known).toBe(false);
    expect(edge).toEqual(known(money(1500)));
    expect(above).toEqual(
      unknown(
        `1500.00000001 is more than 10 × 150, what it last had (max_plausible_jump): not believed; if it is real: botfolio confirm-balance ${LF} --amount 1500.00000001 --reason "…"`,
      ),
    );
  });

  it('measures the jump from the capital base when the bot last had less (a drained bot can recover)', () => {
    const drained = stateOf(config, { [`bots.${LF}.balance`]: 0 }).bots.get(LF);
    expect(believed(config, known(money(300)), { botId: LF, last: drained })).toEqual(
      known(money(300)),
    );
  });

  it('takes max_plausible_jump from the config', () => {
    const strict = specConfig({ monitoring: { check_interval: '15m', max_plausible_jump: 2 } });
    expect(believed(strict, known(money(301)), last).known).toBe(false);
    expect(believed(strict, known(money(300)), last).known).toBe(true);
  });

  it('calls a negative balance unknown, also a first one (an adapter that let it through)', () => {
    expect(believed(config, known(money(-5)), last)).toEqual(
      unknown('-5 is negative: not believed'),
    );
    expect(
      believed(config, known(money('-0.00000001')), { botId: LF, last: undefined }).known,
    ).toBe(false);
  });

  it('passes an unknown reading and a first reading through as they are', () => {
    expect(believed(config, unknown('x'), last)).toEqual(unknown('x'));
    expect(believed(config, known(money(5000)), { botId: LF, last: undefined })).toEqual(
      known(money(5000)),
    );
  });

  it('believes the balance an operator confirmed, and what is plausible from it, nothing beyond', () => {
    // Prepare: last known 150; an operator confirmed 5000
    const confirmed = { balance: money(5000), at: AS_OF, reason: 'a deposit', by: 'ops' };
    const withConfirmation = { ...last, confirmed };
    // Act & Assess
    expect(believed(config, known(money(5000)), withConfirmation)).toEqual(known(money(5000)));
    expect(believed(config, known(money(50_000)), withConfirmation)).toEqual(known(money(50_000)));
    expect(believed(config, known(money('50000.01')), withConfirmation)).toEqual(
      unknown(
        `50000.01 is more than 10 × 5000, the balance an operator confirmed (max_plausible_jump): not believed; if it is real: botfolio confirm-balance ${LF} --amount 50000.01 --reason "…"`,
      ),
    );
  });
});

describe('the state contract', () => {
  it('writes an unknown balance as null and reads null back as unknown', () => {
    const unread = stateOf(config, { [`bots.${LF}.balance`]: null });
    expect(unread.bots.get(LF)?.balance).toBeNull();
    const json = stateToJson(unread) as { bots: Record<string, { balance: unknown }> };
    expect(json.bots[LF]?.balance).toBeNull();
  });
});
