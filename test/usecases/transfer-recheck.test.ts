/**
 * Still true when it runs (DESIGN.md §4), through the real workflow: the validate step re-reads
 * the bot — the cycle's reading while it is young, else a fresh read — and re-checks the rule
 * that planned the transfer, so a transfer whose execution died before it ran and is restarted
 * by the next cycle moves what the rule gives now, or nothing.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Config } from '../../functions/core/config.ts';
import { money, mulRatio, ratio, ZERO } from '../../functions/core/money.ts';
import type { ClaimStore } from '../../functions/core/store-ports.ts';
import type { JournalEntry } from '../../functions/core/transfer.ts';
import type { CycleResult } from '../../functions/usecases/cycle.ts';
import { specConfig } from '../core/fixtures.ts';
import {
  appliedTimes,
  CYCLE,
  type Harness,
  harness,
  initialised,
  journaled,
  stepsOf,
  T0,
  UID,
} from './harness.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const LORENTZIAN = '1h_lorentzian_sol'; // low_frequency: capital base 150, harvest 1.25 / 60%
const SWING = '4h_swing_btc'; // low_frequency, 150

/**
 * The spec portfolio funded by its first cycle; `dying` makes every execution die before its
 * first step (it stays `planned`, for the next cycle to start again).
 */
async function funded(config?: Config): Promise<{ h: Harness; dying: { on: boolean } }> {
  const dying = { on: false };
  const x = await harness({
    serial: true,
    reaper: (p) => dying.on && p.state === 'Lock' && p.when === 'before',
    ...(config && { config }),
  });
  await x.cycle(x.at(T0));
  return { h: x, dying };
}

/** A cycle at `at` whose executions all die before they start: its transfers stay `planned`. */
async function plannedOnly(x: Harness, dying: { on: boolean }, at: number): Promise<CycleResult> {
  dying.on = true;
  const result = await x.cycle(x.at(at));
  dying.on = false;
  return result;
}

/**
 * The spec portfolio funded; a cycle 15 minutes later plans a `kind` for lorentzian on its balance
 * `plannedOn`, and the execution dies before it starts; then the bot holds `now`.
 */
async function diedPlanned(
  kind: JournalEntry['kind'],
  plannedOn: number,
  now: number,
): Promise<{ x: Harness; planned: JournalEntry }> {
  const { h: x, dying } = await funded();
  x.exchange.setSubAccountEquity(UID.lorentzian, money(plannedOn));
  const planned = (await plannedOnly(x, dying, T0 + CYCLE)).entries.find((e) => e.kind === kind);
  if (!planned) throw new Error(`no ${kind} planned at ${plannedOn}`);
  x.exchange.setSubAccountEquity(UID.lorentzian, money(now));
  return { x, planned };
}

const reserve = async (x: Harness, name: string) =>
  (await x.store.portfolio.load('main'))?.reserves.get(name);
const movedOnExchange = (x: Harness, clientOid: string) =>
  x.exchange.books().transfers.find((t) => t.clientOid === clientOid)?.amount;

describe('a transfer restarted after its bot changed', () => {
  it('a planned refill restarted after the bot recovered above its capital base is rejected, and moves nothing', async () => {
    // Prepare: a refill of 82.5 planned at 30 whose execution died; the bot is back at 160.
    const { x, planned: refill } = await diedPlanned('refill', 30, 160);
    h = x;
    // Act: the next cycle starts it again.
    const next = await h.cycle(h.at(T0 + 2 * CYCLE));
    // Assess
    expect(refill.amount).toBe(money(82.5));
    expect(next.restarted).toBe(1);
    const entry = await h.store.journal.get(refill.id);
    expect(entry?.status).toBe('rejected');
    expect(entry?.error).toBe('no longer due: balance 160 (read now) is above 0.25 × 150');
    expect(appliedTimes(h, refill.id)).toBe(0);
    expect(h.exchange.equityOf(UID.lorentzian)).toBe(money(160));
    expect(await reserve(h, 'low_frequency')).toBe(money(200));
  });

  it('a harvest whose bot dropped since the plan shrinks to what the rule gives now, and the exchange moves that', async () => {
    // Prepare: planned at 200 (60% of 50 = 30); the bot drops to 195 before it runs.
    const { x, planned: harvest } = await diedPlanned('harvest', 200, 195);
    h = x;
    // Act
    await h.cycle(h.at(T0 + 2 * CYCLE));
    // Assess: 60% of the 45 above 150 is 27, in the journal, on the exchange and in the books.
    expect(harvest.amount).toBe(money(30));
    const entry = await h.store.journal.get(harvest.id);
    expect(entry).toMatchObject({ status: 'completed', amount: money(27), ledgerApplied: true });
    expect(entry?.history.find((c) => c.status === 'validated')?.note).toBe(
      'guards passed; amount 30 → 27: still due: 27 is 60% of the 45 above 150, balance 195 (read now)',
    );
    expect(movedOnExchange(h, harvest.id)).toBe(money(27));
    expect(h.exchange.equityOf(UID.lorentzian)).toBe(money(168));
    expect(await reserve(h, 'low_frequency')).toBe(money(227));
  });

  it('a harvest whose bot fell below its trigger since the plan is rejected', async () => {
    // Prepare: planned at 200; the bot falls to 170, below 1.25 × 150 = 187.5.
    const { x, planned: harvest } = await diedPlanned('harvest', 200, 170);
    h = x;
    // Act
    await h.cycle(h.at(T0 + 2 * CYCLE));
    // Assess
    const entry = await h.store.journal.get(harvest.id);
    expect(entry?.status).toBe('rejected');
    expect(entry?.error).toBe('no longer due: balance 170 (read now) is below 1.25 × 150');
    expect(appliedTimes(h, harvest.id)).toBe(0);
    expect(await reserve(h, 'low_frequency')).toBe(money(200));
  });

  it('the second leg of a refill restarted after the bot recovered gets only what the first leg leaves of the need', async () => {
    // Prepare: both low_frequency bots wiped out; lorentzian's refill takes 112.5 of the pool's
    // 200, swing's is 87.5 from the pool and 25 from the emergency reserve (minimum 100 here).
    const config = specConfig({
      'emergency_reserve.minimum': 100,
      emergency_stop: undefined,
      black_swan_protection: undefined,
    });
    let dying: { on: boolean };
    ({ h, dying } = await funded(config));
    h.exchange.setSubAccountEquity(UID.lorentzian, money(0));
    h.exchange.setSubAccountEquity(UID.swing, money(0));
    const planned = await plannedOnly(h, dying, T0 + CYCLE);
    const legs = planned.entries.filter((e) => e.botId === SWING).sort((a, b) => a.leg - b.leg);
    h.exchange.setSubAccountEquity(UID.swing, money(30)); // its need is now 112.5 − 30 = 82.5
    // Act
    await h.cycle(h.at(T0 + 2 * CYCLE));
    // Assess
    expect(legs.map((e) => [e.from, e.amount])).toEqual([
      ['reserve:low_frequency', money(87.5)],
      ['reserve:emergency', money(25)],
    ]);
    const [first, second] = await Promise.all(legs.map((e) => h?.store.journal.get(e.id)));
    expect(first).toMatchObject({ status: 'completed', amount: money(82.5) });
    expect(second?.status).toBe('rejected');
    expect(second?.error).toMatch(/needs 82.5, 82.5 of it in its other leg/);
    expect(appliedTimes(h, second?.id ?? '')).toBe(0);
    expect(h.exchange.equityOf(UID.swing)).toBe(money(112.5));
    expect(await reserve(h, 'emergency')).toBe(money(200));
  });
});

describe('an allocation', () => {
  it('for a bot that got funded meanwhile is rejected', async () => {
    // Prepare: two allocations of one bot (two cycles' plans); the first one funds it.
    h = await harness();
    await initialised(h);
    const allocationOf = (cycleId: string) =>
      journaled(h as Harness, {
        kind: 'allocation',
        botId: LORENTZIAN,
        from: 'reserve:low_frequency',
        to: `bot:${LORENTZIAN}`,
        amount: 150,
        cycleId,
      });
    const first = await allocationOf('first');
    const second = await allocationOf('second');
    await h.workflow.run(first.id);
    // Act
    await h.workflow.run(second.id);
    // Assess
    const entry = await h.store.journal.get(second.id);
    expect(entry?.status).toBe('rejected');
    expect(entry?.error).toBe(`${LORENTZIAN} is funded now (capital base 150): no allocation`);
    expect(appliedTimes(h, second.id)).toBe(0);
    expect(h.exchange.equityOf(UID.lorentzian)).toBe(money(150));
    expect(await reserve(h, 'low_frequency')).toBe(money(350));
  });
});

describe('which reading validate decides on', () => {
  it('the cycle’s own reading while it is young: no balance call at validate', async () => {
    // Prepare
    ({ h } = await funded());
    h.exchange.setSubAccountEquity(UID.lorentzian, money(200));
    const before = h.exchange.calls.balances;
    // Act: the cycle reads the bots once, plans a harvest and runs it at once.
    const result = await h.cycle(h.at(T0 + CYCLE));
    // Assess
    const harvest = result.entries.find((e) => e.kind === 'harvest');
    expect((await h.store.journal.get(harvest?.id ?? ''))?.status).toBe('completed');
    expect(h.exchange.calls.balances - before).toBe(1);
  });

  it('a fresh read once the cycle’s reading is older than fresh_read_max_age', async () => {
    // Prepare: a refill planned at 30, restarted by the next cycle, 15 minutes later.
    const { x, planned: refill } = await diedPlanned('refill', 30, 30);
    h = x;
    const before = h.exchange.calls.balances;
    // Act
    await h.cycle(h.at(T0 + 2 * CYCLE));
    // Assess: the cycle's own read, and validate's.
    expect((await h.store.journal.get(refill.id))?.status).toBe('completed');
    expect(h.exchange.calls.balances - before).toBe(2);
  });
});

describe('the claims', () => {
  it('are made after the move to validated, by the amount the journal holds: a validate that died in between is finished by its retry', async () => {
    // Prepare: a refill of 82.5 whose bot is at 35 now (the rule gives 77.5); the process dies
    // at its first daily claim, after the reserve hold; the bot is at 40 when it is retried.
    ({ h } = await funded());
    h.exchange.setSubAccountEquity(UID.lorentzian, money(35));
    const refill = await journaled(h, {
      kind: 'refill',
      botId: LORENTZIAN,
      from: 'reserve:low_frequency',
      to: `bot:${LORENTZIAN}`,
      amount: 82.5,
    });
    const real = h.store.claims;
    let dies = true;
    const claims: ClaimStore = {
      holdReserve: (portfolioId, hold, floor) => real.holdReserve(portfolioId, hold, floor),
      releaseReserve: (portfolioId, hold) => real.releaseReserve(portfolioId, hold),
      holders: (portfolioId) => real.holders(portfolioId),
      claimDaily: async (portfolioId, claim, limit) => {
        if (!dies) return real.claimDaily(portfolioId, claim, limit);
        dies = false;
        throw new Error('process died');
      },
      releaseDaily: (portfolioId, claim) => real.releaseDaily(portfolioId, claim),
    };
    await expect(stepsOf(h, { claims }).validate(refill.id)).rejects.toThrow('process died');
    const between = await h.store.journal.get(refill.id);
    h.exchange.setSubAccountEquity(UID.lorentzian, money(40));
    // Act: its workflow runs it again, validate first.
    await h.workflow.run(refill.id);
    // Assess: held, moved and applied as the 77.5 it was validated with; no hold is left over.
    expect(between).toMatchObject({ status: 'validated', amount: money(77.5) });
    expect(await h.store.journal.get(refill.id)).toMatchObject({
      status: 'completed',
      amount: money(77.5),
    });
    expect(movedOnExchange(h, refill.id)).toBe(money(77.5));
    expect(await reserve(h, 'low_frequency')).toBe(money(122.5));
    const probe = { transferId: 'probe', reserve: 'low_frequency', amount: money(1000) };
    expect(await real.holdReserve('main', probe, ZERO)).toEqual({
      held: false,
      available: money(122.5),
    });
  });
});

describe('a protect restarted in a black swan', () => {
  /**
   * Funded; then every bot crashes to 30% (black swan) and the entry cycle's protects die before
   * they start; `limited` makes one-bot balance reads (the guards' fresh reads) rate limited.
   */
  async function crashedProtects(limited: { on: boolean }) {
    const dying = { on: false };
    const x = await harness({
      serial: true,
      reaper: (p) => dying.on && p.state === 'Lock' && p.when === 'before',
      faults: (op, ctx) =>
        limited.on && op === 'balances' && ctx.uids?.length === 1
          ? { kind: 'rate_limit' }
          : undefined,
    });
    await x.cycle(x.at(T0));
    for (const uid of Object.values(UID)) {
      x.exchange.setSubAccountEquity(uid, mulRatio(x.exchange.equityOf(uid), ratio('0.3')));
    }
    const entry = await plannedOnly(x, dying, T0 + CYCLE);
    const protect = entry.entries.find((e) => e.kind === 'protect' && e.botId === LORENTZIAN);
    if (!protect) throw new Error('no protect planned');
    return { x, protect };
  }

  it('goes on its plan’s reading when the fresh read is rate limited, rather than leaving the bot exposed', async () => {
    // Prepare: lorentzian at 45, its protect of 9 planned; the guards' reads are rate limited
    const limited = { on: false };
    const { x, protect } = await crashedProtects(limited);
    h = x;
    limited.on = true;
    // Act: the next cycle starts it again, its reading 15 minutes old
    await h.cycle(h.at(T0 + 2 * CYCLE));
    // Assess
    expect(protect.amount).toBe(money(9));
    expect(await h.store.journal.get(protect.id)).toMatchObject({
      status: 'completed',
      amount: money(9),
    });
    expect(movedOnExchange(h, protect.id)).toBe(money(9));
  });

  it('shrinks to its share of the restarting cycle’s reading when its own read is rate limited', async () => {
    // Prepare: planned at 45 (9); the bot falls to 20; one-bot reads are rate limited, the
    // cycle's batched read is not
    const limited = { on: false };
    const { x, protect } = await crashedProtects(limited);
    h = x;
    h.exchange.setSubAccountEquity(UID.lorentzian, money(20));
    limited.on = true;
    // Act: the cycle that restarts it reads 20 and saves it before the guards run
    await h.cycle(h.at(T0 + 2 * CYCLE));
    // Assess: 0.2 × 20, not the 9 of a reading 15 minutes old
    expect(await h.store.journal.get(protect.id)).toMatchObject({
      status: 'completed',
      amount: money(4),
    });
  });

  it('shrinks to its share of what the bot holds now when it can read it', async () => {
    // Prepare: planned at 45 (9); the bot falls to 20 before the restart
    const limited = { on: false };
    const { x, protect } = await crashedProtects(limited);
    h = x;
    h.exchange.setSubAccountEquity(UID.lorentzian, money(20));
    // Act
    await h.cycle(h.at(T0 + 2 * CYCLE));
    // Assess: 0.2 × 20 = 4, not a refusal for asking 9 of a bot holding 20
    expect(await h.store.journal.get(protect.id)).toMatchObject({
      status: 'completed',
      amount: money(4),
    });
  });
});
