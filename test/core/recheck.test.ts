/**
 * The re-check of a transfer's rule at validate (DESIGN.md §4, "Still true when it runs"), as
 * tables: the rule that planned it, applied again to the bot as it is now, keeps the amount,
 * shrinks it, or refuses the transfer — and never grows it. No store, no exchange
 * (test/usecases/transfer-recheck.test.ts runs it through the workflow).
 */
import { describe, expect, it } from 'vitest';
import type { Config } from '../../functions/core/config.ts';
import { type Money, money } from '../../functions/core/money.ts';
import {
  needsBalance,
  type OtherLeg,
  otherLegIds,
  type RecheckInput,
  recheck,
  youngReading,
} from '../../functions/core/recheck.ts';
import type { Flags } from '../../functions/core/state.ts';
import { type TransferKind, transferId } from '../../functions/core/transfer.ts';
import { specConfig } from './fixtures.ts';

const BOT = '1h_lorentzian_sol'; // low_frequency: harvest 1.25 / 60%, capital base 150
const NORMAL: Flags = { halted: false, blackSwan: false };

type Ledger = NonNullable<RecheckInput['ledger']>;
const ledger = (changes: Partial<Ledger> = {}): Ledger => ({
  capitalBase: money(150),
  contributed: money(150),
  harvested: money(0),
  refills: 0,
  refillBlocked: false,
  ...changes,
});

/** The re-check of a `kind` of `amount` planned for BOT, on `balance` (the cycle's, unless fresh). */
function check(
  kind: TransferKind,
  amount: number,
  opts: {
    balance?: number;
    fresh?: boolean;
    ledger?: Ledger | undefined;
    flags?: Flags;
    leg?: number;
    otherLegs?: OtherLeg[];
    config?: Config;
  } = {},
) {
  const intoBot = kind === 'allocation' || kind === 'refill';
  return recheck(opts.config ?? specConfig(), {
    entry: {
      kind,
      leg: opts.leg ?? 0,
      amount: money(amount),
      botId: BOT,
      exchange: 'bitget',
      to: intoBot ? `bot:${BOT}` : 'reserve:low_frequency',
    },
    ledger: 'ledger' in opts ? opts.ledger : ledger(),
    balance:
      opts.balance === undefined
        ? undefined
        : { balance: money(opts.balance), fresh: opts.fresh ?? false },
    flags: opts.flags ?? NORMAL,
    otherLegs: opts.otherLegs ?? [],
  });
}

const ok = (amount: number) => expect.objectContaining({ ok: true, amount: money(amount) });
const refused = (why: RegExp) => ({ ok: false, why: expect.stringMatching(why) });
const leg = (n: number, status: OtherLeg['status'], amount: number, ledgerApplied = false) => ({
  leg: n,
  status,
  amount: money(amount),
  ledgerApplied,
});

describe('a harvest (planned 30 at balance 200, capital base 150: 1.25 × 150 = 187.5 is its trigger)', () => {
  it.each([
    ['still 200: the planned 30', { balance: 200 }, ok(30)],
    ['dropped to 195: shrinks to 60% of the 45 above its base, 27', { balance: 195 }, ok(27)],
    ['at its trigger, 187.5: still due, 22.5', { balance: 187.5 }, ok(22.5)],
    ['rose to 280: never grows past the planned 30', { balance: 280 }, ok(30)],
    [
      'fell to 187.49, below its trigger: refused',
      { balance: 187.49 },
      refused(/^no longer due: balance 187.49 \(the cycle's reading\) is below 1.25 × 150$/),
    ],
    [
      'compounding now (harvested 100 + 200 ≥ 2 × 150 contributed): refused',
      { balance: 200, ledger: ledger({ harvested: money(100) }) },
      refused(/^no longer due: the bot compounds now/),
    ],
    [
      'of a bot with no capital base: refused',
      { balance: 200, ledger: undefined },
      refused(/not funded: nothing to harvest/),
    ],
  ] as const)('%s', (_, opts, expected) => {
    expect(check('harvest', 30, opts)).toEqual(expected);
  });

  it('says in the note from what to what, and why', () => {
    expect(check('harvest', 30, { balance: 195, fresh: true })).toEqual({
      ok: true,
      amount: money(27),
      note: 'amount 30 → 27: still due: 27 is 60% of the 45 above 150, balance 195 (read now)',
    });
  });

  it('is refused when what the rule gives now is below min_transfer', () => {
    const config = specConfig({ 'exchanges.bitget.min_transfer': 25 });
    expect(check('harvest', 30, { balance: 190, config })).toEqual(
      refused(/^no longer worth it: 24 is 60% .* below min_transfer 25$/),
    );
  });

  it('rounds what the rule gives now down to the exchange precision', () => {
    const config = specConfig({ 'exchanges.bitget.precision': 0 });
    expect(check('harvest', 30, { balance: 199, config })).toEqual(ok(29)); // 29.4
  });
});

describe('a refill (planned 82.5 at balance 30: trigger 0.25 × 150 = 37.5, target 0.75 × 150 = 112.5)', () => {
  it.each([
    ['still at 30: the planned 82.5', { balance: 30 }, ok(82.5)],
    ['recovered to 35: shrinks to 112.5 − 35 = 77.5', { balance: 35 }, ok(77.5)],
    ['at its trigger, 37.5: still due, 75', { balance: 37.5 }, ok(75)],
    ['fell to 10: never grows past the planned 82.5', { balance: 10 }, ok(82.5)],
    [
      'recovered above its capital base, 160: refused',
      { balance: 160, fresh: true },
      refused(/^no longer due: balance 160 \(read now\) is above 0.25 × 150$/),
    ],
    ['just above its trigger, 37.51: refused', { balance: 37.51 }, refused(/^no longer due/)],
    [
      'with its refills used up meanwhile: refused',
      { balance: 30, ledger: ledger({ refills: 2 }) },
      refused(/has had 2 of 2 refills$/),
    ],
    [
      'refill-blocked meanwhile: refused',
      { balance: 30, ledger: ledger({ refillBlocked: true }) },
      refused(/is refill-blocked now$/),
    ],
    [
      'halted meanwhile: refused',
      { balance: 30, flags: { halted: true, blackSwan: false } },
      refused(/^no refill while halted$/),
    ],
    [
      'in black swan under no_refill_policy: refused',
      { balance: 30, flags: { halted: false, blackSwan: true } },
      refused(/^no refill in black swan$/),
    ],
  ] as const)('%s', (_, opts, expected) => {
    expect(check('refill', 82.5, opts)).toEqual(expected);
  });

  it('is refused when loss recovery was turned off', () => {
    const config = specConfig({ 'loss_recovery.enabled': false });
    expect(check('refill', 82.5, { balance: 30, config })).toEqual(
      refused(/^loss recovery is off now$/),
    );
  });

  it('is refused when what the rule gives now is not worth its fee (transfer_fee)', () => {
    // Fee 0.5 and min_transfer 40: the planned 82.5 still brings 41.25; shrunk to 75, 37.5.
    const config = specConfig({
      'exchanges.bitget.transfer_fee': 0.5,
      'exchanges.bitget.min_transfer': 40,
    });
    expect(check('refill', 82.5, { balance: 30, config })).toEqual(ok(82.5));
    expect(check('refill', 82.5, { balance: 37.5, config })).toEqual(
      refused(
        /^no longer worth it: 75 is not worth its fee: .* leaves 37.5, less than min_transfer 40$/,
      ),
    );
  });
});

describe('a refill of two legs shares one need (balance 0: 112.5; leg 0 87.5 from the pool, leg 1 25 from emergency)', () => {
  it.each([
    [
      'leg 0, the bot recovered to 30: shrinks to the need, 82.5',
      { leg: 0, amount: 87.5, balance: 30, otherLegs: [leg(1, 'planned', 25)] },
      ok(82.5),
    ],
    [
      'leg 0, its leg 1 already under way: the need less leg 1',
      { leg: 0, amount: 87.5, balance: 30, otherLegs: [leg(1, 'submitted', 25)] },
      ok(57.5),
    ],
    [
      'leg 1 after leg 0: the need less leg 0',
      { leg: 1, amount: 25, balance: 10, otherLegs: [leg(0, 'completed', 87.5)] },
      ok(15),
    ],
    [
      'leg 1 before leg 0 ran: leg 0 still counts, it goes first',
      { leg: 1, amount: 25, balance: 10, otherLegs: [leg(0, 'planned', 87.5)] },
      ok(15),
    ],
    [
      'leg 1 after leg 0 shrank: never grows past its own 25',
      { leg: 1, amount: 25, balance: 0, otherLegs: [leg(0, 'completed', 70)] },
      ok(25),
    ],
    [
      'leg 1 after leg 0 was rejected: leg 0 gave nothing',
      { leg: 1, amount: 25, balance: 0, otherLegs: [leg(0, 'rejected', 87.5)] },
      ok(25),
    ],
    [
      'leg 1 when leg 0 covers the whole need now: refused',
      { leg: 1, amount: 25, balance: 30, otherLegs: [leg(0, 'completed', 87.5)] },
      refused(/^no longer worth it: .*needs 82.5, 87.5 of it in its other leg/),
    ],
    [
      'leg 1 read now, after leg 0 completed: judged on the balance without leg 0',
      { leg: 1, amount: 25, balance: 87.5, fresh: true, otherLegs: [leg(0, 'completed', 87.5)] },
      ok(25),
    ],
    [
      'leg 1 read now, leg 0 still in flight: judged as read (the safe side)',
      { leg: 1, amount: 25, balance: 87.5, fresh: true, otherLegs: [leg(0, 'submitted', 87.5)] },
      refused(/^no longer due: balance 87.5 \(read now\)/),
    ],
    [
      'leg 1, leg 0 applied with the last refill allowed: this refill is not counted twice',
      {
        leg: 1,
        amount: 25,
        balance: 0,
        ledger: ledger({ refills: 2 }),
        otherLegs: [leg(0, 'completed', 87.5, true)],
      },
      ok(25),
    ],
    [
      'leg 1 with no leg 0 in the journal: refused',
      { leg: 1, amount: 25, balance: 0, otherLegs: [] },
      refused(/^leg 0 of this refill is not in the journal$/),
    ],
  ] as const)('%s', (_, { amount, ...opts }, expected) => {
    expect(check('refill', amount, { ...opts, otherLegs: [...opts.otherLegs] })).toEqual(expected);
  });
});

describe('an allocation (150)', () => {
  it.each([
    ['for a bot still not funded: the whole allocation', {}, ok(150)],
    [
      'for a bot funded meanwhile: refused',
      { ledger: ledger() },
      refused(/^1h_lorentzian_sol is funded now \(capital base 150\): no allocation$/),
    ],
    [
      'in black swan: refused',
      { flags: { halted: false, blackSwan: true } },
      refused(/^no allocation in black swan$/),
    ],
  ] as const)('%s', (_, opts, expected) => {
    expect(check('allocation', 150, { ledger: undefined, ...opts })).toEqual(expected);
  });

  it('for a bot disabled meanwhile: refused', () => {
    const config = specConfig({ 'bots[0].enabled': false });
    expect(check('allocation', 150, { ledger: undefined, config })).toEqual(
      refused(/^1h_lorentzian_sol is disabled now$/),
    );
  });
});

describe('a protect takes its share of what the bot holds now', () => {
  // safety_allocation 0.2 in the spec config
  it('keeps its amount while the bot still holds five times it', () => {
    expect(check('protect', 40, { balance: 200, fresh: true })).toEqual(ok(40));
  });

  it('shrinks to 0.2 × the balance of a bot that lost money since (a restart), never grows', () => {
    expect(check('protect', 12, { balance: 50, fresh: true })).toEqual(ok(10));
    expect(check('protect', 12, { balance: 500, fresh: true })).toEqual(ok(12));
  });

  it('is refused once its share is below min_transfer', () => {
    expect(check('protect', 12, { balance: 4, fresh: true })).toEqual(
      refused(/^no longer worth it: 0\.2 × balance 4 \(read now\) is below min_transfer 1$/),
    );
  });
});

describe('a rebalance has no rule of its own to re-check', () => {
  it('keeps its amount', () => {
    expect(check('rebalance', 40, { balance: 1 })).toEqual(ok(40));
  });
});

describe('which reading the guards use', () => {
  const at = '2026-11-20T12:00:00.000Z';
  const reading = { balance: money(200), at };
  const now = (ms: number) => new Date(Date.parse(at) + ms);
  const config = { freshReadMaxAgeMs: 60_000 };
  it.each([
    ['just taken', 0, money(200)],
    ['exactly fresh_read_max_age old', 60_000, money(200)],
    ['older than fresh_read_max_age: read afresh', 60_001, undefined],
    ['from a clock ahead of ours: read afresh', -1, undefined],
  ] as const)('the cycle’s reading %s', (_, age, expected: Money | undefined) => {
    expect(youngReading(config, reading, now(age))).toBe(expected);
  });

  it('reads afresh a bot whose entry has no reading', () => {
    expect(youngReading(config, undefined, now(0))).toBeUndefined();
  });

  it.each([
    ['harvest', `bot:${BOT}`, true],
    ['refill', 'reserve:low_frequency', true],
    ['protect', `bot:${BOT}`, true],
    ['rebalance', `bot:${BOT}`, true],
    ['rebalance', 'reserve:low_frequency', false],
    ['allocation', 'reserve:low_frequency', false],
  ] as const)('a %s from %s reads the bot: %s', (kind, from, expected) => {
    expect(needsBalance({ kind, from })).toBe(expected);
  });
});

describe('a refill’s other legs', () => {
  const ids = { portfolioId: 'main', cycleId: 'c1', botId: BOT, kind: 'refill' } as const;
  it.each([
    ['leg 0 looks for leg 1', 0, 1],
    ['leg 1 looks for leg 0', 1, 0],
  ])('%s', (_, own, other) => {
    expect(otherLegIds(specConfig(), { ...ids, leg: own })).toEqual([
      transferId({ ...ids, leg: other }),
    ]);
  });

  it('a harvest has none', () => {
    expect(otherLegIds(specConfig(), { ...ids, kind: 'harvest', leg: 0 })).toEqual([]);
  });
});
