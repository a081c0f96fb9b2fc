/**
 * The guards, one at a time: each refusal is recorded `rejected` with its reason, before
 * anything is submitted, and moves nothing.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { money } from '../../functions/core/money.ts';
import type { JournalEntry } from '../../functions/core/transfer.ts';
import { appliedTimes, CYCLE, type Harness, harness, journaled, T0, UID } from './harness.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const LORENTZIAN = '1h_lorentzian_sol';
const SWING = '4h_swing_btc';

/** The spec portfolio after its four allocations: reserves 200 / 200 / 100, bots at their base. */
async function funded(): Promise<Harness> {
  const x = await harness();
  await x.cycle(x.at(T0));
  x.at(T0 + CYCLE);
  return x;
}

/** A harvest of `amount` from the bot to its pool reserve, journaled (a new cycle id, a new transfer). */
const harvestOf = (
  x: Harness,
  botId: string,
  amount: number,
  cycleId = 'manual',
  ends?: JournalEntry['ends'],
) =>
  journaled(x, {
    kind: 'harvest',
    botId,
    from: `bot:${botId}`,
    to: 'reserve:low_frequency',
    amount,
    cycleId,
    ...(ends && { ends }),
  });

async function run(x: Harness, entry: JournalEntry) {
  const outcome = await x.workflow.run(entry.id);
  return { outcome, entry: await x.store.journal.get(entry.id) };
}

describe('the guards', () => {
  it('refuse a transfer into a bot while halted, and still let a harvest out', async () => {
    // Prepare
    h = await funded();
    const state = await h.store.portfolio.load('main');
    await h.store.portfolio.saveCycle('main', {
      asOf: h.now().toISOString(),
      cycleId: 'halt',
      peakEquity: state?.peakEquity ?? money(1000),
      flags: { halted: true, blackSwan: false },
      balances: new Map(),
    });
    const refill = await journaled(h, {
      kind: 'refill',
      botId: LORENTZIAN,
      from: 'reserve:low_frequency',
      to: `bot:${LORENTZIAN}`,
      amount: 20,
    });
    const out = await harvestOf(h, SWING, 20);
    h.exchange.setSubAccountEquity(UID.swing, money(200)); // above its harvest trigger
    // Act
    const refused = await run(h, refill);
    const allowed = await run(h, out);
    // Assess
    expect(refused.entry?.status).toBe('rejected');
    expect(refused.entry?.error).toBe('refill into a bot refused while halted');
    expect(refused.outcome.path).not.toContain('Submit');
    expect(appliedTimes(h, refill.id)).toBe(0);
    expect(allowed.entry?.status).toBe('completed');
  });

  it('refuse a refill that would take the emergency reserve below its minimum', async () => {
    // Prepare: the emergency reserve holds exactly its minimum, 200; the bot is down to 30.
    h = await funded();
    h.exchange.setSubAccountEquity(UID.lorentzian, money(30));
    const refill = await journaled(h, {
      kind: 'refill',
      botId: LORENTZIAN,
      from: 'reserve:emergency',
      to: `bot:${LORENTZIAN}`,
      amount: 10,
    });
    // Act
    const { entry } = await run(h, refill);
    // Assess
    expect(entry?.status).toBe('rejected');
    expect(entry?.error).toBe(
      'would take reserve:emergency below its minimum 200: 200 available after the transfers in flight, 10 asked',
    );
    expect((await h.store.portfolio.load('main'))?.reserves.get('emergency')).toBe(money(200));
  });

  it('refuse an account that is not the portfolio’s, and a move in the wrong direction', async () => {
    // Prepare
    h = await funded();
    const stranger = await journaled(h, {
      kind: 'harvest',
      botId: LORENTZIAN,
      from: `bot:${LORENTZIAN}`,
      to: 'reserve:somebody_else',
      amount: 10,
    });
    const backwards = await journaled(h, {
      kind: 'harvest',
      botId: LORENTZIAN,
      from: 'reserve:low_frequency',
      to: `bot:${LORENTZIAN}`,
      amount: 10,
      cycleId: 'other',
    });
    // Act
    const a = await run(h, stranger);
    const b = await run(h, backwards);
    // Assess
    expect(a.entry?.error).toContain('reserve:somebody_else is not an account of this portfolio');
    expect(b.entry?.error).toBe('a harvest comes out of the bot, not into it');
    expect(h.exchange.books().transfers).toHaveLength(4);
  });

  it('refuse to take from a bot more than its sub-account holds now', async () => {
    // Prepare: the bot lost money since the plan (a rebalance out: no rule of its own to re-check).
    h = await funded();
    const taking = await journaled(h, {
      kind: 'rebalance',
      botId: LORENTZIAN,
      from: `bot:${LORENTZIAN}`,
      to: 'reserve:low_frequency',
      amount: 40,
    });
    h.exchange.setSubAccountEquity(UID.lorentzian, money(30));
    // Act
    const { entry } = await run(h, taking);
    // Assess
    expect(entry?.error).toBe('bot:1h_lorentzian_sol holds 30, less than 40');
    expect(h.exchange.equityOf(UID.lorentzian)).toBe(money(30));
  });

  it('let two refills racing for one reserve take no more than it holds', async () => {
    // Prepare: reserve:low_frequency holds 200; both bots wiped out, two refills of 110 at once.
    h = await funded();
    h.exchange.setSubAccountEquity(UID.lorentzian, money(0));
    h.exchange.setSubAccountEquity(UID.swing, money(0));
    const refills = await Promise.all(
      [LORENTZIAN, SWING].map((botId) =>
        journaled(h as Harness, {
          kind: 'refill',
          botId,
          from: 'reserve:low_frequency',
          to: `bot:${botId}`,
          amount: 110,
        }),
      ),
    );
    // Act
    const [a, b] = await Promise.all(refills.map((e) => run(h as Harness, e)));
    // Assess
    const statuses = [a?.entry?.status, b?.entry?.status].sort();
    expect(statuses).toEqual(['completed', 'rejected']);
    const refused = [a, b].find((r) => r?.entry?.status === 'rejected');
    expect(refused?.entry?.error).toBe(
      'reserve:low_frequency cannot give it: 90 available after the transfers in flight, 110 asked',
    );
    expect((await h.store.portfolio.load('main'))?.reserves.get('low_frequency')).toBe(money(90));
    expect((await h.store.claims.holders('main')).size).toBe(0);
  });
});

describe('one transfer in flight per bot', () => {
  it('refuses at once a transfer whose bot another cycle’s open transfer holds (one plan per bot)', async () => {
    // Prepare: a transfer of an earlier cycle holds the bot's lock and is still open.
    h = await funded();
    const holder = await harvestOf(h, LORENTZIAN, 5);
    await h.store.locks.lockBot('main', LORENTZIAN, holder.id, 60 * 60_000);
    const other = await harvestOf(h, LORENTZIAN, 10, 'later');
    const moved = h.exchange.books().transfers.length;
    // Act
    const { outcome, entry } = await run(h, other);
    // Assess: no waiting, no retry; nothing moved; the holder keeps the lock
    expect(outcome.path.filter((s) => s === 'Lock').length).toBe(1);
    expect(entry?.status).toBe('rejected');
    expect(entry?.error).toMatch(
      /^bot 1h_lorentzian_sol is locked by transfer \w+ of another cycle \(manual\)/,
    );
    expect(h.exchange.books().transfers).toHaveLength(moved);
    expect((await h.store.locks.lockHolders('main')).get(LORENTZIAN)).toBe(holder.id);
  });

  it('makes a second leg of the same plan wait for the lock, and gives up without moving anything', async () => {
    // Prepare: another transfer of the same cycle holds the bot's lock and is still open.
    h = await funded();
    const holder = await harvestOf(h, LORENTZIAN, 5);
    await h.store.locks.lockBot('main', LORENTZIAN, holder.id, 60 * 60_000);
    const sibling = await journaled(h, {
      kind: 'refill',
      botId: LORENTZIAN,
      from: 'reserve:emergency',
      to: `bot:${LORENTZIAN}`,
      amount: 10,
    });
    // Act
    const { outcome, entry } = await run(h, sibling);
    // Assess
    expect(outcome.path.filter((s) => s === 'Lock').length).toBe(7); // the try and 6 retries
    expect(entry?.status).toBe('rejected');
    expect(entry?.error).toMatch(
      /^BotLockedError: bot 1h_lorentzian_sol has another transfer in flight/,
    );
    expect((await h.store.locks.lockHolders('main')).get(LORENTZIAN)).toBe(holder.id);
  });

  it('refuses a transfer whose bot the config now maps to another sub-account, critically', async () => {
    // Prepare: planned when the bot's sub-account was another one; the config says UID.lorentzian
    h = await funded();
    const planned = await harvestOf(h, LORENTZIAN, 5, 'manual', {
      from: '9999999999',
      to: 'master',
    });
    const moved = h.exchange.books().transfers.length;
    // Act
    const { outcome, entry } = await run(h, planned);
    // Assess
    expect(outcome.path).not.toContain('Submit');
    expect(entry?.status).toBe('rejected');
    expect(entry?.error).toMatch(
      /^account changed: bot:1h_lorentzian_sol was planned for sub-account 9999999999/,
    );
    expect(h.exchange.books().transfers).toHaveLength(moved);
    const alert = h.alerts.find((a) => a.code === 'account_changed');
    expect(alert?.severity).toBe('critical');
  });

  it('moves money between the accounts recorded at planning, not today’s config', async () => {
    // Prepare: the entry records the bot's real sub-account; a second bot's UID in the config
    // must not matter to it
    h = await funded();
    const planned = await harvestOf(h, LORENTZIAN, 5, 'manual', {
      from: UID.lorentzian,
      to: 'master',
    });
    h.exchange.setSubAccountEquity(UID.lorentzian, money(200)); // a harvest is due
    const before = h.exchange.equityOf(UID.lorentzian);
    // Act
    const { entry } = await run(h, planned);
    // Assess
    expect(entry?.status).toBe('completed');
    expect(h.exchange.equityOf(UID.lorentzian)).toBe(before - money(5));
  });

  it('takes over a lock left by a transfer that has ended', async () => {
    // Prepare: the holder was rejected, and died before releasing its lock.
    h = await funded();
    const holder = await harvestOf(h, LORENTZIAN, 5);
    await h.store.locks.lockBot('main', LORENTZIAN, holder.id, 60 * 60_000);
    await h.store.journal.transition(holder.id, ['planned'], 'rejected', { error: 'test' });
    const next = await harvestOf(h, LORENTZIAN, 10, 'later');
    h.exchange.setSubAccountEquity(UID.lorentzian, money(200)); // above its harvest trigger
    // Act
    const { entry } = await run(h, next);
    // Assess
    expect(entry?.status).toBe('completed');
    expect((await h.store.locks.lockHolders('main')).has(LORENTZIAN)).toBe(false);
  });
});
