/**
 * An operator's confirmation of an implausible balance (DESIGN.md §3: beyond max_plausible_jump ×
 * its last known balance a value is unknown "unless an operator confirms it"): the cycles on the
 * embedded store and the paper exchange, the confirmation recorded as `botfolio confirm-balance`
 * records it. It makes the bot's next reading believed — that value, or one plausible from it —
 * and that reading ends it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { money } from '../../functions/core/money.ts';
import { specConfig } from '../core/fixtures.ts';
import { CYCLE, type Harness, harness, T0, UID } from './harness.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const LORENTZIAN = '1h_lorentzian_sol';

/**
 * Funded by a first cycle; then Lorentzian's sub-account shows `equity`. Without compounding, so
 * that a bot far above its capital base is harvested.
 */
async function fundedThenJumpTo(equity: number) {
  const x = await harness({ config: specConfig({ compound_threshold: undefined }) });
  h = x;
  await x.cycle(x.at(T0));
  x.exchange.setSubAccountEquity(UID.lorentzian, money(equity));
  return x;
}

const confirm = (x: Harness, balance: number) =>
  x.store.portfolio.confirmBalance('main', LORENTZIAN, {
    balance: money(balance),
    at: x.now().toISOString(),
    reason: 'deposited by hand',
    by: 'ops',
  });

const unknownAlerts = (x: Harness) =>
  x.alerts.filter((a) => a.code === 'balance_unknown' && a.botId === LORENTZIAN);

describe('botfolio confirm-balance, as the cycles see it', () => {
  it('leaves an implausible balance unknown, and the alert names the command that confirms it', async () => {
    // Prepare
    const x = await fundedThenJumpTo(5000);
    // Act
    const result = await x.cycle(x.at(T0 + CYCLE));
    // Assess
    expect(result.entries).toEqual([]);
    expect(result.state.bots.get(LORENTZIAN)?.balance).toBeNull();
    expect(unknownAlerts(x)[0]?.message).toContain(
      `botfolio confirm-balance ${LORENTZIAN} --amount 5000 --reason "…"`,
    );
  });

  it('believes the confirmed balance on the next cycle, plans on it, and forgets the confirmation', async () => {
    // Prepare
    const x = await fundedThenJumpTo(5000);
    await x.cycle(x.at(T0 + CYCLE));
    await confirm(x, 5000);
    // Act
    const result = await x.cycle(x.at(T0 + 2 * CYCLE));
    // Assess: 5000 ≥ 1.25 × 150: a harvest, capped at max_transfer 500
    expect(result.state.bots.get(LORENTZIAN)?.balance).toBe(money(5000));
    expect(result.entries.map((e) => [e.kind, e.botId, e.amount])).toEqual([
      ['harvest', LORENTZIAN, money(500)],
    ]);
    const stored = await x.store.portfolio.load('main');
    expect(stored?.confirmedBalances).toBeUndefined();
    expect(x.exchange.equityOf(UID.lorentzian)).toBe(money(4500));
  });

  it('is not a standing bypass: a different implausible value later is unknown again', async () => {
    // Prepare: confirmed and believed at 5000, harvested to 4500
    const x = await fundedThenJumpTo(5000);
    await confirm(x, 5000);
    await x.cycle(x.at(T0 + CYCLE));
    x.exchange.setSubAccountEquity(UID.lorentzian, money(600_000));
    // Act
    const result = await x.cycle(x.at(T0 + 2 * CYCLE));
    // Assess
    expect(result.entries).toEqual([]);
    expect(result.state.bots.get(LORENTZIAN)?.balance).toBeNull();
    expect(unknownAlerts(x).at(-1)?.message).toMatch(/600000 is more than 10 × 4500/);
  });

  it('ends with the next reading even when that reading is beyond it', async () => {
    // Prepare: confirmed 5000, but the exchange now shows 900000 (more than 10 × 5000)
    const x = await fundedThenJumpTo(900_000);
    await confirm(x, 5000);
    // Act
    const refused = await x.cycle(x.at(T0 + CYCLE));
    x.exchange.setSubAccountEquity(UID.lorentzian, money(5000));
    const after = await x.cycle(x.at(T0 + 2 * CYCLE));
    // Assess: refused, and the confirmation spent: 5000 is implausible again
    expect(refused.state.bots.get(LORENTZIAN)?.balance).toBeNull();
    expect(unknownAlerts(x)[0]?.message).toMatch(/the balance an operator confirmed/);
    expect(after.state.bots.get(LORENTZIAN)?.balance).toBeNull();
  });
});
